package demo_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"riskmap/demo"
	"riskmap/localdb"
	"riskmap/migrations"
)

// The demo city's size: every street and town of the four counties except
// the four run by 深汕 (50), plus 华侨管理区: 51.
const (
	demoTownships = 51
	demoVillages  = 848
)

// freshDB returns a pool on a new, migrated PostGIS database, dropped when
// the test ends. The server is RISKMAP_TEST_DATABASE_URL's (any database on
// it: the test creates its own) or else the project's local cluster; the
// test skips if the local cluster does not answer. This is the only place
// that sets up a database, to be swapped for riskmap/internal/dbtest (which
// imports this package, hence the external test package).
func freshDB(t *testing.T) *pgxpool.Pool {
	t.Helper()
	ctx := context.Background()
	url, explicit := os.Getenv("RISKMAP_TEST_DATABASE_URL"), true
	if url == "" {
		url, explicit = localdb.Config().DatabaseURL("postgres"), false
	}
	admin, err := pgx.Connect(ctx, url)
	if err != nil {
		if explicit {
			t.Fatalf("connect to RISKMAP_TEST_DATABASE_URL: %v", err)
		}
		t.Skipf("no PostgreSQL to test against (set RISKMAP_TEST_DATABASE_URL or run `riskmap db start`): %v", err)
	}
	defer admin.Close(ctx)
	suffix := make([]byte, 6)
	if _, err := rand.Read(suffix); err != nil {
		t.Fatal(err)
	}
	name := "demo_test_" + hex.EncodeToString(suffix)
	if _, err := admin.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatalf("create database: %v", err)
	}
	t.Cleanup(func() {
		c, err := pgx.Connect(context.Background(), url)
		if err != nil {
			t.Errorf("drop database %s: %v", name, err)
			return
		}
		defer c.Close(context.Background())
		if _, err := c.Exec(context.Background(), "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			t.Errorf("drop database %s: %v", name, err)
		}
	})
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Database = name
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		t.Fatalf("connect to %s: %v", name, err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE EXTENSION postgis"); err != nil {
		t.Fatalf("create postgis: %v", err)
	}
	if err := migrations.Migrate(ctx, conn); err != nil {
		t.Fatal(err)
	}
	pcfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		t.Fatal(err)
	}
	pcfg.ConnConfig.Database = name
	pool, err := pgxpool.NewWithConfig(ctx, pcfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close) // runs before the drop: cleanups are last in, first out
	return pool
}

// fakeHash stands in for the real password hash, which is slow on purpose.
func fakeHash(pw string) (string, error) { return "test$" + pw, nil }

func load(t *testing.T, pool *pgxpool.Pool) {
	t.Helper()
	start := time.Now()
	loaded, err := demo.Load(context.Background(), pool, fakeHash)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if !loaded {
		t.Fatal("Load into an empty database reported nothing loaded")
	}
	t.Logf("demo city loaded in %s", time.Since(start).Round(time.Millisecond))
}

func queryInt(t *testing.T, pool *pgxpool.Pool, sql string, args ...any) int64 {
	t.Helper()
	var n int64
	if err := pool.QueryRow(context.Background(), sql, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return n
}

func queryStrings(t *testing.T, pool *pgxpool.Pool, sql string, args ...any) []string {
	t.Helper()
	rows, err := pool.Query(context.Background(), sql, args...)
	if err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return out
}

// checksum digests every geometry and code of the demo, and the attributes
// derived from hashes, in a fixed order.
func checksum(t *testing.T, pool *pgxpool.Pool) string {
	t.Helper()
	var sum string
	err := pool.QueryRow(context.Background(), `SELECT md5(string_agg(part, '|' ORDER BY ord)) FROM (
		SELECT 1 AS ord, (SELECT string_agg(concat_ws(',', code, name, level, parent_code, population, encode(ST_AsBinary(geom), 'hex')), ';' ORDER BY code) FROM areas) AS part
		UNION ALL SELECT 2, (SELECT string_agg(concat_ws(',', code, name, worker, worker_phone, households, population, encode(ST_AsBinary(geom), 'hex')), ';' ORDER BY code) FROM grids)
		UNION ALL SELECT 3, (SELECT string_agg(concat_ws(',', external_id, name, category, risk_level, address, responsible_unit, responsible_person, phone, population_exposed, last_inspection, status, grid_code, encode(ST_AsBinary(geom), 'hex')), ';' ORDER BY external_id) FROM risk_points)
		UNION ALL SELECT 4, (SELECT string_agg(concat_ws(',', external_id, name, credit_code, category, major_hazard_level, licence_no, licence_expiry, grid_code, encode(ST_AsBinary(geom), 'hex')), ';' ORDER BY external_id) FROM hazard_sources)
		UNION ALL SELECT 5, (SELECT string_agg(concat_ws(',', external_id, name, kind, staff, vehicles, phone, grid_code, encode(ST_AsBinary(geom), 'hex')), ';' ORDER BY external_id) FROM stations)
		UNION ALL SELECT 6, (SELECT string_agg(concat_ws(',', d.external_id, i.item, i.quantity, encode(ST_AsBinary(d.geom), 'hex')), ';' ORDER BY d.external_id, i.item) FROM depots d JOIN depot_items i ON i.depot_id = d.id)
		UNION ALL SELECT 7, (SELECT string_agg(concat_ws(',', u.username, u.role, ua.area_code, ug.grid_code), ';' ORDER BY u.username, ua.area_code, ug.grid_code) FROM users u LEFT JOIN user_areas ua ON ua.user_id = u.id LEFT JOIN user_grids ug ON ug.user_id = u.id)
	) s`).Scan(&sum)
	if err != nil {
		t.Fatalf("checksum: %v", err)
	}
	return sum
}

func TestLoadBuildsTheDemoCity(t *testing.T) {
	pool := freshDB(t)
	load(t, pool)
	ctx := context.Background()

	t.Run("counts", func(t *testing.T) {
		for _, c := range []struct {
			what   string
			sql    string
			lo, hi int64
		}{
			{"city", "SELECT count(*) FROM areas WHERE level = 'city'", 1, 1},
			{"counties", "SELECT count(*) FROM areas WHERE level = 'county'", 4, 4},
			{"townships", "SELECT count(*) FROM areas WHERE level = 'township'", demoTownships, demoTownships},
			{"villages", "SELECT count(*) FROM areas WHERE level = 'village'", demoVillages, demoVillages},
			{"grids", "SELECT count(*) FROM grids", 1400, 1600},
			{"risk points", "SELECT count(*) FROM risk_points", 20000, 20000},
			{"hazard sources", "SELECT count(*) FROM hazard_sources", 600, 600},
			{"risk levels", "SELECT count(DISTINCT risk_level) FROM risk_points", 4, 4},
			{"risk categories", "SELECT count(DISTINCT category) FROM risk_points", 10, 10},
			{"hazard categories", "SELECT count(DISTINCT category) FROM hazard_sources", 6, 6},
			{"major hazard installations (~25%)", "SELECT count(*) FROM hazard_sources WHERE major_hazard_level IS NOT NULL", 90, 210},
			{"distinct credit codes", "SELECT count(DISTINCT credit_code) FROM hazard_sources WHERE riskmap_uscc_valid(credit_code)", 600, 600},
			{"villages without grids", "SELECT count(*) FROM areas a WHERE level = 'village' AND NOT EXISTS (SELECT 1 FROM grids g WHERE g.village_code = a.code)", 0, 0},
			{"grids without a worker", "SELECT count(*) FROM grids WHERE worker IS NULL OR worker_phone !~ '^1[3-9][0-9]{9}$'", 0, 0},
			{"grids with implausible household size", "SELECT count(*) FROM grids WHERE population < 2.8 * households - 1 OR population > 3.5 * households + 1", 0, 0},
			{"areas whose population is not their grids'", `SELECT count(*) FROM areas a WHERE population IS DISTINCT FROM
				(SELECT sum(population) FROM grids g WHERE a.level = 'city' OR g.county_code = a.code OR g.township_code = a.code OR g.village_code = a.code)`, 0, 0},
			{"invalid or non-multipolygon areas", "SELECT count(*) FROM areas WHERE NOT ST_IsValid(geom) OR GeometryType(geom) <> 'MULTIPOLYGON'", 0, 0},
			{"depot lines", "SELECT count(*) FROM depot_items", 8 * (demoTownships - 3), 8 * (demoTownships - 3)},
		} {
			if n := queryInt(t, pool, c.sql); n < c.lo || n > c.hi {
				t.Errorf("%s: %d, want %d..%d", c.what, n, c.lo, c.hi)
			}
		}
		// the skew of a real 四色图: fewer red than orange than yellow than blue
		var levels []int64
		rows, err := pool.Query(ctx, "SELECT count(*) FROM risk_points GROUP BY risk_level ORDER BY risk_level")
		if err != nil {
			t.Fatal(err)
		}
		if levels, err = pgx.CollectRows(rows, pgx.RowTo[int64]); err != nil {
			t.Fatal(err)
		}
		if !slices.IsSorted(levels) {
			t.Errorf("risk points per level 1..4: %v, want increasing", levels)
		}
	})

	t.Run("children tile their parent at every level", func(t *testing.T) {
		// symmetric difference of parent and union of children: gaps and spills
		worst := queryInt(t, pool, `SELECT coalesce(count(*), 0) FROM (
			SELECT p.code, ST_Area(ST_SymDifference(p.geom, ST_Union(c.geom))::geography) / ST_Area(p.geom::geography) AS off
			  FROM areas p JOIN areas c ON c.parent_code = p.code GROUP BY p.code, p.geom
			UNION ALL
			SELECT p.code, ST_Area(ST_SymDifference(p.geom, ST_Union(g.geom))::geography) / ST_Area(p.geom::geography)
			  FROM areas p JOIN grids g ON g.village_code = p.code GROUP BY p.code, p.geom) s
			WHERE off >= 0.0001`)
		if worst != 0 {
			t.Errorf("%d parents differ from the union of their children by 0.01%% or more", worst)
		}
		overlaps := queryInt(t, pool, `SELECT count(*) FROM (
			SELECT a.code FROM areas a JOIN areas b ON a.parent_code = b.parent_code AND a.code < b.code AND a.geom && b.geom
			 WHERE ST_Area(ST_Intersection(a.geom, b.geom)::geography) > 1
			UNION ALL
			SELECT a.code FROM grids a JOIN grids b ON a.code < b.code AND a.geom && b.geom
			 WHERE ST_Area(ST_Intersection(a.geom, b.geom)::geography) > 1) s`)
		if overlaps != 0 {
			t.Errorf("%d pairs of siblings overlap by more than 1 m²", overlaps)
		}
	})

	t.Run("every point lies inside a grid", func(t *testing.T) {
		for _, table := range []string{"risk_points", "hazard_sources", "stations", "depots"} {
			n := queryInt(t, pool, "SELECT count(*) FROM "+table+" p LEFT JOIN grids g ON g.code = p.grid_code WHERE g.code IS NULL OR NOT ST_Contains(g.geom, p.geom)")
			if n != 0 {
				t.Errorf("%s: %d points outside their grid", table, n)
			}
		}
	})

	t.Run("the chosen townships are incomplete and only those", func(t *testing.T) {
		got := queryStrings(t, pool, `SELECT a.code FROM areas a WHERE a.level = 'township' AND (
			(SELECT count(DISTINCT kind) FROM stations s WHERE s.township_code = a.code) < 3
			OR NOT EXISTS (SELECT 1 FROM depots d WHERE d.township_code = a.code)) ORDER BY a.code`)
		// left without one of the 四个一 on purpose (gaps.go)
		incomplete := []string{"441521109000", "441521112000", "441523107000", "441581108000", "441581116000", "441581400000"}
		if !slices.Equal(got, incomplete) {
			t.Errorf("incomplete townships %v, want %v", got, incomplete)
		}
		misplaced := queryInt(t, pool, `SELECT count(*) FROM (
			SELECT external_id, township_code FROM stations UNION ALL SELECT external_id, township_code FROM depots) f
			WHERE split_part(external_id, '-', 3) || '000' <> township_code`)
		if misplaced != 0 {
			t.Errorf("%d stations or depots lie outside their own township", misplaced)
		}
	})

	t.Run("accounts have their roles and scopes", func(t *testing.T) {
		for _, l := range demo.Logins() {
			var role, hash string
			if err := pool.QueryRow(ctx, "SELECT role, password_hash FROM users WHERE username = $1", l.Username).Scan(&role, &hash); err != nil {
				t.Errorf("user %s: %v", l.Username, err)
				continue
			}
			if want, _ := fakeHash(l.Password); role != l.Role || hash != want {
				t.Errorf("user %s: role %s hash %s, want %s %s", l.Username, role, hash, l.Role, want)
			}
		}
		bad := queryInt(t, pool, `SELECT count(*) FROM users u WHERE u.role = 'worker' AND NOT (
			(SELECT count(*) FROM user_grids ug WHERE ug.user_id = u.id) BETWEEN 1 AND 3
			AND NOT EXISTS (SELECT 1 FROM user_grids ug JOIN grids g ON g.code = ug.grid_code
			                 WHERE ug.user_id = u.id AND (g.township_code <> '441502001000' OR g.worker <> u.display_name)))`)
		if bad != 0 {
			t.Errorf("%d workers without 1–3 grids of their own in 新港街道", bad)
		}
		if n := queryInt(t, pool, "SELECT count(*) FROM users WHERE role = 'worker'"); n < 2 {
			t.Errorf("%d workers, want at least 2", n)
		}
		if n := queryInt(t, pool, "SELECT count(*) FROM users u WHERE role NOT IN ('admin', 'worker') AND NOT EXISTS (SELECT 1 FROM user_areas a WHERE a.user_id = u.id)"); n != 0 {
			t.Errorf("%d area users without areas", n)
		}
	})

	first := checksum(t, pool)

	t.Run("loading twice adds nothing", func(t *testing.T) {
		loaded, err := demo.Load(ctx, pool, func(string) (string, error) {
			t.Error("a second load hashed passwords")
			return "", nil
		})
		if err != nil || loaded {
			t.Fatalf("second Load: loaded=%v err=%v, want false, nil", loaded, err)
		}
		if again := checksum(t, pool); again != first {
			t.Error("the second load changed the data")
		}
	})

	t.Run("every load makes the same city", func(t *testing.T) {
		other := freshDB(t)
		load(t, other)
		if second := checksum(t, other); second != first {
			t.Errorf("checksums differ between two loads: %s and %s", first, second)
		}
	})
}
