package main

import (
	"io"
	"log/slog"
	"math"
	"runtime/debug"
	"testing"
)

func TestTheServerCollectsLessOftenUnlessTheEnvironmentSaysOtherwise(t *testing.T) {
	for _, tc := range []struct {
		name           string
		gogc, memlimit string
		wantPercent    int
		wantLimit      int64
	}{
		{"unset: the server's setting", "", "", serveGCPercent, 2*(300<<20) + gcHeadroom},
		{"GOGC set: left alone", "50", "", 100, math.MaxInt64},
		{"GOMEMLIMIT set: left alone", "", "1GiB", 100, math.MaxInt64},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv("GOGC", tc.gogc)
			t.Setenv("GOMEMLIMIT", tc.memlimit)
			// the process's own setting before and after (the runtime read
			// the environment at start; these cases start from Go's default)
			defer debug.SetGCPercent(debug.SetGCPercent(100))
			defer debug.SetMemoryLimit(debug.SetMemoryLimit(math.MaxInt64))
			tuneGC(slog.New(slog.NewTextHandler(io.Discard, nil)), 300<<20)
			if got := debug.SetGCPercent(100); got != tc.wantPercent {
				t.Errorf("GC percent %d, want %d", got, tc.wantPercent)
			}
			if got := debug.SetMemoryLimit(-1); got != tc.wantLimit {
				t.Errorf("memory limit %d, want %d", got, tc.wantLimit)
			}
		})
	}
}
