package importers_test

import (
	"reflect"
	"strings"
	"testing"

	"riskmap"
	"riskmap/importers"
)

func TestParseOptionsReadsEveryOptionAndNamesTheFieldOfABadOne(t *testing.T) {
	full := map[string][]string{
		"layer": {"risk_points"}, "format": {"CSV"}, "crs": {"gcj02"}, "encoding": {"GB2312"}, "skip_invalid": {"on"},
		"bulk": {"off"}, "map": {"名字=name", "lng=lon, lat=lat"}, "table": {"points"}, "batch": {"500"},
	}
	got, err := importers.ParseOptions(full)
	want := importers.Options{Layer: "risk_points", Format: importers.CSV, CRS: "gcj02", Encoding: importers.GBK, SkipInvalid: true,
		Bulk: importers.BulkOff, Mapping: map[string]string{"名字": "name", "lng": "lon", "lat": "lat"}, Table: "points", BatchSize: 500}
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Fatalf("ParseOptions(%v)\n = %+v, %v\nwant %+v", full, got, err, want)
	}
	if o, err := importers.ParseOptions(map[string][]string{"layer": {" grids "}}); err != nil || o.Layer != "grids" || o.Bulk != importers.BulkAuto || o.SkipInvalid {
		t.Errorf("defaults: %+v, %v", o, err)
	}
	for _, c := range []struct {
		name  string
		raw   map[string][]string
		field string
		says  string
	}{
		{"no layer", map[string][]string{"crs": {"wgs84"}}, "layer", "required"},
		{"an unknown option", map[string][]string{"layer": {"grids"}, "colour": {"red"}}, "colour", "unknown option"},
		{"a format we do not read", map[string][]string{"layer": {"grids"}, "format": {"kml"}}, "format", `"kml"`},
		{"an unknown coordinate system", map[string][]string{"layer": {"grids"}, "crs": {"EPSG:2000"}}, "crs", `"EPSG:2000"`},
		{"an unknown encoding", map[string][]string{"layer": {"grids"}, "encoding": {"latin1"}}, "encoding", `"latin1"`},
		{"skip_invalid neither true nor false", map[string][]string{"layer": {"grids"}, "skip_invalid": {"maybe"}}, "skip_invalid", `"maybe"`},
		{"an unknown bulk mode", map[string][]string{"layer": {"grids"}, "bulk": {"sometimes"}}, "bulk", `"sometimes"`},
		{"a mapping without =", map[string][]string{"layer": {"grids"}, "map": {"name"}}, "map", `"name"`},
		{"a batch of no rows", map[string][]string{"layer": {"grids"}, "batch": {"0"}}, "batch", `"0"`},
		{"a layer given twice", map[string][]string{"layer": {"grids", "areas"}}, "layer", "2 times"},
	} {
		_, err := importers.ParseOptions(c.raw)
		d := riskmap.ErrorDetails(err)
		if riskmap.ErrorCode(err) != riskmap.EINVALID || len(d) != 1 || d[0].Field != c.field ||
			!strings.HasPrefix(riskmap.ErrorMessage(err), c.field+": ") || !strings.Contains(riskmap.ErrorMessage(err), c.says) {
			t.Errorf("%s: %v (details %+v), want EINVALID naming %s and saying %s", c.name, err, d, c.field, c.says)
		}
	}
}
