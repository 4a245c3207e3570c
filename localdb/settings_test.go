package localdb

import (
	"strings"
	"testing"
)

func TestSharedBuffersFollowTheMachinesMemoryWithinBounds(t *testing.T) {
	const gb = 1 << 30
	for _, c := range []struct {
		memory uint64
		want   string
	}{
		{0, "shared_buffers = 256MB"},         // unknown
		{512 << 20, "shared_buffers = 256MB"}, // a small machine: the floor
		{4 * gb, "shared_buffers = 512MB"},    // an eighth
		{24 * gb, "shared_buffers = 2048MB"},  // the ceiling
		{256 * gb, "shared_buffers = 2048MB"},
	} {
		got := settings(c.memory)
		if !strings.Contains(got, c.want+"\n") || !strings.Contains(got, "max_wal_size = 4GB\n") {
			t.Errorf("settings(%d) = %q, want %s and max_wal_size = 4GB", c.memory, got, c.want)
		}
	}
}
