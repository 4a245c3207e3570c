package importers_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"riskmap"
	"riskmap/features"
	"riskmap/importers"
	"riskmap/internal/dbtest"
)

// The tiny city of api/fixture_test.go (lon 115.0–117.0, lat 22.5–23.5):
// grids 001 (115.0–115.5) and 002 (115.5–116.0) of 新港, one grid of 香洲
// (116.0–116.5) and one of 梅陇 (116.5–117.0).
const fixtureSQL = `
INSERT INTO areas (code, name, level, parent_code, geom) VALUES
 ('441500000000', '汕尾市', 'city', NULL, ST_Multi(ST_MakeEnvelope(115.0, 22.5, 117.0, 23.5, 4326))),
 ('441502000000', '城区', 'county', '441500000000', ST_Multi(ST_MakeEnvelope(115.0, 22.5, 116.5, 23.5, 4326))),
 ('441521000000', '海丰县', 'county', '441500000000', ST_Multi(ST_MakeEnvelope(116.5, 22.5, 117.0, 23.5, 4326))),
 ('441502001000', '新港街道', 'township', '441502000000', ST_Multi(ST_MakeEnvelope(115.0, 22.5, 116.0, 23.5, 4326))),
 ('441502002000', '香洲街道', 'township', '441502000000', ST_Multi(ST_MakeEnvelope(116.0, 22.5, 116.5, 23.5, 4326))),
 ('441521101000', '梅陇镇', 'township', '441521000000', ST_Multi(ST_MakeEnvelope(116.5, 22.5, 117.0, 23.5, 4326))),
 ('441502001001', '立新社区', 'village', '441502001000', ST_Multi(ST_MakeEnvelope(115.0, 22.5, 116.0, 23.5, 4326))),
 ('441502002001', '香洲社区', 'village', '441502002000', ST_Multi(ST_MakeEnvelope(116.0, 22.5, 116.5, 23.5, 4326))),
 ('441521101001', '梅陇村', 'village', '441521101000', ST_Multi(ST_MakeEnvelope(116.5, 22.5, 117.0, 23.5, 4326)));
INSERT INTO grids (code, name, worker, households, population, geom) VALUES
 ('441502001001001', '立新第1网格', '张伟', 300, 1000, ST_Multi(ST_MakeEnvelope(115.0, 22.5, 115.5, 23.5, 4326))),
 ('441502001001002', '立新第2网格', '李娜', 200, 700, ST_Multi(ST_MakeEnvelope(115.5, 22.5, 116.0, 23.5, 4326))),
 ('441502002001001', '香洲第1网格', '王芳', 100, 350, ST_Multi(ST_MakeEnvelope(116.0, 22.5, 116.5, 23.5, 4326))),
 ('441521101001001', '梅陇第1网格', '陈杰', 150, 500, ST_Multi(ST_MakeEnvelope(116.5, 22.5, 117.0, 23.5, 4326)));
`

type env struct {
	t    *testing.T
	pool *pgxpool.Pool
	jobs *importers.Jobs
	dir  string
}

func newEnv(t *testing.T) *env {
	t.Helper()
	pool := dbtest.New(t, dbtest.Empty)
	if _, err := pool.Exec(context.Background(), fixtureSQL); err != nil {
		t.Fatalf("fixture: %v", err)
	}
	return &env{t: t, pool: pool, jobs: importers.NewJobs(pool, nil), dir: t.TempDir()}
}

func (e *env) write(name string, data []byte) string {
	e.t.Helper()
	p := filepath.Join(e.dir, name)
	if err := os.WriteFile(p, data, 0o644); err != nil {
		e.t.Fatal(err)
	}
	return p
}

// run imports path as the admin of the fixture and returns the report.
func (e *env) run(path string, opts importers.Options) *importers.Report {
	e.t.Helper()
	ctx := riskmap.NewContextWithUser(context.Background(), &riskmap.User{Username: "tester", Role: "admin"})
	id, err := e.jobs.Create(ctx, nil, filepath.Base(path), opts)
	if err != nil {
		e.t.Fatalf("create job: %v", err)
	}
	rep, err := e.jobs.Run(ctx, id, path, filepath.Base(path), opts, nil)
	if err != nil {
		e.t.Fatalf("import %s: %v", filepath.Base(path), err)
	}
	return rep
}

// snapshot fingerprints the layer tables, to show a refused import
// changed nothing.
func (e *env) snapshot() string {
	e.t.Helper()
	var out strings.Builder
	for _, tbl := range []string{"areas", "grids", "risk_points", "hazard_sources", "stations", "depots"} {
		var s string
		err := e.pool.QueryRow(context.Background(), "SELECT count(*) || ':' || coalesce(md5(string_agg(t::text, ',' ORDER BY t::text)), '') FROM "+tbl+" t").Scan(&s)
		if err != nil {
			e.t.Fatalf("snapshot %s: %v", tbl, err)
		}
		out.WriteString(tbl + "=" + s + ";")
	}
	return out.String()
}

// exported is a layer as the GeoJSON export gives it, keyed by external id
// (code for grids and areas).
type exportedFeature struct {
	Geometry   json.RawMessage
	Properties map[string]any
	Coords     []float64
}

func (e *env) export(layer string) map[string]exportedFeature {
	e.t.Helper()
	st := features.NewStore(e.pool)
	out := map[string]exportedFeature{}
	err := st.Scan(context.Background(), st.Layers[layer], riskmap.Scope{All: true}, features.ScanQuery{}, func(f features.Feature) error {
		var x struct {
			Geometry   json.RawMessage
			Properties map[string]any
		}
		if err := json.Unmarshal(f.JSON, &x); err != nil {
			return err
		}
		var g struct{ Coordinates []float64 }
		_ = json.Unmarshal(x.Geometry, &g)
		key, _ := x.Properties["external_id"].(string)
		if key == "" {
			key, _ = x.Properties["code"].(string)
		}
		out[key] = exportedFeature{Geometry: x.Geometry, Properties: x.Properties, Coords: g.Coordinates}
		return nil
	})
	if err != nil {
		e.t.Fatal(err)
	}
	return out
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}
