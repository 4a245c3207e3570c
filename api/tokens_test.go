package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"riskmap/api"
	"riskmap/audit"
	"riskmap/auth"
	"riskmap/features"
	"riskmap/tiles"
)

type tokenReply struct {
	ID        int64  `json:"id"`
	Token     string `json:"token"`
	Name      string `json:"name"`
	ReadOnly  bool   `json:"read_only"`
	ExpiresAt string `json:"expires_at"`
}

func basicGet(t *testing.T, url, user, pass string) int {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	req.SetBasicAuth(user, pass)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, res.Body)
	res.Body.Close()
	return res.StatusCode
}

// secondReplica starts another server over the same database, with a tile
// service and a token cache that follow changes, as a second replica would.
func secondReplica(t *testing.T, e *env) *httptest.Server {
	t.Helper()
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	ts := tiles.NewService(e.pool, tiles.Options{CacheBytes: 8 << 20, Logger: logger})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	cfg := e.pool.Config().ConnConfig
	go func() {
		defer close(done)
		_ = ts.Listen(ctx, func(ctx context.Context) (*pgx.Conn, error) { return pgx.ConnectConfig(ctx, cfg.Copy()) })
	}()
	t.Cleanup(func() { cancel(); <-done })
	for deadline := time.Now().Add(10 * time.Second); !ts.Live(); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the second replica's tile listener did not start")
		}
	}
	// its token cache follows account changes as serve's does
	as := auth.NewService(e.pool, time.Hour, auth.NewLimiter(50, time.Minute))
	authDone := make(chan struct{})
	go func() {
		defer close(authDone)
		_ = as.Listen(ctx, func(ctx context.Context) (*pgx.Conn, error) { return pgx.ConnectConfig(ctx, cfg.Copy()) }, logger)
	}()
	t.Cleanup(func() { cancel(); <-authDone })
	s := &api.Server{Features: features.NewStore(e.pool), Auth: as,
		Audit: audit.NewLog(e.pool), DB: e.pool, Logger: logger, MaxBody: 64 << 10, Tiles: ts}
	srv := httptest.NewServer(s.Handler())
	t.Cleanup(srv.Close)
	return srv
}

func TestPersonalAccessTokensCarryTheUserAndNoMore(t *testing.T) {
	e := newEnv(t)
	var tok tokenReply
	res := e.do("POST", "/api/v1/tokens", "xingang", map[string]any{"name": "QGIS 规划科电脑"}, &tok)
	if res.StatusCode != 201 || !strings.HasPrefix(tok.Token, "rm_pat.") || tok.ID == 0 {
		t.Fatalf("create: %d %s", res.StatusCode, res.Body)
	}
	exp, _ := time.Parse(time.RFC3339Nano, tok.ExpiresAt)
	if d := time.Until(exp); d < 89*24*time.Hour || d > 91*24*time.Hour {
		t.Errorf("default expiry %s, want 90 days", tok.ExpiresAt)
	}
	// listed, never with its secret
	res = e.do("GET", "/api/v1/tokens", "xingang", nil, nil)
	if res.StatusCode != 200 || !strings.Contains(string(res.Body), "QGIS 规划科电脑") || strings.Contains(string(res.Body), tok.Token) {
		t.Errorf("list: %d %s", res.StatusCode, res.Body)
	}
	if res := e.do("GET", "/api/v1/tokens", "chengqu", nil, nil); strings.Contains(string(res.Body), "QGIS") {
		t.Errorf("another user sees the token: %s", res.Body)
	}
	// as a bearer token and as a Basic password, with the user's scope
	var fc struct{ Features []feature }
	if res := e.doToken("GET", "/api/v1/auth/me", tok.Token, ""); res.StatusCode != 200 || !strings.Contains(string(res.Body), "xingang") {
		t.Fatalf("bearer: %d %s", res.StatusCode, res.Body)
	}
	if code := basicGet(t, e.srv.URL+"/ogc/collections", "whoever", tok.Token); code != 200 {
		t.Fatalf("Basic: %d", code)
	}
	e.do("POST", "/api/v1/risk_points", "admin", pointFeature(116.7, 23.0, riskProps()), nil) // 海丰: not xingang's
	req, _ := http.NewRequest("GET", e.srv.URL+"/api/v1/risk_points", nil)
	req.SetBasicAuth("x", tok.Token)
	r, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	err = json.NewDecoder(r.Body).Decode(&fc)
	r.Body.Close()
	if err != nil || len(fc.Features) != 0 {
		t.Errorf("the token sees outside its user's scope: %v %d", err, len(fc.Features))
	}
	// a token cannot make tokens
	if res := e.doToken("POST", "/api/v1/tokens", tok.Token, `{"name":"x"}`); res.StatusCode != 403 {
		t.Errorf("a token making a token: %d", res.StatusCode)
	}
	// read-only: reads, never writes
	var ro tokenReply
	e.do("POST", "/api/v1/tokens", "xingang", map[string]any{"name": "只读脚本", "read_only": true, "expires_at": time.Now().Add(24 * time.Hour)}, &ro)
	if res := e.doToken("GET", "/api/v1/risk_points", ro.Token, ""); res.StatusCode != 200 {
		t.Errorf("read-only read: %d", res.StatusCode)
	}
	before := e.snapshot()
	body := `{"type":"Feature","geometry":{"type":"Point","coordinates":[115.2,23.0]},"properties":{"name":"只读","category":"fire","risk_level":3}}`
	if res := e.doToken("POST", "/api/v1/risk_points", ro.Token, body); res.StatusCode != 403 || !strings.Contains(string(res.Body), "read-only") {
		t.Errorf("read-only write: %d %s", res.StatusCode, res.Body)
	}
	if e.snapshot() != before {
		t.Error("a read-only token's write changed the database")
	}
	if res := e.doToken("POST", "/api/v1/risk_points", tok.Token, body); res.StatusCode != 201 {
		t.Errorf("a full token's write: %d %s", res.StatusCode, res.Body)
	}
	// expiry: in the future, within a year
	for _, exp := range []time.Time{time.Now().Add(-time.Hour), time.Now().Add(400 * 24 * time.Hour)} {
		if res := e.do("POST", "/api/v1/tokens", "xingang", map[string]any{"name": "x", "expires_at": exp}, nil); res.StatusCode != 422 {
			t.Errorf("expires_at %s: %d %s", exp, res.StatusCode, res.Body)
		}
	}
	// another user's token cannot be revoked by a stranger
	if res := e.do("DELETE", fmt.Sprintf("/api/v1/tokens/%d", tok.ID), "chengqu", nil, nil); res.StatusCode != 404 {
		t.Errorf("a stranger revoking: %d", res.StatusCode)
	}
}

// TestARevokedTokenIsRefusedAtOnceByAnotherReplica uses a token on a
// second replica (its API, its OGC API through GDAL with Basic auth, its
// tiles, whose token cache remembers it), revokes it on the first, and
// asks the second again.
func TestARevokedTokenIsRefusedAtOnceByAnotherReplica(t *testing.T) {
	e := newEnv(t)
	b := secondReplica(t, e)
	var tok tokenReply
	if res := e.do("POST", "/api/v1/tokens", "planner", map[string]any{"name": "GDAL"}, &tok); res.StatusCode != 201 {
		t.Fatalf("create: %d %s", res.StatusCode, res.Body)
	}
	tile := b.URL + "/tiles/risk_points/12/3403/1792.mvt"
	gdalBasic := func() (string, error) {
		out, err := exec.Command("ogrinfo", "-ro", "-q", "OAPIF:"+b.URL+"/ogc",
			"--config", "GDAL_HTTP_AUTH", "BASIC", "--config", "GDAL_HTTP_USERPWD", "planner:"+tok.Token).CombinedOutput()
		return string(out), err
	}
	if out, err := gdalBasic(); err != nil || !strings.Contains(out, "risk_points") {
		t.Fatalf("GDAL with the token as Basic password: %v\n%s", err, out)
	}
	if code := basicGet(t, tile, "planner", tok.Token); code != 200 && code != 204 {
		t.Fatalf("tile on the second replica: %d", code)
	}
	if res := e.do("DELETE", fmt.Sprintf("/api/v1/tokens/%d", tok.ID), "planner", nil, nil); res.StatusCode != 204 {
		t.Fatalf("revoke: %d %s", res.StatusCode, res.Body)
	}
	if code := basicGet(t, b.URL+"/api/v1/auth/me", "planner", tok.Token); code != 401 {
		t.Errorf("the API of the second replica after revocation: %d", code)
	}
	if out, err := gdalBasic(); err == nil {
		t.Errorf("GDAL still reads the second replica with a revoked token:\n%s", out)
	}
	// the tile path's token cache hears of it through NOTIFY
	deadline := time.Now().Add(time.Second)
	for basicGet(t, tile, "planner", tok.Token) != 401 {
		if time.Now().After(deadline) {
			t.Fatal("the second replica's tiles still take the revoked token after a second")
		}
		time.Sleep(20 * time.Millisecond)
	}
}
