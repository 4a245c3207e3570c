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

// Problems holds the run to the rule of an outage and says what breaks it:
// every request answered (within clientTimeout), no 5xx before the
// outage, no 5xx but 503 at any time and at least one 503 (else the
// fault did not bite), no 4xx at all (the workload never sends a request
// the server may refuse: a step after a failed one is not taken), the
// server recovered within recoverWithin of the database and requests
// succeeding after it, no anomaly. None: the run holds.
func (o Outage) Problems(res *Result, clientTimeout, recoverWithin time.Duration) []string {
	var out []string
	if n := o.Before.Failed + o.During.Failed + o.After.Failed; n > 0 {
		out = append(out, fmt.Sprintf("%d requests got no answer within %s: the server must answer 503, not hang", n, clientTimeout))
	}
	if o.Other5xx > 0 {
		for _, q := range res.Requests {
			if q.Status >= 500 && q.Status != 503 {
				out = append(out, fmt.Sprintf("%d answers were 5xx other than 503, the first %s: %s; only 503 may say the database is away", o.Other5xx, q.Route, q.Err))
				break
			}
		}
	}
	if o.Before.Status5xx > 0 {
		out = append(out, fmt.Sprintf("%d answers were 5xx before the database went away", o.Before.Status5xx))
	}
	if n := o.Before.Status4xx + o.During.Status4xx + o.After.Status4xx; n > 0 {
		for _, q := range res.Requests {
			if q.Status >= 400 && q.Status < 500 {
				out = append(out, fmt.Sprintf("%d answers were 4xx, the first %s: %s", n, q.Route, q.Err))
				break
			}
		}
	}
	if o.Served503 == 0 {
		out = append(out, "no request answered 503 while the database was away: the fault did not bite")
	}
	if o.Recovery > recoverWithin {
		out = append(out, fmt.Sprintf("5xx answers until %.1f s after the database was back; want recovery within %s", o.Recovery.Seconds(), recoverWithin))
	}
	if o.SucceededAfter == 0 {
		out = append(out, "no request succeeded after the database was back")
	}
	if len(res.Anomalies) > 0 {
		out = append(out, fmt.Sprintf("%d anomalies: %v", len(res.Anomalies), res.Anomalies))
	}
	return out
}
