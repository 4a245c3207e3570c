package main

import (
	"flag"
	"net/http"
	"sync/atomic"
	"time"

	"riskmap/api"
	"riskmap/metrics"
	"riskmap/postgres"
	"riskmap/tiles"
)

// timeoutFlags cut off slow clients and bound requests. Zero keeps the
// server's default (api.Server.HTTPServer); tests set short ones.
type timeoutFlags struct {
	readHeader, read, write, idle time.Duration
	request                       time.Duration
}

func (f *timeoutFlags) register(fs *flag.FlagSet) {
	fs.DurationVar(&f.readHeader, "read-header-timeout", 0, "time a client has to send the request headers (default 10s)")
	fs.DurationVar(&f.read, "read-timeout", 0, "time a client has to send the whole request, body included (default 60s)")
	fs.DurationVar(&f.write, "write-timeout", 0, "time to send an answer (default 120s; the live feed is exempt)")
	fs.DurationVar(&f.idle, "idle-timeout", 0, "how long an idle keep-alive connection stays open (default 120s)")
	fs.DurationVar(&f.request, "request-timeout", 30*time.Second,
		"longest a request may take before it answers 503 (a database that stopped answering); 0 for none; the live feed, uploads and exports are exempt")
}

// apply sets the request deadline on srv and the connection timeouts on hs.
func (f *timeoutFlags) apply(srv *api.Server, hs *http.Server) {
	srv.RequestTimeout = f.request
	for _, t := range []struct {
		flag time.Duration
		dst  *time.Duration
	}{{f.readHeader, &hs.ReadHeaderTimeout}, {f.read, &hs.ReadTimeout}, {f.write, &hs.WriteTimeout}, {f.idle, &hs.IdleTimeout}} {
		if t.flag > 0 {
			*t.dst = t.flag
		}
	}
}

// readMetrics exposes where the reads of each user of the standby went
// (postgres.Reads): answered by the standby, or by the primary because the
// standby was behind, away, or the latest change not yet placed.
func readMetrics(m *metrics.Metrics, reads *postgres.Reads) {
	if !reads.HasStandby() {
		return
	}
	for reader, c := range reads.Counts() {
		if reader == "" {
			continue
		}
		for outcome, n := range map[string]*atomic.Uint64{"standby": &c.Standby, "behind": &c.Behind, "away": &c.Away, "unknown": &c.Unknown} {
			m.CounterWith("riskmap_standby_reads_total",
				"Reads that may go to the hot standby (--read-database-url), by reader and outcome: answered by the standby, or by the primary because the standby was behind the latest change, away, or the latest change was not placed yet.",
				map[string]string{"reader": reader, "outcome": outcome}, func() float64 { return float64(n.Load()) })
		}
	}
}

// tileMetrics exposes what the tile cache did, read on scrape.
func tileMetrics(m *metrics.Metrics, svc *tiles.Service) {
	for _, c := range []struct {
		name, help string
		value      func(tiles.Stats) uint64
	}{
		{"riskmap_tile_cache_hits_total", "Tiles answered from the cache.", func(s tiles.Stats) uint64 { return s.Hits }},
		{"riskmap_tile_cache_misses_total", "Tiles the cache did not hold (made by PostGIS).", func(s tiles.Stats) uint64 { return s.Misses }},
		{"riskmap_tile_cache_evictions_total", "Tiles dropped to stay within --tile-cache-mb.", func(s tiles.Stats) uint64 { return s.Evicted }},
		{"riskmap_tile_cache_invalidations_total", "Cached tiles dropped because a change met them.", func(s tiles.Stats) uint64 { return s.Invalidated }},
	} {
		m.Counter(c.name, c.help, func() float64 { return float64(c.value(svc.Stats())) })
	}
	m.Counter("riskmap_tile_standby_total", "Tiles made on the hot standby (--read-database-url).",
		func() float64 { n, _ := svc.ReadStats(); return float64(n) })
	m.Counter("riskmap_tile_standby_fallbacks_total", "Tiles made on the primary because the standby had not replayed the latest change.",
		func() float64 { _, n := svc.ReadStats(); return float64(n) })
	m.Gauge("riskmap_tile_cache_live", "1 while change notifications are followed and the tile cache serves, 0 while it is bypassed.",
		func() float64 {
			if svc.Live() {
				return 1
			}
			return 0
		})
}
