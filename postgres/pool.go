// Package postgres opens connections to the system of record.
package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"riskmap/migrations"
)

// DefaultConnectTimeout bounds a connection attempt when the URL sets no
// connect_timeout.
const DefaultConnectTimeout = 5 * time.Second

// Open returns a pool for url after checking the database answers.
func Open(ctx context.Context, url string, maxConns int32) (*pgxpool.Pool, error) {
	cfg, err := poolConfig(url, maxConns)
	if err != nil {
		return nil, err
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("connect: %w", err)
	}
	pctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := pool.Ping(pctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("connect to database: %w", err)
	}
	return pool, nil
}

// StandbyApplicationName names the sessions of a standby's pool.
const StandbyApplicationName = "riskmap-reads"

// OpenStandby returns a pool for a hot standby's url (or several, or a
// load balancer in front of them), for reads that tolerate its lag. Its
// sessions are read-only, and it does not have to answer yet: its users
// fall back to the primary while it does not.
func OpenStandby(ctx context.Context, url string, maxConns int32) (*pgxpool.Pool, error) {
	cfg, err := poolConfig(url, maxConns)
	if err != nil {
		return nil, err
	}
	cfg.ConnConfig.RuntimeParams["default_transaction_read_only"] = "on"
	// told apart from the primary's sessions in pg_stat_activity
	cfg.ConnConfig.RuntimeParams["application_name"] = StandbyApplicationName
	return pgxpool.NewWithConfig(ctx, cfg)
}

// poolConfig is url's pool configuration with the project's session
// settings.
func poolConfig(url string, maxConns int32) (*pgxpool.Config, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("parse database url: %w", err)
	}
	if maxConns > 0 {
		cfg.MaxConns = maxConns
	}
	cfg.ConnConfig.RuntimeParams["application_name"] = "riskmap"
	// A database that stops answering (frozen, partitioned) fails a connect
	// after this long instead of hanging it; connect_timeout in url overrides.
	// (A multi-host url tries each host for that long.)
	if cfg.ConnConfig.ConnectTimeout == 0 {
		cfg.ConnConfig.ConnectTimeout = DefaultConnectTimeout
	}
	// Statistics dates are Asia/Shanghai; keep the session in that zone.
	cfg.ConnConfig.RuntimeParams["timezone"] = "Asia/Shanghai"
	return cfg, nil
}

// Migrate applies the embedded migrations over one dedicated connection.
func Migrate(ctx context.Context, url string) error {
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		return fmt.Errorf("connect for migrations: %w", err)
	}
	defer conn.Close(context.Background())
	return migrations.Migrate(ctx, conn)
}
