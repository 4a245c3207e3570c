package coverage_test

import (
	"context"
	"math"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"riskmap"
	"riskmap/coverage"
	"riskmap/internal/dbtest"
)

// A small city on the equator, where great-circle distances are easy to
// work out by hand: along the equator (and along a meridian) one degree is
// R·π/180 = 111,195.08 m, so 0.01° is 1,111.95 m.
//
//	township A 441502001000 (lon 0.00–0.03): grids A1 A2 A3, 0.01° wide
//	township B 441502002000 (lon 0.03–0.06): grids B1 B2 B3
//	every grid spans lat −0.01…0.01; its representative point is (middle, 0)
//
//	population  A1 1000  A2 2000  A3 500  B1 800  B2 1200  B3 3000
//
// Stations (active unless said): F1 office of A at (0.005, 0) in A1; F2
// "A's" rescue team standing across the border at (0.032, 0), so placed in
// B1 (township B); F3 platform at (0.025, −0.005) in A3; F4 an office in B3,
// retired. Depots: D1 in A2, D2 in B2, D3 in B1 retired.
//
// Roads (class residential, set to 36 km/h = 10 m/s): junctions V1…V6 at the
// grids' points (0.005, 0) … (0.055, 0), N1 (0.025, 0.009) and N2 (0.035,
// 0.009); V1–V2–V3, V3–N1–N2–V4 (a detour: a river runs between A3 and
// B1, there is no V3–V4), V4–V5–V6.
const cityFixture = `
INSERT INTO areas (code, name, level, parent_code, geom) VALUES
 ('441500000000', '汕尾市', 'city', NULL, ST_Multi(ST_MakeEnvelope(0, -0.01, 0.06, 0.01, 4326))),
 ('441502000000', '城区', 'county', '441500000000', ST_Multi(ST_MakeEnvelope(0, -0.01, 0.06, 0.01, 4326))),
 ('441502001000', '甲街道', 'township', '441502000000', ST_Multi(ST_MakeEnvelope(0, -0.01, 0.03, 0.01, 4326))),
 ('441502002000', '乙镇', 'township', '441502000000', ST_Multi(ST_MakeEnvelope(0.03, -0.01, 0.06, 0.01, 4326))),
 ('441502001001', '甲社区', 'village', '441502001000', ST_Multi(ST_MakeEnvelope(0, -0.01, 0.03, 0.01, 4326))),
 ('441502002001', '乙村', 'village', '441502002000', ST_Multi(ST_MakeEnvelope(0.03, -0.01, 0.06, 0.01, 4326)));
INSERT INTO grids (code, name, population, geom) VALUES
 ('441502001001001', 'A1', 1000, ST_Multi(ST_MakeEnvelope(0.00, -0.01, 0.01, 0.01, 4326))),
 ('441502001001002', 'A2', 2000, ST_Multi(ST_MakeEnvelope(0.01, -0.01, 0.02, 0.01, 4326))),
 ('441502001001003', 'A3', 500, ST_Multi(ST_MakeEnvelope(0.02, -0.01, 0.03, 0.01, 4326))),
 ('441502002001001', 'B1', 800, ST_Multi(ST_MakeEnvelope(0.03, -0.01, 0.04, 0.01, 4326))),
 ('441502002001002', 'B2', 1200, ST_Multi(ST_MakeEnvelope(0.04, -0.01, 0.05, 0.01, 4326))),
 ('441502002001003', 'B3', 3000, ST_Multi(ST_MakeEnvelope(0.05, -0.01, 0.06, 0.01, 4326)));
INSERT INTO stations (external_id, name, kind, status, geom) VALUES
 ('F1', '甲街道应急管理办公室', 'office', 'active', ST_Point(0.005, 0, 4326)),
 ('F2', '甲街道应急救援队', 'rescue_team', 'active', ST_Point(0.032, 0, 4326)),
 ('F3', '甲街道应急指挥平台', 'platform', 'active', ST_Point(0.025, -0.005, 4326)),
 ('F4', '乙镇应急管理办公室', 'office', 'retired', ST_Point(0.055, 0, 4326));
INSERT INTO depots (external_id, name, status, geom) VALUES
 ('D1', '甲街道物资仓库', 'active', ST_Point(0.015, -0.005, 4326)),
 ('D2', '乙镇物资仓库', 'active', ST_Point(0.045, -0.005, 4326)),
 ('D3', '乙镇旧仓库', 'retired', ST_Point(0.035, -0.005, 4326));
INSERT INTO risk_points (external_id, name, category, risk_level, status, geom) VALUES
 ('P1', '甲一滑坡', 'geological', 1, 'active', ST_Point(0.006, 0.002, 4326)),
 ('P2', '乙二内涝点', 'flood', 2, 'active', ST_Point(0.045, 0.001, 4326)),
 ('P3', '乙三山塘', 'reservoir', 4, 'active', ST_Point(0.055, -0.002, 4326)),
 ('P4', '甲三工地', 'construction', 3, 'active', ST_Point(0.025, 0.003, 4326)),
 ('P5', '乙二旧点', 'other', 1, 'retired', ST_Point(0.050, 0, 4326));
CREATE FUNCTION pg_temp.uscc(base text) RETURNS text LANGUAGE sql AS $$
  SELECT base || substr('0123456789ABCDEFGHJKLMNPQRTUWXY', ((31 - s % 31) % 31 + 1)::integer, 1)
    FROM (SELECT sum((strpos('0123456789ABCDEFGHJKLMNPQRTUWXY', substr(base, i, 1)) - 1) *
                     (ARRAY[1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28])[i]) AS s
            FROM generate_series(1, 17) i) x
$$;
INSERT INTO hazard_sources (external_id, name, category, major_hazard_level, credit_code, geom) VALUES
 ('H1', '甲二油库', 'hazardous_chemicals', 2, pg_temp.uscc('91441500000000001'), ST_Point(0.015, 0.001, 4326)),
 ('H2', '乙三烟花仓库', 'fireworks', NULL, pg_temp.uscc('91441500000000002'), ST_Point(0.058, 0, 4326));
UPDATE road_speeds SET speed_kmh = 36 WHERE class = 'residential';
INSERT INTO roads (source_ref, class, geom) VALUES
 ('E1', 'residential', ST_MakeLine(ST_Point(0.005, 0, 4326), ST_Point(0.015, 0, 4326))),
 ('E2', 'residential', ST_MakeLine(ST_Point(0.015, 0, 4326), ST_Point(0.025, 0, 4326))),
 ('E3', 'residential', ST_MakeLine(ST_Point(0.025, 0, 4326), ST_Point(0.025, 0.009, 4326))),
 ('E4', 'residential', ST_MakeLine(ST_Point(0.025, 0.009, 4326), ST_Point(0.035, 0.009, 4326))),
 ('E5', 'residential', ST_MakeLine(ST_Point(0.035, 0.009, 4326), ST_Point(0.035, 0, 4326))),
 ('E6', 'residential', ST_MakeLine(ST_Point(0.035, 0, 4326), ST_Point(0.045, 0, 4326))),
 ('E7', 'residential', ST_MakeLine(ST_Point(0.045, 0, 4326), ST_Point(0.055, 0, 4326)));
`

// Hand-computed figures of the fixture.
const (
	deg = coverage.EarthRadius * math.Pi / 180 // metres per degree of arc
	// access legs at 20 km/h (the default access speed: 50/9 m/s)
	accessSpeed = 20 / 3.6
	roadSpeed   = 10.0 // residential at 36 km/h
)

var (
	// F2 (0.032, 0) joins the network at V4 (0.035, 0), 0.003° away
	f2Access = 0.003 * deg / accessSpeed
	// F3 (0.025, −0.005) joins at V3 (0.025, 0), 0.005° away
	f3Access = 0.005 * deg / accessSpeed
	step     = 0.01 * deg / roadSpeed  // one 0.01° edge along the equator
	climb    = 0.009 * deg / roadSpeed // V3–N1 and N2–V4
)

func newCity(t *testing.T) *pgxpool.Pool {
	t.Helper()
	pool := dbtest.New(t, dbtest.Empty)
	if _, err := pool.Exec(context.Background(), cityFixture); err != nil {
		t.Fatalf("fixture: %v", err)
	}
	return pool
}

var (
	admin   = &riskmap.User{ID: 1, Username: "admin", Role: riskmap.RoleAdmin}
	planner = &riskmap.User{ID: 2, Username: "planner", Role: riskmap.RolePlanner, Areas: []string{"441502000000"}}
	jia     = &riskmap.User{ID: 3, Username: "jia", Role: riskmap.RoleTownship, Areas: []string{"441502001000"}}
	worker  = &riskmap.User{ID: 4, Username: "worker", Role: riskmap.RoleWorker, Grids: []string{"441502001001001"}}
)

func near(got, want, tol float64) bool { return math.Abs(got-want) <= tol }

func ptr[T any](v T) *T { return &v }

func val(p *float64) float64 {
	if p == nil {
		return math.NaN()
	}
	return *p
}

func codes(gs []coverage.UncoveredGrid) []string {
	out := []string{}
	for _, g := range gs {
		out = append(out, g.Code)
	}
	return out
}

// listen runs s.Listen until ctx ends and waits until it is live; the
// channel gives Listen's error.
func listen(ctx context.Context, t *testing.T, s *coverage.Service, pool *pgxpool.Pool) <-chan error {
	t.Helper()
	done := make(chan error, 1)
	go func() {
		done <- s.Listen(ctx, func(ctx context.Context) (*pgx.Conn, error) {
			return pgx.ConnectConfig(ctx, pool.Config().ConnConfig.Copy())
		})
	}()
	waitFor(t, "the listener", s.Live)
	return done
}

// waitFor polls cond for up to ten seconds.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !cond(); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}
