package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"riskmap/api"
	"riskmap/audit"
	"riskmap/auth"
	"riskmap/features"
	"riskmap/importers"
	"riskmap/metrics"
	"riskmap/web"
)

type serveFlags struct {
	addr     string
	tokenTTL time.Duration
	maxBody  int64
	origins  string
	proxies  string
	public   string
	cases    caseFlags
	notify   notifyFlags
	patrols  patrolFlags
	reads    readFlags
	tiles    tileFlags
	web      webFlags
	coverage coverageFlags
	timeouts timeoutFlags
	editing  editingFlags
	gcFloor  gcFloorMB
}

func (f *serveFlags) register(fs *flag.FlagSet) {
	addr := os.Getenv("RISKMAP_ADDR")
	if addr == "" {
		addr = "127.0.0.1:8080"
	}
	fs.StringVar(&f.addr, "addr", addr, "listen address (env RISKMAP_ADDR)")
	fs.DurationVar(&f.tokenTTL, "token-ttl", 12*time.Hour, "how long a login token lasts")
	fs.Int64Var(&f.maxBody, "max-body", 8<<20, "largest request body in bytes")
	fs.StringVar(&f.origins, "cors-origins", os.Getenv("RISKMAP_CORS_ORIGINS"), "comma-separated origins allowed by CORS (default none)")
	fs.StringVar(&f.proxies, "trusted-proxies", os.Getenv("RISKMAP_TRUSTED_PROXIES"), "comma-separated addresses or CIDR ranges of reverse proxies whose X-Forwarded-For/-Proto are believed (env RISKMAP_TRUSTED_PROXIES; default none)")
	fs.StringVar(&f.public, "public-url", os.Getenv("RISKMAP_PUBLIC_URL"), "the address users reach the service by, e.g. https://riskmap.example.gov.cn, for absolute URLs in TileJSON, the style and OGC links (env RISKMAP_PUBLIC_URL; default: the request's host when it is this machine, else the listen address)")
	f.cases.register(fs)
	f.notify.register(fs)
	f.patrols.register(fs)
	f.reads.register(fs)
	f.tiles.register(fs)
	f.web.register(fs)
	f.coverage.register(fs)
	f.timeouts.register(fs)
	f.editing.register(fs)
	f.gcFloor.register(fs)
}

func runServe(ctx context.Context, logger *slog.Logger, args []string) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	var f serveFlags
	f.register(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	pool, err := openMigrated(ctx, logger)
	if err != nil {
		return err
	}
	defer pool.Close()
	return serve(ctx, logger, pool, f, nil)
}

// serve runs the HTTP server until ctx ends, then drains requests in flight.
func serve(ctx context.Context, logger *slog.Logger, pool *pgxpool.Pool, f serveFlags, ready func(addr string)) error {
	gcCtx, stopGC := context.WithCancel(ctx)
	defer stopGC()
	go f.gcFloor.keep(gcCtx, gcFloorEvery)
	origins, proxies := splitList(f.origins), splitList(f.proxies)
	if err := api.CheckTrustedProxies(proxies); err != nil {
		return fmt.Errorf("--trusted-proxies: %w", err)
	}
	if f.public != "" {
		if err := api.CheckPublicURL(f.public); err != nil {
			return fmt.Errorf("--public-url %q: %w", f.public, err)
		}
	} else if host, _, _ := strings.Cut(f.addr, ":"); host != "127.0.0.1" && host != "localhost" && host != "[::1]" {
		logger.Warn("--public-url is not set: links in TileJSON, the style and OGC answers name the listen address to clients not on this machine; set it to the address users reach the service by",
			"listen", api.ListenURL(f.addr))
	}
	reads, closeReads, err := f.reads.wire(ctx, logger, pool)
	if err != nil {
		return err
	}
	defer closeReads()
	srv := &api.Server{
		Features:       features.NewStoreWith(pool, features.Options{Reads: reads.For("features", nil)}),
		Reads:          reads,
		Auth:           auth.NewService(pool, f.tokenTTL, auth.NewLimiter(10, 15*time.Minute)),
		Audit:          audit.NewLog(pool),
		Web:            web.Files(),
		DB:             pool,
		Logger:         logger,
		MaxBody:        f.maxBody,
		AllowedOrigins: origins,
		TrustedProxies: proxies,
		PublicURL:      f.public,
		Imports:        importers.NewJobs(pool, logger),
	}
	if n, err := srv.Imports.Reap(ctx, time.Minute); err != nil {
		logger.Warn("reap interrupted imports", "err", err)
	} else if n > 0 {
		logger.Warn("imports interrupted by a stopped process marked as such", "count", n)
	}
	// the remembered tokens (tiles: auth.Service.AuthenticateCached) follow
	// account changes on a connection of their own
	authConn := pool.Config().ConnConfig
	go func() {
		err := srv.Auth.Listen(ctx, func(ctx context.Context) (*pgx.Conn, error) { return pgx.ConnectConfig(ctx, authConn.Copy()) }, logger)
		if err != nil {
			logger.Error("auth: change notifications stopped", "err", err)
		}
	}()
	if err := f.cases.wire(ctx, logger, pool, reads.For("cases", nil), srv); err != nil {
		return err
	}
	if err := f.notify.wire(ctx, logger, pool, srv, f.public, f.addr); err != nil {
		return err
	}
	if err := f.patrols.wire(ctx, logger, pool, reads, srv, f.cases.blobDir, f.cases.maxUpload); err != nil {
		return err
	}
	closeTiles, err := f.tiles.wire(ctx, logger, pool, reads, srv)
	if err != nil {
		return err
	}
	defer closeTiles()
	f.coverage.expiryDays = f.editing.expiryDays
	if err := f.coverage.wire(ctx, logger, pool, reads.For("coverage", nil), srv); err != nil {
		return err
	}
	if err := f.editing.wire(pool, srv, f.cases); err != nil {
		return err
	}
	if err := f.web.wire(logger, srv); err != nil {
		return err
	}
	srv.Metrics = metrics.New()
	srv.Metrics.RegisterPool(pool)
	readMetrics(srv.Metrics, reads)
	if srv.Tiles != nil {
		tileMetrics(srv.Metrics, srv.Tiles)
	}
	if srv.Cases != nil {
		srv.Metrics.GaugeByLabel("riskmap_cases", "Cases by state (and overdue).", "state", 15*time.Second, srv.Cases.CountByState)
	}
	hs := srv.HTTPServer(f.addr)
	f.timeouts.apply(srv, hs)
	errc := make(chan error, 1)
	go func() { errc <- hs.ListenAndServe() }()
	logger.Info("serving", "addr", "http://"+f.addr)
	if ready != nil {
		ready(f.addr)
	}
	select {
	case err := <-errc:
		return fmt.Errorf("serve %s: %w", f.addr, err)
	case <-ctx.Done():
	}
	logger.Info("shutting down: finishing requests in flight")
	sctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := hs.Shutdown(sctx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// splitList reads a comma-separated flag.
func splitList(s string) []string {
	var out []string
	for _, v := range strings.Split(s, ",") {
		if v = strings.TrimSpace(v); v != "" {
			out = append(out, v)
		}
	}
	return out
}
