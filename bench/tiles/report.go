package main

import (
	"fmt"
	"io"
	"runtime"
	"strconv"
	"text/tabwriter"
)

// pgTileserv holds the reference figures of bench/data/README.md (cold
// tiles/s, the same data set and tile lists, this kind of machine).
var pgTileserv = map[string]map[int]float64{
	"risk_points": {10: 8, 12: 106, 14: 899, 16: 1900},
	"grids":       {10: 64, 12: 427, 14: 1543, 16: 2307},
}

func report(w io.Writer, rows []*row, client string, conns int, cfg config) {
	procs := "Go's default"
	if cfg.procs > 0 {
		procs = strconv.Itoa(cfg.procs)
	}
	fmt.Fprintf(w, "\nriskmap vector tiles: %d CPUs, %s, %d HTTP connections; median of %d rounds of %s; ceiling and server on %d database connections; GOMAXPROCS of the servers and the ceiling's client: %s; user scope: city %s\n",
		runtime.NumCPU(), client, cfg.conns, cfg.rounds, cfg.duration, conns, procs, benchArea)
	fmt.Fprintf(w, "cpu/tile: CPU time per tile of the database backends plus the client (ceiling), or plus the server and the load generator (cold, warm)\n\n")
	tw := tabwriter.NewWriter(w, 0, 2, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "layer\tz\tmean bytes\tceiling tiles/s\tp50\tp99\tcpu/tile\tcold tiles/s\tp50\tp99\tcpu/tile\twarm tiles/s\tp50\tp99\tcpu/tile\tcold/ceiling\t(by cpu)\twarm/cold\tcold/pg_tileserv\t")
	for _, r := range rows {
		vs := "-"
		if ref := pgTileserv[r.layer][r.zoom]; ref > 0 {
			vs = fmt.Sprintf("%.1fx", r.cold.rate/ref)
		}
		fmt.Fprintf(tw, "%s\t%d\t%.0f\t%.0f\t%s\t%s\t%s\t%.0f\t%s\t%s\t%s\t%.0f\t%s\t%s\t%s\t%.2f\t%.2f\t%.1f\t%s\t\n",
			r.layer, r.zoom, r.bytes,
			r.ceil.rate, fmtDur(r.ceil.p50), fmtDur(r.ceil.p99), fmtDur(r.ceil.cpuPerTile()),
			r.cold.rate, fmtDur(r.cold.p50), fmtDur(r.cold.p99), fmtDur(r.cold.cpuPerTile()),
			r.warm.rate, fmtDur(r.warm.p50), fmtDur(r.warm.p99), fmtDur(r.warm.cpuPerTile()),
			ratio(r.cold.rate, r.ceil.rate), ratio(float64(r.ceil.cpuPerTile()), float64(r.cold.cpuPerTile())),
			ratio(r.warm.rate, r.cold.rate), vs)
	}
	tw.Flush()
}

func ratio(a, b float64) float64 {
	if b == 0 {
		return 0
	}
	return a / b
}
