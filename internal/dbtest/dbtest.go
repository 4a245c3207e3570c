// Package dbtest gives each test a fresh database on a real PostGIS, cloned
// from a template that is migrated (and, for Demo, loaded with the demo city)
// once per schema version.
//
// The server is RISKMAP_TEST_DATABASE_URL when set (any database of that
// server; the role must be allowed to create databases), else the
// project-managed local cluster, started if need be.
package dbtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"riskmap/auth"
	"riskmap/demo"
	"riskmap/localdb"
	"riskmap/migrations"
	"riskmap/postgres"
)

// Kind selects the template.
type Kind int

const (
	Empty Kind = iota // migrated, no data
	Demo              // migrated with the demo city loaded
)

// ServerURL returns the admin connection string of the test server.
func ServerURL(ctx context.Context) (string, error) {
	if u := os.Getenv("RISKMAP_TEST_DATABASE_URL"); u != "" {
		return u, nil
	}
	c := localdb.Config()
	if err := c.Start(ctx); err != nil {
		return "", err
	}
	return c.DatabaseURL("postgres"), nil
}

func dbURL(base, db string) (string, error) {
	cfg, err := pgx.ParseConfig(base)
	if err != nil {
		return "", fmt.Errorf("parse test server url: %w", err)
	}
	q := func(v string) string {
		return "'" + strings.ReplaceAll(strings.ReplaceAll(v, `\`, `\\`), "'", `\'`) + "'"
	}
	return fmt.Sprintf("host=%s port=%d user=%s password=%s dbname=%s sslmode=disable", q(cfg.Host), cfg.Port, q(cfg.User), q(cfg.Password), q(db)), nil
}

// New returns a pool on a new database cloned from the template of kind;
// the database is dropped when the test ends.
func New(t testing.TB, kind Kind) *pgxpool.Pool {
	t.Helper()
	url := Clone(t, kind)
	ctx := context.Background()
	pool, err := postgres.Open(ctx, url, 8)
	if err != nil {
		t.Fatalf("dbtest: %v", err)
	}
	t.Cleanup(pool.Close)
	return pool
}

// Clone creates a database from the template of kind and returns its URL.
func Clone(t testing.TB, kind Kind) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	server, err := ServerURL(ctx)
	if err != nil {
		t.Fatalf("dbtest: test database server: %v", err)
	}
	tpl, err := template(ctx, server, kind)
	if err != nil {
		t.Fatalf("dbtest: template: %v", err)
	}
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	name := "riskmap_t_" + hex.EncodeToString(b)
	admin, err := pgx.Connect(ctx, server)
	if err != nil {
		t.Fatalf("dbtest: %v", err)
	}
	defer admin.Close(ctx)
	if _, err := admin.Exec(ctx, fmt.Sprintf(`CREATE DATABASE %s TEMPLATE %s`, name, tpl)); err != nil {
		// another checkout's run may have dropped a template two hours old
		// (dropStaleTemplates) since template returned it: build it again
		var pe *pgconn.PgError
		if !errors.As(err, &pe) || pe.Code != "3D000" {
			t.Fatalf("dbtest: create %s: %v", name, err)
		}
		if tpl, err = template(ctx, server, kind); err != nil {
			t.Fatalf("dbtest: template: %v", err)
		}
		if _, err := admin.Exec(ctx, fmt.Sprintf(`CREATE DATABASE %s TEMPLATE %s`, name, tpl)); err != nil {
			t.Fatalf("dbtest: create %s: %v", name, err)
		}
	}
	t.Cleanup(func() {
		c, err := pgx.Connect(context.Background(), server)
		if err != nil {
			t.Logf("dbtest: drop %s: %v", name, err)
			return
		}
		defer c.Close(context.Background())
		if _, err := c.Exec(context.Background(), fmt.Sprintf("DROP DATABASE IF EXISTS %s WITH (FORCE)", name)); err != nil {
			t.Logf("dbtest: drop %s: %v", name, err)
		}
	})
	u, err := dbURL(server, name)
	if err != nil {
		t.Fatalf("dbtest: %v", err)
	}
	return u
}

// template makes sure the template database for kind exists and returns its
// name. An advisory lock serialises test packages building it at once.
func template(ctx context.Context, server string, kind Kind) (string, error) {
	admin, err := pgx.Connect(ctx, server)
	if err != nil {
		return "", err
	}
	defer admin.Close(context.Background())
	if _, err := admin.Exec(ctx, "SELECT pg_advisory_lock(72417001)"); err != nil {
		return "", err
	}
	defer admin.Exec(context.Background(), "SELECT pg_advisory_unlock(72417001)")
	return ensureTemplate(ctx, admin, server, kind)
}

// ensureTemplate builds the template for kind if missing; the caller holds
// the advisory lock on admin's session.
func ensureTemplate(ctx context.Context, admin *pgx.Conn, server string, kind Kind) (string, error) {
	name := templateNames()[0]
	if kind == Demo {
		name = templateNames()[1]
	}
	var exists bool
	if err := admin.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1 AND datistemplate)", name).Scan(&exists); err != nil {
		return "", err
	}
	if exists {
		return name, nil
	}
	// a half-built one from an interrupted run is dropped and rebuilt
	if _, err := admin.Exec(ctx, fmt.Sprintf("DROP DATABASE IF EXISTS %s WITH (FORCE)", name)); err != nil {
		return "", err
	}
	src := "template0"
	if kind == Demo {
		var err error
		if src, err = ensureTemplate(ctx, admin, server, Empty); err != nil {
			return "", err
		}
	}
	if _, err := admin.Exec(ctx, fmt.Sprintf("CREATE DATABASE %s TEMPLATE %s", name, src)); err != nil {
		return "", err
	}
	url, err := dbURL(server, name)
	if err != nil {
		return "", err
	}
	if kind == Empty {
		conn, err := pgx.Connect(ctx, url)
		if err != nil {
			return "", err
		}
		if _, err := conn.Exec(ctx, "CREATE EXTENSION IF NOT EXISTS postgis"); err != nil {
			conn.Close(ctx)
			return "", err
		}
		err = migrations.Migrate(ctx, conn)
		conn.Close(ctx)
		if err != nil {
			return "", err
		}
	} else {
		pool, err := postgres.Open(ctx, url, 4)
		if err != nil {
			return "", err
		}
		_, err = demo.Load(ctx, pool, auth.HashPassword)
		pool.Close()
		if err != nil {
			return "", fmt.Errorf("load demo city: %w", err)
		}
	}
	if _, err := admin.Exec(ctx, fmt.Sprintf("ALTER DATABASE %s WITH IS_TEMPLATE true", name)); err != nil {
		return "", err
	}
	dropStaleTemplates(ctx, admin)
	return name, nil
}

// templateNames are this schema's and demo's template names.
func templateNames() []string {
	return []string{"riskmap_tpl_" + migrations.Fingerprint(), "riskmap_tpl_demo_" + migrations.Fingerprint() + "_" + demo.Fingerprint()}
}

// dropStaleTemplates drops the templates of other schema or demo versions
// built more than two hours ago: each migration change leaves one behind (17 to
// 70 MB each), and a shared test machine's disk fills up with them. It is
// best effort: a template another run is copying right now, or a server
// that will not say when a database was made, keeps its templates.
func dropStaleTemplates(ctx context.Context, admin *pgx.Conn) {
	rows, err := admin.Query(ctx, `SELECT datname FROM pg_database
		WHERE datistemplate AND datname LIKE 'riskmap\_tpl\_%' AND datname <> ALL ($1)
		  AND (pg_stat_file('base/' || oid || '/PG_VERSION')).modification < now() - interval '2 hours'`, templateNames())
	if err != nil {
		return
	}
	names, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return
	}
	for _, n := range names {
		id := pgx.Identifier{n}.Sanitize()
		if _, err := admin.Exec(ctx, "ALTER DATABASE "+id+" WITH IS_TEMPLATE false"); err != nil {
			continue
		}
		if _, err := admin.Exec(ctx, "DROP DATABASE "+id); err != nil {
			_, _ = admin.Exec(ctx, "ALTER DATABASE "+id+" WITH IS_TEMPLATE true")
		}
	}
}
