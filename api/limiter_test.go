package api_test

import (
	"fmt"
	"io"
	"log/slog"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	"riskmap/api"
	"riskmap/auth"
	"riskmap/features"
)

// limitedServer is another replica over e's database with a login limit
// of 5 failures in 15 minutes, believing forwarding headers from proxies.
func limitedServer(t *testing.T, e *env, proxies ...string) *httptest.Server {
	t.Helper()
	s := &api.Server{Features: features.NewStore(e.pool), Auth: auth.NewService(e.pool, time.Hour, auth.NewLimiter(5, 15*time.Minute)),
		DB: e.pool, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), MaxBody: 1 << 20, TrustedProxies: proxies}
	srv := httptest.NewServer(s.Handler())
	t.Cleanup(srv.Close)
	return srv
}

// login tries a password through srv from the address forwarded (if any).
func login(t *testing.T, e *env, srv *httptest.Server, user, password, forwardedFor string) response {
	t.Helper()
	old := e.srv
	defer func() { e.srv = old }()
	e.srv = srv
	var h []string
	if forwardedFor != "" {
		h = []string{"X-Forwarded-For", forwardedFor}
	}
	return e.do("POST", "/api/v1/auth/login", "", fmt.Sprintf(`{"username":%q,"password":%q}`, user, password), nil, h...)
}

func wantRetryAfter(t *testing.T, what string, res response) {
	t.Helper()
	if res.StatusCode != 429 {
		t.Fatalf("%s: %d, want 429: %s", what, res.StatusCode, res.Body)
	}
	if s, err := strconv.Atoi(res.Header.Get("Retry-After")); err != nil || s < 1 || s > 15*60 {
		t.Errorf("%s: Retry-After %q, want 1 s to 15 min", what, res.Header.Get("Retry-After"))
	}
}

// Failures are counted in the database: two replicas enforce one limit.
func TestFailedLoginsAreCountedAcrossReplicas(t *testing.T) {
	e := newEnv(t)
	a, b := limitedServer(t, e), limitedServer(t, e)
	for i := range 5 {
		srv := []*httptest.Server{a, b}[i%2]
		if res := login(t, e, srv, "xingang", "wrong-password", ""); res.StatusCode != 401 {
			t.Fatalf("failure %d: %d", i+1, res.StatusCode)
		}
	}
	wantRetryAfter(t, "the sixth try on replica A", login(t, e, a, "xingang", "wrong-password", ""))
	wantRetryAfter(t, "the sixth try on replica B", login(t, e, b, "xingang", "wrong-password", ""))
}

// With no trusted proxy, X-Forwarded-For is not believed: rotating it does
// not reset the address's count.
func TestForwardedForFromAnUntrustedClientIsIgnored(t *testing.T) {
	e := newEnv(t)
	srv := limitedServer(t, e)
	for i := range 5 {
		// a new username and a new forged address each time
		if res := login(t, e, srv, fmt.Sprintf("nobody%d", i), "wrong-password", fmt.Sprintf("198.51.100.%d", i)); res.StatusCode != 401 {
			t.Fatalf("failure %d: %d", i+1, res.StatusCode)
		}
	}
	wantRetryAfter(t, "a sixth address forged", login(t, e, srv, "nobody9", "wrong-password", "198.51.100.99"))
	// behind a configured proxy the forwarded address is the client's
	proxied := limitedServer(t, e, "127.0.0.1")
	for i := range 7 {
		if res := login(t, e, proxied, fmt.Sprintf("someone%d", i), "wrong-password", fmt.Sprintf("203.0.113.%d", i)); res.StatusCode != 401 {
			t.Fatalf("through the trusted proxy, client %d: %d", i, res.StatusCode)
		}
	}
}

// A guesser locks the username against their own addresses only: the real
// user logs in from theirs, and each new address gets one guess.
func TestAUsernameLockSlowsGuessingWithoutLockingOutTheRealUser(t *testing.T) {
	e := newEnv(t)
	srv := limitedServer(t, e, "127.0.0.1")
	for i := range 5 {
		// five guesses from three addresses
		if res := login(t, e, srv, "admin", "guess", fmt.Sprintf("203.0.113.%d", i%3)); res.StatusCode != 401 {
			t.Fatalf("guess %d: %d", i+1, res.StatusCode)
		}
	}
	wantRetryAfter(t, "a guesser's address", login(t, e, srv, "admin", "guess", "203.0.113.1"))
	wantRetryAfter(t, "a guesser's address with the right password", login(t, e, srv, "admin", "admin-pass-1", "203.0.113.2"))
	if res := login(t, e, srv, "admin", "admin-pass-1", "198.51.100.2"); res.StatusCode != 200 {
		t.Fatalf("the real user from their own address: %d %s", res.StatusCode, res.Body)
	}
	if res := login(t, e, srv, "admin", "guess", "192.0.2.44"); res.StatusCode != 401 {
		t.Fatalf("a new address's first guess: %d", res.StatusCode)
	}
	wantRetryAfter(t, "a new address's second guess", login(t, e, srv, "admin", "guess-again", "192.0.2.44"))
}

// Changing one's password is a login of its own: the same limits.
func TestWrongCurrentPasswordsAreLimitedLikeLogins(t *testing.T) {
	e := newEnv(t)
	srv := limitedServer(t, e)
	e.srv = srv
	for i := range 5 {
		res := e.do("POST", "/api/v1/auth/password", "worker1", map[string]string{"old_password": fmt.Sprintf("guess-%d", i), "new_password": "whatever-123"}, nil)
		if res.StatusCode != 403 {
			t.Fatalf("guess %d: %d", i+1, res.StatusCode)
		}
	}
	res := e.do("POST", "/api/v1/auth/password", "worker1", map[string]string{"old_password": "worker1-pass-1", "new_password": "whatever-123"}, nil)
	wantRetryAfter(t, "the sixth try", res)
}
