package resilience

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"

	"riskmap"
	"riskmap/auth"
)

// SIGTERM (what systemd, Kubernetes and `docker stop` send) makes the
// server stop taking connections and finish the requests in flight: a
// login whose body is still arriving when the signal comes is answered
// 200 with its token, a live feed open meanwhile ends instead of holding
// the shutdown up, and the process exits 0.
func TestGracefulShutdownFinishesRequestsInFlight(t *testing.T) {
	url, pool := scratchDB(t)
	srv := startServer(t, url)
	city, _ := user(t, pool, srv.Base, auth.UserSpec{Username: "city", Role: riskmap.RoleCity, Areas: []string{"441500000000"}})
	addr := strings.TrimPrefix(srv.Base, "http://")

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	feed(t, ctx, srv.Base, city) // open while the server shuts down

	// a request in flight: headers and half the body sent
	body := `{"username":"city","password":"resilience-city-1"}`
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	fmt.Fprintf(c, "POST /api/v1/auth/login HTTP/1.1\r\nHost: riskmap\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s", len(body), body[:20])
	time.Sleep(200 * time.Millisecond)

	if err := srv.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	// new connections are refused once the listener is closed
	refused := false
	for i := 0; i < 50 && !refused; i++ {
		time.Sleep(50 * time.Millisecond)
		if conn, err := net.DialTimeout("tcp", addr, time.Second); err != nil {
			refused = true
		} else {
			conn.Close()
		}
	}
	if !refused {
		t.Error("the server still took new connections 2.5 s after SIGTERM")
	}
	if _, err := io.WriteString(c, body[20:]); err != nil {
		t.Fatalf("the rest of the body: %v", err)
	}
	_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
	res, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatalf("the request in flight got no answer: %v", err)
	}
	reply, _ := io.ReadAll(res.Body)
	var out struct{ Token string }
	if res.StatusCode != 200 || json.Unmarshal(reply, &out) != nil || out.Token == "" {
		t.Errorf("the request in flight: %d %s, want 200 with a token", res.StatusCode, reply)
	}
	select {
	case <-srv.Done():
	case <-time.After(15 * time.Second):
		t.Fatal("the server had not exited 15 s after SIGTERM (an open live feed must not hold it up)")
	}
	if err := srv.Wait(); err != nil {
		t.Errorf("the server exited with %v after SIGTERM, want 0", err)
	}
}
