package demo

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// The generation steps, run in file-name order inside the load's
// transaction. They read the temp tables stage fills and write the layers.
//
//go:embed sql/*.sql
var scripts embed.FS

// loadLockKey serialises concurrent loads ("riskdemo" in ASCII): a second
// `riskmap demo` started at the same time waits, then finds the city.
const loadLockKey int64 = 0x7269736b64656d6f

// Load loads the demo city in one transaction. If the city area is already
// there it does nothing and returns false, so loading twice adds nothing.
// hashPassword hashes the demo accounts' passwords.
func Load(ctx context.Context, pool *pgxpool.Pool, hashPassword func(string) (string, error)) (loaded bool, err error) {
	// Checked before hashing so that a restart with the city present costs
	// one query, not a round of deliberately slow password hashes.
	if present, err := cityPresent(ctx, pool); err != nil || present {
		return false, err
	}
	units, err := readAdminUnits()
	if err != nil {
		return false, fmt.Errorf("demo: %w", err)
	}
	accs := accounts()
	hashes := make([]string, len(accs))
	for i, a := range accs {
		if hashes[i], err = hashPassword(a.Password); err != nil {
			return false, fmt.Errorf("demo: hash password of %s: %w", a.Username, err)
		}
	}

	tx, err := pool.Begin(ctx)
	if err != nil {
		return false, fmt.Errorf("demo: begin: %w", err)
	}
	defer tx.Rollback(ctx) // a no-op once committed
	if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock($1)", loadLockKey); err != nil {
		return false, fmt.Errorf("demo: lock: %w", err)
	}
	if present, err := cityPresent(ctx, tx); err != nil || present {
		return false, err
	}
	// PostGIS functions carry high cost estimates, which make the planner
	// JIT-compile these one-off queries: that took longer than running them.
	// The audit log names the demo loader as the author of its rows.
	if _, err := tx.Exec(ctx, "SELECT set_config('jit', 'off', true), set_config('riskmap.actor', 'demo', true), set_config('riskmap.via', 'demo', true)"); err != nil {
		return false, fmt.Errorf("demo: session settings: %w", err)
	}
	if err := stage(ctx, tx, units, accs); err != nil {
		return false, err
	}
	if err := runScripts(ctx, tx); err != nil {
		return false, err
	}
	if err := createAccounts(ctx, tx, accs, hashes); err != nil {
		return false, err
	}
	if err := tx.Commit(ctx); err != nil {
		return false, fmt.Errorf("demo: commit: %w", err)
	}
	return true, nil
}

type queryRower interface {
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

func cityPresent(ctx context.Context, q queryRower) (bool, error) {
	var present bool
	err := q.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM areas WHERE code = $1)", cityCode).Scan(&present)
	if err != nil {
		return false, fmt.Errorf("demo: look for city %s: %w", cityCode, err)
	}
	return present, nil
}

func runScripts(ctx context.Context, tx pgx.Tx) error {
	entries, err := fs.ReadDir(scripts, "sql")
	if err != nil {
		return fmt.Errorf("demo: list scripts: %w", err)
	}
	if len(entries) == 0 {
		return errors.New("demo: no scripts embedded")
	}
	for _, e := range entries { // ReadDir sorts by name: the steps' order
		b, err := scripts.ReadFile("sql/" + e.Name())
		if err != nil {
			return fmt.Errorf("demo: read %s: %w", e.Name(), err)
		}
		// No arguments: pgx sends the script over the simple protocol, so
		// one file may hold several statements.
		if _, err := tx.Exec(ctx, string(b)); err != nil {
			return fmt.Errorf("demo: %s: %w", e.Name(), err)
		}
	}
	return nil
}
