package importers_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"riskmap/importers"
)

func pointFeature(ext string, lon, lat float64, props map[string]any) map[string]any {
	p := map[string]any{"external_id": ext, "name": "风险点" + ext, "category": "flood", "risk_level": 2}
	for k, v := range props {
		p[k] = v
	}
	return map[string]any{"type": "Feature", "geometry": map[string]any{"type": "Point", "coordinates": []float64{lon, lat}}, "properties": p}
}

func collection(fs ...map[string]any) []byte {
	return mustJSON(map[string]any{"type": "FeatureCollection", "features": fs})
}

func TestGeoJSONImportRoundTripsAndReimportUpdatesByExternalID(t *testing.T) {
	e := newEnv(t)
	fc := collection(
		pointFeature("RP-1", 115.25, 23.0, map[string]any{"address": "新港路1号", "population_exposed": 120, "last_inspection": "2024-05-01"}),
		pointFeature("RP-2", 115.75, 23.1, map[string]any{"category": "geological", "risk_level": 1}),
		pointFeature("RP-3", 116.75, 22.9, map[string]any{"phone": "0660-3212345"}),
	)
	rep := e.run(e.write("points.geojson", fc), importers.Options{Layer: "risk_points"})
	if rep.Failed() || rep.Inserted != 3 || rep.Rows != 3 {
		t.Fatalf("first import: %+v", rep)
	}
	got := e.export("risk_points")
	if len(got) != 3 {
		t.Fatalf("exported %d features, want 3", len(got))
	}
	rp1 := got["RP-1"]
	if rp1.Coords[0] != 115.25 || rp1.Coords[1] != 23.0 || rp1.Properties["address"] != "新港路1号" ||
		rp1.Properties["population_exposed"] != float64(120) || rp1.Properties["last_inspection"] != "2024-05-01" ||
		rp1.Properties["grid_code"] != "441502001001001" {
		t.Errorf("RP-1 came back as %+v", rp1)
	}
	if got["RP-3"].Properties["county_code"] != "441521000000" {
		t.Errorf("RP-3 placed in %v", got["RP-3"].Properties["county_code"])
	}

	// again, with one point moved and renamed: one update, no duplicates
	fc2 := strings.Replace(string(fc), `"name":"风险点RP-2"`, `"name":"改名"`, 1)
	fc2 = strings.Replace(fc2, "115.75", "116.25", 1)
	rep = e.run(e.write("points2.geojson", []byte(fc2)), importers.Options{Layer: "risk_points"})
	if rep.Failed() || rep.Inserted != 0 || rep.Updated != 1 || rep.Unchanged != 2 {
		t.Fatalf("re-import: inserted %d updated %d unchanged %d, want 0/1/2: %+v", rep.Inserted, rep.Updated, rep.Unchanged, rep)
	}
	got = e.export("risk_points")
	if len(got) != 3 || got["RP-2"].Properties["name"] != "改名" || got["RP-2"].Properties["grid_code"] != "441502002001001" {
		t.Fatalf("after re-import: %d features, RP-2 %+v", len(got), got["RP-2"].Properties)
	}
	// every write is in the audit log, naming the importer, as row-level
	// auditing would have written it
	var ins, upd int
	var actor string
	if err := e.pool.QueryRow(context.Background(), `SELECT count(*) FILTER (WHERE action = 'insert'), count(*) FILTER (WHERE action = 'update'), min(actor)
		FROM audit_log WHERE tbl = 'risk_points'`).Scan(&ins, &upd, &actor); err != nil || ins != 3 || upd != 1 || actor != "tester (admin)" {
		t.Fatalf("audit: %d inserts, %d updates by %q (%v), want 3, 1 by tester", ins, upd, actor, err)
	}
	var before, after string
	if err := e.pool.QueryRow(context.Background(), `SELECT before ->> 'name', after -> 'geom' ->> 'type' FROM audit_log WHERE tbl = 'risk_points' AND action = 'update'`).Scan(&before, &after); err != nil {
		t.Fatal(err)
	}
	if before != "风险点RP-2" || after != "Point" {
		t.Errorf("audited update: before name %q, after geometry %q", before, after)
	}
	// an identical file changes nothing, not even versions
	snap := e.snapshot()
	rep = e.run(e.write("points3.geojson", []byte(fc2)), importers.Options{Layer: "risk_points"})
	if rep.Failed() || rep.Unchanged != 3 || e.snapshot() != snap {
		t.Fatalf("identical re-import changed something: %+v", rep)
	}
}

func TestNewlineDelimitedGeoJSONIsStreamed(t *testing.T) {
	e := newEnv(t)
	var b strings.Builder
	for i := 0; i < 50; i++ {
		b.Write(mustJSON(pointFeature(fmt.Sprintf("S-%d", i), 115.01+float64(i)*0.03, 23.0, nil)))
		b.WriteString("\n")
	}
	rep := e.run(e.write("points.geojsonl", []byte(b.String())), importers.Options{Layer: "risk_points", BatchSize: 7})
	if rep.Failed() || rep.Inserted != 50 {
		t.Fatalf("%+v", rep)
	}
	if got := e.export("risk_points"); len(got) != 50 {
		t.Fatalf("%d features", len(got))
	}
}
