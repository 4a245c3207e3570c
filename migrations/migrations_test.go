package migrations_test

import (
	"context"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/jackc/pgx/v5"

	"riskmap/internal/dbtest"
	"riskmap/migrations"
)

// A migration never changes once applied: a database where an applied
// file now reads otherwise is refused, naming the file, before anything
// else is applied; a new file is applied as usual.
func TestAChangedMigrationIsRefusedByName(t *testing.T) {
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dbtest.Clone(t, dbtest.Empty))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	fsys := fstest.MapFS{
		"900_a.sql": {Data: []byte("CREATE TABLE mig_a (x int);")},
		"901_b.sql": {Data: []byte("CREATE TABLE mig_b (x int);")},
	}
	// the schema's own migrations are applied in the clone: only ours are new
	if err := migrations.MigrateFS(ctx, conn, fsys); err != nil {
		t.Fatalf("first run: %v", err)
	}
	if err := migrations.MigrateFS(ctx, conn, fsys); err != nil {
		t.Fatalf("second run, nothing to do: %v", err)
	}
	fsys["901_b.sql"] = &fstest.MapFile{Data: []byte("CREATE TABLE mig_b (x int, y int);")}
	fsys["902_c.sql"] = &fstest.MapFile{Data: []byte("CREATE TABLE mig_c (x int);")}
	err = migrations.MigrateFS(ctx, conn, fsys)
	if err == nil || !strings.Contains(err.Error(), "901_b.sql was changed") {
		t.Fatalf("a changed migration: %v, want it refused by name", err)
	}
	var c bool
	if err := conn.QueryRow(ctx, "SELECT to_regclass('mig_c') IS NOT NULL").Scan(&c); err != nil || c {
		t.Errorf("a new migration was applied beside a changed one: %v %v", c, err)
	}
	// put back as it was: the new one applies
	fsys["901_b.sql"] = &fstest.MapFile{Data: []byte("CREATE TABLE mig_b (x int);")}
	if err := migrations.MigrateFS(ctx, conn, fsys); err != nil {
		t.Fatalf("with the file restored: %v", err)
	}
	if err := conn.QueryRow(ctx, "SELECT to_regclass('mig_c') IS NOT NULL").Scan(&c); err != nil || !c {
		t.Errorf("the new migration was not applied: %v %v", c, err)
	}
}

// A database migrated before checksums were kept takes the files as they
// are the first time, then holds them to it.
func TestMigrationsAppliedBeforeChecksumsGetThemOnce(t *testing.T) {
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dbtest.Clone(t, dbtest.Empty))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if err := migrations.Migrate(ctx, conn); err != nil { // a template may predate the column
		t.Fatal(err)
	}
	if _, err := conn.Exec(ctx, "UPDATE schema_migrations SET sha256 = NULL"); err != nil {
		t.Fatal(err)
	}
	if err := migrations.Migrate(ctx, conn); err != nil {
		t.Fatalf("an old database: %v", err)
	}
	var missing int
	if err := conn.QueryRow(ctx, "SELECT count(*) FROM schema_migrations WHERE sha256 IS NULL").Scan(&missing); err != nil || missing != 0 {
		t.Fatalf("%d migrations without a checksum after the run, %v", missing, err)
	}
	if _, err := conn.Exec(ctx, "UPDATE schema_migrations SET sha256 = sha256(sha256) WHERE name = '001_areas_grids.sql'"); err != nil {
		t.Fatal(err)
	}
	if err := migrations.Migrate(ctx, conn); err == nil || !strings.Contains(err.Error(), "001_areas_grids.sql") {
		t.Errorf("a recorded checksum that differs: %v, want 001_areas_grids.sql refused", err)
	}
}
