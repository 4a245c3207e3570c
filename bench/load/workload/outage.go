package workload

import (
	"fmt"
	"time"
)

// Outage judges a run during which the database was away from Down until
// Up (when it accepted connections again).
type Outage struct {
	Down, Up time.Time

	// Before counts requests answered before Down, During those answered
	// after Down and started before Up, After those started after Up.
	Before, During, After Totals
	// Other5xx counts answers >= 500 other than 503, at any time.
	Other5xx int
	// Served503 counts 503 answers.
	Served503 int
	// Slowest is the longest any request took that was under way while
	// the database was away.
	Slowest time.Duration
	// Recovery is how long after Up the last 5xx answered request started
	// (0 when none did): the time the server took to recover by itself.
	Recovery time.Duration
	// SucceededAfter counts 2xx answers to requests started after Up.
	SucceededAfter int
}

// Outage sorts the run's requests around a database outage.
func (r *Result) Outage(down, up time.Time) Outage {
	o := Outage{Down: down, Up: up}
	add := func(t *Totals, q Request) {
		t.Requests++
		switch {
		case q.Status == 0:
			t.Failed++
		case q.Status >= 500:
			t.Status5xx++
		case q.Status >= 400:
			t.Status4xx++
		default:
			t.OK++
		}
		if q.Unexpected() {
			t.Unexpected++
		}
	}
	for _, q := range r.Requests {
		end := q.Start.Add(q.Took)
		switch {
		case end.Before(down):
			add(&o.Before, q)
		case q.Start.Before(up):
			add(&o.During, q)
		default:
			add(&o.After, q)
			if q.Status >= 200 && q.Status < 300 {
				o.SucceededAfter++
			}
		}
		if q.Status == 503 {
			o.Served503++
		} else if q.Status >= 500 {
			o.Other5xx++
		}
		if end.After(down) && q.Start.Before(up) && q.Took > o.Slowest {
			o.Slowest = q.Took
		}
		if q.Status >= 500 && q.Start.Sub(up) > o.Recovery {
			o.Recovery = q.Start.Sub(up)
		}
	}
	return o
}

func (o Outage) String() string {
	return fmt.Sprintf("database away %.1f s: %d requests under way then; %d answers were 503 in all (%d other 5xx, %d without answer), slowest %.0f ms; "+
		"recovered %.1f s after the database was back; %d successful requests after",
		o.Up.Sub(o.Down).Seconds(), o.During.Requests, o.Served503, o.Other5xx, o.Before.Failed+o.During.Failed+o.After.Failed,
		float64(o.Slowest)/float64(time.Millisecond), o.Recovery.Seconds(), o.SucceededAfter)
}
