package auth

import (
	"sync"
	"time"
)

// Limiter counts failed logins per username and per client address in a
// sliding window. It is per replica: behind a load balancer each replica
// enforces its own share, which still bounds guessing.
type Limiter struct {
	mu     sync.Mutex
	max    int
	window time.Duration
	fails  map[string][]time.Time
	now    func() time.Time
}

// NewLimiter allows max failures per key within window.
func NewLimiter(max int, window time.Duration) *Limiter {
	return &Limiter{max: max, window: window, fails: map[string][]time.Time{}, now: time.Now}
}

func (l *Limiter) recent(key string) []time.Time {
	cut := l.now().Add(-l.window)
	ts := l.fails[key]
	i := 0
	for i < len(ts) && ts[i].Before(cut) {
		i++
	}
	ts = ts[i:]
	if len(ts) == 0 {
		delete(l.fails, key)
		return nil
	}
	l.fails[key] = ts
	return ts
}

// Blocked returns how long the user or address must wait, or 0.
func (l *Limiter) Blocked(user, ip string) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	var wait time.Duration
	for _, k := range []string{"u:" + user, "ip:" + ip} {
		if ts := l.recent(k); len(ts) >= l.max {
			if w := ts[len(ts)-l.max].Add(l.window).Sub(l.now()); w > wait {
				wait = w
			}
		}
	}
	return wait
}

// Fail records a failed attempt.
func (l *Limiter) Fail(user, ip string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	t := l.now()
	l.fails["u:"+user] = append(l.recent("u:"+user), t)
	l.fails["ip:"+ip] = append(l.recent("ip:"+ip), t)
}

// Succeed clears the user's failures (not the address's).
func (l *Limiter) Succeed(user, ip string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.fails, "u:"+user)
}
