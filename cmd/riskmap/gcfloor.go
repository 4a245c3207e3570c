package main

import (
	"context"
	"flag"
	"os"
	"runtime/debug"
	"runtime/metrics"
	"time"
)

// The collector's floor. Go's collector runs whenever the heap has grown by
// as much as was live after the last cycle (GOGC=100). A server whose live
// heap is a few megabytes (routes, compiled expressions, statement caches,
// a tile cache not yet full) then collects every few megabytes of garbage:
// under a map's load of cached tiles, every 75 ms (GODEBUG=gctrace=1), each
// cycle stopping the world and turning write barriers on. The floor keeps
// the collector's goal at least floorMB above the live heap by raising
// GOGC while the live heap is small; once it is larger than the floor
// (a full tile cache), GOGC is 100 again. The cost is up to floorMB more
// memory, in garbage (bench/tiles/README.md has the figures). A GOGC set
// in the environment is the operator's choice and left alone; GOMEMLIMIT
// still caps the heap.
//
// Not a ballast (gopls's way: a large allocation counted as live and never
// touched): Go zeroes a large allocation that reuses freed pages, and then
// the ballast is resident too.

// gcFloorMB is the floor in MiB (0: none).
type gcFloorMB int

func (f *gcFloorMB) register(fs *flag.FlagSet) {
	fs.IntVar((*int)(f), "gc-floor-mb", 32, "garbage the collector lets the heap gather, at least, before it runs, in MiB, while the live heap is smaller (0: Go's GOGC=100; a GOGC in the environment wins)")
}

// gcFloorEvery is how often the floor follows the live heap.
const gcFloorEvery = time.Second

// keep follows the live heap until ctx ends, then leaves GOGC as it found it.
func (f gcFloorMB) keep(ctx context.Context, every time.Duration) {
	if f <= 0 || os.Getenv("GOGC") != "" {
		return
	}
	floor := uint64(f) << 20
	s := []metrics.Sample{{Name: "/gc/heap/live:bytes"}, {Name: "/gc/gogc:percent"}}
	metrics.Read(s)
	set := int(s[1].Value.Uint64())
	defer debug.SetGCPercent(set)
	tick := time.NewTicker(every)
	defer tick.Stop()
	for {
		metrics.Read(s)
		if p := gcPercent(s[0].Value.Uint64(), floor); p != set {
			debug.SetGCPercent(p)
			set = p
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// heapMinimum is the runtime's least heap goal at GOGC=100; it scales with
// GOGC, so the floor's GOGC stops where that alone would exceed the floor.
const heapMinimum = 4 << 20

// gcPercent is the GOGC that puts the goal floor above live: 100 at least,
// and at most what makes the runtime's minimum goal the floor.
func gcPercent(live, floor uint64) int {
	most := floor * 100 / heapMinimum
	if live == 0 { // before the first cycle
		return int(max(100, most))
	}
	return int(max(100, min(floor*100/live, most)))
}
