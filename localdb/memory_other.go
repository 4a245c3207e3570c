//go:build !linux

package localdb

// totalMemory is unknown here: settings then takes its floor.
func totalMemory() uint64 { return 0 }
