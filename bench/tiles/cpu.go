package main

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
)

// CPU accounting: on a machine shared with other work, throughput depends
// on how much CPU the benchmark gets; CPU time per tile does not. The
// benchmark reports both: the CPU of the database backends serving the
// scratch database, and of the client (the ceiling's own process) or of
// the server and wrk.

const clockTick = 10 * time.Millisecond // USER_HZ = 100 on Linux

// procCPU is the user+system CPU a process has used.
func procCPU(pid int) time.Duration {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0
	}
	f := strings.Fields(s[i+1:]) // f[0] is field 3 (state)
	if len(f) < 13 {
		return 0
	}
	u, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(u+st) * clockTick
}

func selfCPU() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// backends measures the CPU of the database's backends between two calls.
type backends struct {
	conn  *pgx.Conn
	start map[int]time.Duration
}

func newBackends(ctx context.Context, url string) (*backends, error) {
	c, err := pgx.Connect(ctx, url)
	if err != nil {
		return nil, err
	}
	return &backends{conn: c}, nil
}

func (b *backends) pids(ctx context.Context) map[int]time.Duration {
	out := map[int]time.Duration{}
	rows, err := b.conn.Query(ctx, "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()")
	if err != nil {
		return out
	}
	defer rows.Close()
	for rows.Next() {
		var pid int
		if rows.Scan(&pid) == nil {
			out[pid] = procCPU(pid)
		}
	}
	return out
}

func (b *backends) begin(ctx context.Context) { b.start = b.pids(ctx) }

// used is the backends' CPU since begin (backends started since count whole).
func (b *backends) used(ctx context.Context) time.Duration {
	var total time.Duration
	for pid, now := range b.pids(ctx) {
		total += now - b.start[pid]
	}
	return total
}

func (b *backends) close() { b.conn.Close(context.Background()) }
