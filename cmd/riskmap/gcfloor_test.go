package main

import (
	"context"
	"runtime"
	"runtime/metrics"
	"testing"
	"time"
)

func TestTheCollectorsFloorIsTheGOGCThatPutsTheGoalAboveTheLiveHeap(t *testing.T) {
	const mib = 1 << 20
	for _, tc := range []struct {
		name        string
		live, floor uint64
		want        int
	}{
		{"a small live heap gets the floor above it", 5 * mib, 32 * mib, 640},
		{"a tiny one stops where the runtime's minimum goal is the floor", 1 * mib, 32 * mib, 800},
		{"before the first cycle likewise", 0, 32 * mib, 800},
		{"a live heap over the floor has Go's default", 64 * mib, 32 * mib, 100},
		{"a floor under the runtime's minimum changes nothing", 1 * mib, 2 * mib, 100},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := gcPercent(tc.live, tc.floor); got != tc.want {
				t.Errorf("gcPercent(%d MiB live, %d MiB floor) = %d, want %d", tc.live/mib, tc.floor/mib, got, tc.want)
			}
		})
	}
}

func TestTheCollectorsFloorFollowsTheLiveHeapAndStepsAsideForGOGC(t *testing.T) {
	t.Setenv("GOGC", "")
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { gcFloorMB(64).keep(ctx, 10*time.Millisecond); close(done) }()
	live, goal := waitForGC(t, func(s gcState) bool { return s.percent > 100 })
	if goal < live+60<<20 {
		t.Errorf("heap goal %d MiB over %d MiB live with a 64 MiB floor, want the floor above it", goal>>20, live>>20)
	}

	// a live heap over the floor: Go's default again
	held := make([][]byte, 96)
	for i := range held {
		held[i] = make([]byte, 1<<20)
	}
	_, _ = waitForGC(t, func(s gcState) bool { return s.percent == 100 })
	runtime.KeepAlive(held)

	cancel()
	<-done
	if p := readGC().percent; p != 100 {
		t.Errorf("GOGC %d after the floor stopped, want 100 as it found it", p)
	}

	t.Setenv("GOGC", "100")
	ctx, cancel = context.WithCancel(context.Background())
	defer cancel()
	returned := make(chan struct{})
	go func() { gcFloorMB(64).keep(ctx, 10*time.Millisecond); close(returned) }()
	select {
	case <-returned:
	case <-time.After(time.Second):
		t.Error("the floor ran with GOGC set in the environment")
	}
}

type gcState struct {
	live, goal uint64
	percent    uint64
}

func readGC() gcState {
	s := []metrics.Sample{{Name: "/gc/heap/live:bytes"}, {Name: "/gc/heap/goal:bytes"}, {Name: "/gc/gogc:percent"}}
	metrics.Read(s)
	return gcState{live: s[0].Value.Uint64(), goal: s[1].Value.Uint64(), percent: s[2].Value.Uint64()}
}

// waitForGC collects until ok holds, for up to two seconds.
func waitForGC(t *testing.T, ok func(gcState) bool) (live, goal uint64) {
	t.Helper()
	var s gcState
	for end := time.Now().Add(2 * time.Second); time.Now().Before(end); time.Sleep(20 * time.Millisecond) {
		runtime.GC()
		if s = readGC(); ok(s) {
			return s.live, s.goal
		}
	}
	t.Fatalf("GOGC %d with %d MiB live (goal %d MiB): not what the floor should set", s.percent, s.live>>20, s.goal>>20)
	return 0, 0
}
