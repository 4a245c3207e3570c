package workload

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"time"
)

// Health is a record of /healthz polled every 200 ms.
type Health struct {
	mu     sync.Mutex
	points []healthPoint
}

type healthPoint struct {
	at     time.Time
	status int // 0: no answer within 5 s
	took   time.Duration
}

// WatchHealth polls base's /healthz until ctx ends.
func WatchHealth(ctx context.Context, base string) *Health {
	h := &Health{}
	hc := &http.Client{Timeout: 5 * time.Second}
	go func() {
		for ctx.Err() == nil {
			start := time.Now()
			status := 0
			if res, err := hc.Get(base + "/healthz"); err == nil {
				res.Body.Close()
				status = res.StatusCode
			}
			h.mu.Lock()
			h.points = append(h.points, healthPoint{start, status, time.Since(start)})
			h.mu.Unlock()
			select {
			case <-ctx.Done():
			case <-time.After(200 * time.Millisecond):
			}
		}
	}()
	return h
}

// HealthOutage is what /healthz said around an outage from down to up.
type HealthOutage struct {
	Unavailable int           // 503 answers
	NoAnswer    int           // polls without an answer within 5 s
	BackAfter   time.Duration // from up to the first 200 (-1: none)
	Slowest     time.Duration
}

// Outage summarises the polls around an outage.
func (h *Health) Outage(down, up time.Time) HealthOutage {
	h.mu.Lock()
	defer h.mu.Unlock()
	o := HealthOutage{BackAfter: -1}
	for _, p := range h.points {
		switch p.status {
		case 503:
			o.Unavailable++
		case 0:
			o.NoAnswer++
		case 200:
			if p.at.After(up) && o.BackAfter < 0 {
				o.BackAfter = p.at.Add(p.took).Sub(up)
			}
		}
		o.Slowest = max(o.Slowest, p.took)
	}
	return o
}

func (o HealthOutage) String() string {
	if o.BackAfter < 0 {
		return fmt.Sprintf("/healthz: %d answers 503, %d none, never 200 after the database came back", o.Unavailable, o.NoAnswer)
	}
	return fmt.Sprintf("/healthz: %d answers 503 while the database was away (%d none), 200 again %.1f s after it was back; slowest %.0f ms",
		o.Unavailable, o.NoAnswer, o.BackAfter.Seconds(), float64(o.Slowest)/float64(time.Millisecond))
}
