package workload

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"
	"time"
)

// RouteStats summarises the requests of one route.
type RouteStats struct {
	Route                       string
	N, OK, Status4xx, Status5xx int
	Failed                      int // no answer: transport error or the client's timeout
	Unexpected                  int // not an answer the workload wanted (any status)
	P50, P90, P99, Max          time.Duration
}

// Stats summarises reqs by route, in route order.
func Stats(reqs []Request) []RouteStats {
	by := map[string][]Request{}
	for _, q := range reqs {
		by[q.Route] = append(by[q.Route], q)
	}
	var out []RouteStats
	for route, qs := range by {
		s := RouteStats{Route: route, N: len(qs)}
		ds := make([]time.Duration, 0, len(qs))
		for _, q := range qs {
			ds = append(ds, q.Took)
			switch {
			case q.Status == 0:
				s.Failed++
			case q.Status >= 500:
				s.Status5xx++
			case q.Status >= 400:
				s.Status4xx++
			default:
				s.OK++
			}
			if q.Unexpected() {
				s.Unexpected++
			}
		}
		sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
		s.P50, s.P90, s.P99, s.Max = quantile(ds, 0.50), quantile(ds, 0.90), quantile(ds, 0.99), ds[len(ds)-1]
		out = append(out, s)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Route < out[j].Route })
	return out
}

// quantile of sorted ds (nearest rank).
func quantile(ds []time.Duration, q float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	i := int(q*float64(len(ds))+0.999999) - 1
	return ds[max(0, min(i, len(ds)-1))]
}

// Totals are the whole run's counts.
type Totals struct {
	Requests, OK, Status4xx, Status5xx, Failed, Unexpected int
	PerSecond                                              float64
}

// Totals sums the routes.
func (r *Result) Totals() Totals {
	var t Totals
	for _, s := range Stats(r.Requests) {
		t.Requests += s.N
		t.OK += s.OK
		t.Status4xx += s.Status4xx
		t.Status5xx += s.Status5xx
		t.Failed += s.Failed
		t.Unexpected += s.Unexpected
	}
	if r.Elapsed > 0 {
		t.PerSecond = float64(t.Requests) / r.Elapsed.Seconds()
	}
	return t
}

// Print writes the per-route table, the totals and a sample of the
// unexpected answers.
func (r *Result) Print(w io.Writer) {
	tw := tabwriter.NewWriter(w, 0, 2, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "route\trequests\t2xx/304\t4xx\t5xx\tno answer\tp50 ms\tp90 ms\tp99 ms\tmax ms\t")
	for _, s := range Stats(r.Requests) {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\t%d\t%s\t%s\t%s\t%s\t\n", s.Route, s.N, s.OK, s.Status4xx, s.Status5xx, s.Failed,
			ms(s.P50), ms(s.P90), ms(s.P99), ms(s.Max))
	}
	tw.Flush()
	t := r.Totals()
	fmt.Fprintf(w, "total: %d requests in %.1f s (%.0f/s): %d 2xx/304, %d 4xx, %d 5xx, %d without answer; %d acknowledged writes\n",
		t.Requests, r.Elapsed.Seconds(), t.PerSecond, t.OK, t.Status4xx, t.Status5xx, t.Failed, len(r.Acks))
	shown := 0
	for _, q := range r.Requests {
		if q.Unexpected() && shown < 10 {
			fmt.Fprintf(w, "  unexpected: %s: %s\n", q.Route, strings.ReplaceAll(q.Err, "\n", " "))
			shown++
		}
	}
	for i, a := range r.Anomalies {
		if i == 10 {
			break
		}
		fmt.Fprintf(w, "  anomaly: %s\n", a)
	}
}

func ms(d time.Duration) string { return fmt.Sprintf("%.1f", float64(d)/float64(time.Millisecond)) }
