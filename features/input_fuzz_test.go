package features

import (
	"testing"

	"riskmap/geo"
)

// FuzzParseInput: no request body makes the feature parser panic, and what
// it accepts only names columns of the layer.
func FuzzParseInput(f *testing.F) {
	for _, s := range []string{
		`{"type":"Feature","geometry":{"type":"Point","coordinates":[115.3,22.8]},"properties":{"name":"x","category":"flood","risk_level":2}}`,
		`{"type":"Feature","geometry":{"type":"Point","coordinates":[115.3,22.8]},"properties":{"name":"x","category":"flood","risk_level":2.5}}`,
		`{"type":"Feature","properties":{"last_inspection":"2026-13-45","population_exposed":-1}}`,
		`{"type":"Feature","properties":{"inventory":[{"item":"tents","unit":"顶","quantity":3}]}}`,
		`{"type":"Feature","id":"x"}`, `{}`, `[]`, `{"type":"Feature","geometry":{"type":"Point","coordinates":[22.8,115.3]}}`,
	} {
		f.Add([]byte(s), true)
		f.Add([]byte(s), false)
	}
	reg := NewRegistry()
	bounds := &geo.Bounds{MinLon: 114.8, MinLat: 22.5, MaxLon: 116.3, MaxLat: 23.5}
	f.Fuzz(func(t *testing.T, body []byte, partial bool) {
		for _, name := range []string{"risk_points", "depots", "grids"} {
			l := reg[name]
			in, err := ParseInput(l, body, partial, geo.CRSGCJ02, bounds)
			if err != nil {
				continue
			}
			for col := range in.Values {
				if _, ok := l.Field(col); !ok {
					t.Fatalf("%s: accepted unknown column %q from %q", name, col, body)
				}
			}
		}
	})
}
