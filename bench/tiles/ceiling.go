package main

import (
	"bytes"
	"context"
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

// serveFixedBody runs the ceiling's server until it is killed.
func serveFixedBody(addr string, size int) error {
	body := bytes.Repeat([]byte{'x'}, size)
	return http.ListenAndServe(addr, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", mvtType)
		_, _ = w.Write(body)
	}))
}

// startFixedBody starts the ceiling's server for bodies of size bytes.
func startFixedBody(ctx context.Context, size, procs int) (*server, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	addr, err := workload.FreeAddr()
	if err != nil {
		return nil, err
	}
	cmd := exec.CommandContext(ctx, self, "-fixed-body-server", addr, "-fixed-body-size", strconv.Itoa(size))
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
