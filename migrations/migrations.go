// Package migrations holds the SQL schema, embedded in the binary and applied
// in name order by Migrate, which records each file's SHA-256 and refuses
// to run against a database where an applied file has since changed.
package migrations

import (
	"bytes"
	"context"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"io/fs"
	"sort"

	"github.com/jackc/pgx/v5"
)

//go:embed *.sql
var files embed.FS

// lockKey is the advisory lock that serialises replicas migrating at once.
const lockKey = 72417000

// Migrate applies every migration not yet applied, each in its own
// transaction, in name order. It is idempotent and safe when several
// replicas start at once: they queue on an advisory lock and the later ones
// find nothing left to do.
//
// A migration never changes once applied (a change goes in a new file): it
// records each file's SHA-256 and, before applying anything, refuses with
// an error naming the file a database where an applied migration's file
// now reads otherwise. Rows recorded before checksums were kept get the
// file's checksum as it is the first time they are seen.
func Migrate(ctx context.Context, conn *pgx.Conn) error { return MigrateFS(ctx, conn, files) }

// MigrateFS is Migrate with the migrations of fsys (*.sql at its root)
// instead of this binary's.
func MigrateFS(ctx context.Context, conn *pgx.Conn, fsys fs.FS) error {
	if _, err := conn.Exec(ctx, "SELECT pg_advisory_lock($1)", lockKey); err != nil {
		return fmt.Errorf("migrations: lock: %w", err)
	}
	defer conn.Exec(context.Background(), "SELECT pg_advisory_unlock($1)", lockKey)
	if _, err := conn.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		name text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now());
		ALTER TABLE schema_migrations ADD COLUMN IF NOT EXISTS sha256 bytea`); err != nil {
		return fmt.Errorf("migrations: %w", err)
	}
	names, err := namesIn(fsys)
	if err != nil {
		return err
	}
	applied, err := appliedSums(ctx, conn)
	if err != nil {
		return err
	}
	var pending []string
	for _, name := range names {
		sql, err := fs.ReadFile(fsys, name)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(sql)
		recorded, done := applied[name]
		switch {
		case !done:
			pending = append(pending, name)
		case recorded == nil:
			if _, err := conn.Exec(ctx, "UPDATE schema_migrations SET sha256 = $2 WHERE name = $1", name, sum[:]); err != nil {
				return fmt.Errorf("migrations: record the checksum of %s: %w", name, err)
			}
		case !bytes.Equal(recorded, sum[:]):
			return fmt.Errorf("migration %s was changed after this database applied it (sha256 %x then, %x now): "+
				"a migration never changes once applied; undo the change and put it in a new migration", name, recorded, sum[:])
		}
	}
	for _, name := range pending {
		sql, err := fs.ReadFile(fsys, name)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(sql)
		err = pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
			if _, err := tx.Exec(ctx, string(sql)); err != nil {
				return err
			}
			_, err := tx.Exec(ctx, "INSERT INTO schema_migrations (name, sha256) VALUES ($1, $2)", name, sum[:])
			return err
		})
		if err != nil {
			return fmt.Errorf("migration %s: %w", name, err)
		}
	}
	return nil
}

// appliedSums are the migrations the database has applied, with the
// checksum recorded for each (nil: applied before checksums were kept).
func appliedSums(ctx context.Context, conn *pgx.Conn) (map[string][]byte, error) {
	rows, err := conn.Query(ctx, "SELECT name, sha256 FROM schema_migrations")
	if err != nil {
		return nil, fmt.Errorf("migrations: %w", err)
	}
	defer rows.Close()
	out := map[string][]byte{}
	for rows.Next() {
		var name string
		var sum []byte
		if err := rows.Scan(&name, &sum); err != nil {
			return nil, fmt.Errorf("migrations: %w", err)
		}
		out[name] = sum
	}
	return out, rows.Err()
}

// Names lists the migrations in the order they apply.
func Names() ([]string, error) { return namesIn(files) }

func namesIn(fsys fs.FS) ([]string, error) {
	names, err := fs.Glob(fsys, "*.sql")
	if err != nil {
		return nil, err
	}
	sort.Strings(names)
	return names, nil
}

// Fingerprint identifies this set of migrations, so test templates built
// from an older schema are not reused.
func Fingerprint() string {
	h := sha256.New()
	names, _ := Names()
	for _, n := range names {
		b, _ := fs.ReadFile(files, n)
		h.Write([]byte(n))
		h.Write(b)
	}
	return hex.EncodeToString(h.Sum(nil))[:12]
}
