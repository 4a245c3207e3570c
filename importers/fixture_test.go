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

type env struct {
	t    *testing.T
	pool *pgxpool.Pool
	jobs *importers.Jobs
	dir  string
}

func newEnv(t *testing.T) *env {
	t.Helper()
	pool := dbtest.TinyCity(t)
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
