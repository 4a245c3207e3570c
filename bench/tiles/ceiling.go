package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"time"

	"riskmap/bench/load/workload"
)

// The HTTP ceiling: a bare net/http server answering every request with a
// fixed body the size of the layer's mean tile, in a process of its own
// (this benchmark's binary, re-run with -fixed-body-server) with the
// servers' GOMAXPROCS. It is what any Go HTTP server costs per request on
// this machine with this load generator, measured in the same rounds as
// riskmap: warm tiles are compared with it, never with a figure from
// another run.

const mvtType = "application/vnd.mapbox-vector-tile"

// netHTTPBuffer is what net/http holds before it sends a body chunked: a
// larger body gets its Content-Length from the handler, as riskmap's tiles
// over 2 KB do.
const netHTTPBuffer = 2048

// serveFixedBody runs the ceiling's server until it is killed. With header
// nil it writes Content-Type only; else header (a cached tile's, from
// tileHeaders) and Content-Length beyond netHTTPBuffer, as riskmap does:
// the ceiling for an answer that must carry a tile's headers, what
// net/http charges for them apart from riskmap's handler.
func serveFixedBody(addr string, size int, header http.Header) error {
	body := bytes.Repeat([]byte{'x'}, size)
	if header == nil {
		header = http.Header{"Content-Type": {mvtType}}
	} else if size > netHTTPBuffer {
		header["Content-Length"] = []string{strconv.Itoa(size)}
	}
	return http.ListenAndServe(addr, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		for k, v := range header {
			h[k] = v
		}
		_, _ = w.Write(body)
	}))
}

// startFixedBody starts the ceiling's server for bodies of size bytes,
// writing header (nil: Content-Type only).
func startFixedBody(ctx context.Context, size, procs int, header http.Header) (*server, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	addr, err := workload.FreeAddr()
	if err != nil {
		return nil, err
	}
	args := []string{"-fixed-body-server", addr, "-fixed-body-size", strconv.Itoa(size)}
	if header != nil {
		h, err := json.Marshal(header)
		if err != nil {
			return nil, err
		}
		args = append(args, "-fixed-body-headers", string(h))
	}
	cmd := exec.CommandContext(ctx, self, args...)
	if procs > 0 {
		cmd.Env = append(os.Environ(), "GOMAXPROCS="+strconv.Itoa(procs))
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	s := &server{base: "http://" + addr, cmd: cmd, token: "none"}
	for range 100 {
		if res, err := http.Get(s.base + "/"); err == nil {
			res.Body.Close()
			return s, nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	s.stop()
	return nil, fmt.Errorf("the fixed-body server did not come up on %s", addr)
}

// startTileHeaderCeiling starts the ceiling that writes the headers warm
// sent for the first of paths it answers.
func startTileHeaderCeiling(ctx context.Context, warm *server, paths []string, size, procs int) (*server, error) {
	h, err := tileHeaders(warm, paths)
	if err != nil {
		return nil, fmt.Errorf("the HTTP ceiling with a tile's headers: %w", err)
	}
	return startFixedBody(ctx, size, procs, h)
}

// tileHeaders are the header keys and values of a cached tile's answer
// from srv (the first path answered 200), but Date and Content-Length,
// which net/http or serveFixedBody set.
func tileHeaders(srv *server, paths []string) (http.Header, error) {
	for _, p := range paths {
		req, err := http.NewRequest(http.MethodGet, srv.base+p, nil)
		if err != nil {
			return nil, err
		}
		req.Header.Set("Authorization", "Bearer "+srv.token)
		res, err := http.DefaultTransport.RoundTrip(req) // as sent: no gzip asked, none undone
		if err != nil {
			return nil, err
		}
		res.Body.Close()
		if res.StatusCode == http.StatusOK {
			h := res.Header.Clone()
			h.Del("Date")
			h.Del("Content-Length")
			return h, nil
		}
	}
	return nil, fmt.Errorf("no tile of %d answered 200", len(paths))
}
