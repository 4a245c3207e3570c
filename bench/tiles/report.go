package main

import (
	"fmt"
	"io"
	"runtime"
	"strconv"
	"text/tabwriter"
)

// report prints one row per layer and zoom. Every ratio divides figures of
// this run: the SQL ceiling and the HTTP ceiling are measured in the same
// rounds as the servers. warm/HTTP ceiling, warm/it and the baseline ratios
// are the median of each round's ratio (the servers of a round run back to
// back) with its 95 % interval (spread.go), and so are the gzip ratios (the
// warm server asked with Accept-Encoding: gzip, against itself asked
// without and against the baseline's warm server); the others divide the
// median rounds.
func report(w io.Writer, rows []*row, client string, conns int, cfg config) {
	procs := "Go's default"
	if cfg.procs > 0 {
		procs = strconv.Itoa(cfg.procs)
	}
	fmt.Fprintf(w, "\nriskmap vector tiles: %d CPUs, %s, %d HTTP connections; median of %d rounds of %s; ceiling and server on %d database connections; GOMAXPROCS of the servers and the ceiling's client: %s; user scope: city %s\n",
		runtime.NumCPU(), client, cfg.conns, cfg.rounds, cfg.duration, conns, procs, benchArea)
	fmt.Fprintf(w, "ceiling: the server's tile SQL straight against PostgreSQL; HTTP ceiling: a bare net/http server writing a fixed body of the mean tile's size; with tile headers: the same writing the header keys of a cached tile's answer too\n")
	fmt.Fprintf(w, "cpu/tile: CPU time per tile of the database backends plus the client (ceiling), or plus the server and the load generator (servers)\n")
	fmt.Fprintf(w, "a ratio taken round by round: the median of the rounds' ratios (the 95 %% interval of the median by the sign test: the k-th smallest to the k-th largest round; none under six rounds)\n")
	if cfg.baseline != "" {
		fmt.Fprintf(w, "baseline: riskmap built at %s, measured in the same rounds\n", cfg.baseline)
	}
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 2, 2, ' ', tabwriter.AlignRight)
	head := "layer\tz\tmean bytes\tceiling tiles/s\tp50\tp99\tcpu/tile\tcold tiles/s\tp50\tp99\tcpu/tile\twarm tiles/s\tp50\tp99\tcpu/tile\tHTTP ceiling/s\tcpu/req\tcold/ceiling\t(by cpu)\twarm/cold\twarm/HTTP ceiling\t(by cpu)\t" +
		"with tile headers/s\twarm/it\tgzip bytes\twarm gzip/s\tp50\tcpu/tile\twarm gzip/warm\t"
	if cfg.baseline != "" {
		head += "baseline cold/s\tbaseline warm/s\tcold/baseline\twarm/baseline\twarm gzip/baseline warm\t"
	}
	fmt.Fprintln(tw, head)
	for _, r := range rows {
		fmt.Fprintf(tw, "%s\t%d\t%.0f\t%.0f\t%s\t%s\t%s\t%.0f\t%s\t%s\t%s\t%.0f\t%s\t%s\t%s\t%.0f\t%s\t%.2f\t%.2f\t%.1f\t%s\t%.2f\t",
			r.layer, r.zoom, r.bytes,
			r.ceil.rate, fmtDur(r.ceil.p50), fmtDur(r.ceil.p99), fmtDur(r.ceil.cpuPerTile()),
			r.cold.rate, fmtDur(r.cold.p50), fmtDur(r.cold.p99), fmtDur(r.cold.cpuPerTile()),
			r.warm.rate, fmtDur(r.warm.p50), fmtDur(r.warm.p99), fmtDur(r.warm.cpuPerTile()),
			r.http.rate, fmtDur(r.http.cpuPerTile()),
			ratio(r.cold.rate, r.ceil.rate), ratio(float64(r.ceil.cpuPerTile()), float64(r.cold.cpuPerTile())),
			ratio(r.warm.rate, r.cold.rate), r.warmHTTP, ratio(float64(r.http.cpuPerTile()), float64(r.warm.cpuPerTile())))
		fmt.Fprintf(tw, "%.0f\t%s\t%.0f\t%.0f\t%s\t%s\t%s\t", r.httpHeaders.rate, r.warmHeaders, r.gzBytes, r.warmGzip.rate, fmtDur(r.warmGzip.p50), fmtDur(r.warmGzip.cpuPerTile()), r.gzipWarm)
		if cfg.baseline != "" {
			fmt.Fprintf(tw, "%.0f\t%.0f\t%s\t%s\t%s\t", r.baseCold.rate, r.baseWarm.rate, r.coldBase, r.warmBase, r.gzipBase)
		}
		fmt.Fprintln(tw)
	}
	tw.Flush()
}

func ratio(a, b float64) float64 {
	if b == 0 {
		return 0
	}
	return a / b
}
