package localdb

import (
	"os"
	"strconv"
	"strings"
	"syscall"
)

// totalMemory is the memory the cluster may use, in bytes: the machine's,
// or the container's limit when that is smaller (cgroup v2, then v1); 0 if
// unknown.
func totalMemory() uint64 {
	var si syscall.Sysinfo_t
	if err := syscall.Sysinfo(&si); err != nil {
		return 0
	}
	total := uint64(si.Totalram) * uint64(si.Unit)
	for _, f := range []string{"/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"} {
		b, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		if limit, err := strconv.ParseUint(strings.TrimSpace(string(b)), 10, 64); err == nil && limit > 0 && limit < total {
			total = limit // "max" (no limit) does not parse
		}
	}
	return total
}
