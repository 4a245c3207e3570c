package notify_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"riskmap/notify"
)

// A channel cannot make the server call the intranet (SSRF): by default a
// robot on a loopback address is never dialled — the test button answers
// that the address is not public and says nothing of what listens there —
// while with AllowPrivate (an intranet robot gateway) the same robot is
// reached.
func TestRobotsOnInnerAddressesAreNeverCalledUnlessAllowed(t *testing.T) {
	f := newFixture(t, notify.Config{})
	var hits atomic.Int64
	inner := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		hits.Add(1)
		w.WriteHeader(http.StatusForbidden)
		fmt.Fprint(w, "internal admin console: secret-token-123")
	}))
	defer inner.Close()
	in, err := notify.ParseChannel([]byte(fmt.Sprintf(`{"area":"441502001000","kind":"wecom","name":"内网","url":"%s/cgi-bin/webhook/send?key=k"}`, inner.URL)))
	if err != nil {
		t.Fatal(err)
	}
	ch, err := f.svc.CreateChannel(f.ctx, f.users["xingang"], in)
	if err != nil {
		t.Fatal(err)
	}
	for _, url := range []string{inner.URL, "http://localhost:1/x", "http://169.254.169.254/latest/meta-data/", "http://[::1]:1/x", "http://10.0.0.1:1/x"} {
		svc := notify.New(f.pool, f.cases, notify.Config{Now: f.clock.Now})
		if _, err := f.pool.Exec(f.ctx, "UPDATE notification_channels SET url = $2 || '/cgi-bin/webhook/send?key=k' WHERE id = $1", ch.ID, url); err != nil {
			t.Fatal(err)
		}
		res, err := svc.TestChannel(f.ctx, f.users["xingang"], ch.ID)
		if err != nil {
			t.Fatal(err)
		}
		if res.OK || res.Error == nil || !strings.Contains(*res.Error, "not a public") || strings.Contains(*res.Error, "secret-token") {
			t.Errorf("%s: %+v, want refused as not public, nothing of the answer", url, res)
		}
	}
	if n := hits.Load(); n != 0 {
		t.Fatalf("the inner server was called %d times", n)
	}
	// allowed: the same robot is reached
	if _, err := f.pool.Exec(f.ctx, "UPDATE notification_channels SET url = $2 || '/cgi-bin/webhook/send?key=k' WHERE id = $1", ch.ID, inner.URL); err != nil {
		t.Fatal(err)
	}
	svc := notify.New(f.pool, f.cases, notify.Config{Now: f.clock.Now, AllowPrivate: true})
	if _, err := svc.TestChannel(f.ctx, f.users["xingang"], ch.ID); err != nil {
		t.Fatal(err)
	}
	if hits.Load() != 1 {
		t.Errorf("with AllowPrivate the robot was called %d times, want 1", hits.Load())
	}
}
