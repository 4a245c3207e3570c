package main

import (
	"log/slog"
	"os"
	"runtime/debug"
)

// The collector's setting for a server. Its heap is mostly long-lived (the
// tile and coverage caches, the pools, prepared statements) while each
// request allocates a few short-lived kilobytes (net/http's request, its
// context and headers). Go's default, GOGC=100, marks the whole long-lived
// heap each time the heap doubles: with the 5 MB live heap of bench/tiles
// that was every ~2,000 cached tiles, 111 collections and 505 ms of CPU
// over 200,000 tiles (2.5 µs a tile, against ~40 µs for the whole answer).
// serveGCPercent collects a fifth as often (18 collections, 101 ms). The
// soft memory limit keeps that larger goal from growing the heap past the
// caches (full) plus headroom; the collector runs early only if the heap
// nears it. GOGC or GOMEMLIMIT in the environment win over both.
const (
	serveGCPercent = 400
	gcHeadroom     = 512 << 20
)

// tuneGC sets the collector for a server whose caches hold cacheBytes at
// most, unless the environment has set it.
func tuneGC(logger *slog.Logger, cacheBytes int64) {
	if os.Getenv("GOGC") != "" || os.Getenv("GOMEMLIMIT") != "" {
		return
	}
	limit := 2*cacheBytes + gcHeadroom
	debug.SetGCPercent(serveGCPercent)
	debug.SetMemoryLimit(limit)
	logger.Debug("garbage collector", "gogc", serveGCPercent, "memory_limit_mb", limit>>20)
}
