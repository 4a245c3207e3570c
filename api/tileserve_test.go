package api_test

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"riskmap/api"
	"riskmap/metrics"
)

// BenchmarkCachedTileServed measures what the server spends on a cached
// tile, all of it (net/http's reading, the handler, the headers, the
// write), against a bare net/http server writing a body of the same size:
// the bench/tiles HTTP ceiling, in-process; and the handler alone, which
// is riskmap's own share of it. Both servers read the same request
// from a connection that replays it b.N times and drops the answers, so
// no client and no system call is counted.
//
//	go test ./api -run '^$' -bench CachedTileServed -cpuprofile cpu.out
func BenchmarkCachedTileServed(b *testing.B) {
	e := newTileEnv(b, func(s *api.Server) { s.Metrics = metrics.New() })
	z16, _ := tileOf(16, 115.30, 23.00)
	for _, layer := range []string{"risk_points", "all"} {
		path := "/tiles/" + layer + "/" + z16 + ".mvt"
		req := "GET " + path + " HTTP/1.1\r\nHost: riskmap\r\nUser-Agent: wrk\r\nAuthorization: Bearer " + e.token["admin"] + "\r\n\r\n"
		res := e.get(path, e.token["admin"])
		if res.StatusCode != http.StatusOK {
			b.Fatalf("%s: %d", path, res.StatusCode)
		}
		body := res.Body
		b.Run(layer+"/riskmap", func(b *testing.B) {
			serveReplayed(b, e.s.HTTPServer("127.0.0.1:0"), req)
		})
		// the handler alone, its answer written to a reused header map
		// and dropped: riskmap's own work, none of net/http's
		b.Run(layer+"/handler alone", func(b *testing.B) {
			r := httptest.NewRequest(http.MethodGet, path, nil)
			r = r.WithContext(api.WithTokenMemo(r.Context(), nil)) // as on a connection of HTTPServer's
			r.Header.Set("Authorization", "Bearer "+e.token["admin"])
			w := &reusedWriter{h: http.Header{}}
			h := e.s.Handler()
			b.ReportAllocs()
			for b.Loop() {
				clear(w.h)
				h.ServeHTTP(w, r)
			}
			if w.status != http.StatusOK {
				b.Fatalf("%s: %d", path, w.status)
			}
		})
		b.Run(layer+"/bare", func(b *testing.B) {
			serveReplayed(b, &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/vnd.mapbox-vector-tile")
				_, _ = w.Write(body)
			})}, req)
		})
	}
	// what net/http alone charges for the header keys a tile must carry:
	// the eight of a small plain tile, and a ninth (Content-Length over
	// 2 KB, Content-Encoding when gzipped), which outgrows the header
	// map's first group (a 2,093-byte body: the mean z16 tile of all)
	body := make([]byte, 2093)
	keys := []string{"X-Content-Type-Options", "X-Frame-Options", "Referrer-Policy", "Cross-Origin-Opener-Policy",
		"Cache-Control", "Vary", "Etag", "Content-Type", "Content-Length"}
	values := [][]string{{"nosniff"}, {"DENY"}, {"no-referrer"}, {"same-origin"}, {"private, no-cache"},
		{"Authorization, Accept-Encoding"}, {`"0123456789abcdef-2093"`}, {"application/vnd.mapbox-vector-tile"}, {"2093"}}
	req := "GET /tiles/all/16/1/2.mvt HTTP/1.1\r\nHost: riskmap\r\nUser-Agent: wrk\r\nAuthorization: Bearer 0123456789\r\n\r\n"
	for _, n := range []int{8, 9} {
		b.Run(fmt.Sprintf("bare %d header keys", n), func(b *testing.B) {
			serveReplayed(b, &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				h := w.Header()
				for i := range n {
					h[keys[9-n+i]] = values[9-n+i]
				}
				_, _ = w.Write(body)
			})}, req)
		})
	}
}

// serveReplayed has hs answer req b.N times on one kept-alive connection.
func serveReplayed(b *testing.B, hs *http.Server, req string) {
	c := &replayConn{req: []byte(req), left: b.N, closed: make(chan struct{})}
	l := &oneConnListener{c: c, done: make(chan struct{})}
	b.ReportAllocs()
	b.ResetTimer()
	go func() { _ = hs.Serve(l) }()
	<-c.closed
	b.StopTimer()
	close(l.done)
	if !bytes.HasPrefix(c.first, []byte("HTTP/1.1 200 ")) {
		b.Fatalf("answer: %.300s", c.first)
	}
}

// replayConn reads as req repeated left times, then EOF; it keeps the
// start of the first answer and drops the rest.
type replayConn struct {
	req    []byte
	left   int
	off    int
	first  []byte
	closed chan struct{}
	once   sync.Once
}

func (c *replayConn) Read(p []byte) (int, error) {
	if c.off == len(c.req) {
		c.off = 0
	}
	if c.off == 0 {
		if c.left == 0 {
			return 0, io.EOF
		}
		c.left--
	}
	n := copy(p, c.req[c.off:])
	c.off += n
	return n, nil
}

func (c *replayConn) Write(p []byte) (int, error) {
	if c.first == nil {
		c.first = append([]byte{}, p...)
	}
	return len(p), nil
}

func (c *replayConn) Close() error        { c.once.Do(func() { close(c.closed) }); return nil }
func (c *replayConn) LocalAddr() net.Addr { return &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 80} }
func (c *replayConn) RemoteAddr() net.Addr {
	return &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 50000}
}
func (c *replayConn) SetDeadline(time.Time) error      { return nil }
func (c *replayConn) SetReadDeadline(time.Time) error  { return nil }
func (c *replayConn) SetWriteDeadline(time.Time) error { return nil }

// oneConnListener accepts c once, then waits until done.
type oneConnListener struct {
	c    net.Conn
	once sync.Once
	done chan struct{}
}

func (l *oneConnListener) Accept() (net.Conn, error) {
	var c net.Conn
	l.once.Do(func() { c = l.c })
	if c != nil {
		return c, nil
	}
	<-l.done
	return nil, net.ErrClosed
}

func (l *oneConnListener) Close() error   { return nil }
func (l *oneConnListener) Addr() net.Addr { return l.c.LocalAddr() }
