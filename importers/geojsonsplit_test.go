package importers

import (
	"encoding/json"
	"reflect"
	"testing"
)

var splitSeeds = []string{
	`{"type":"Feature","geometry":{"type":"Point","coordinates":[115.1,23.2]},"properties":{"name":"风险点1号","risk_level":2,"address":null}}`,
	` { "type" : "Feature" , "id" : 7, "properties" : { "a" : [1, {"b": "}"}], "c": "x\"y" }, "geometry" : null } `,
	`{"type":"Feature","properties":{"a":1,"a":2},"geometry":{"type":"Point","coordinates":[1,2]}}`,
	`{"type":"Feature","properties":null}`,
	`{"type":"Feature","properties":{}}`,
	`{}`,
	`{"type":"Featur\u0065","properties":{"x":1}}`,
	`{"Type":"Feature","Properties":{"x":1}}`,
	`{"type":"Feature","properties":{"x":1},"properties":{"y":2}}`,
	`{"type":5,"properties":{}}`,
	`{"type":null}`,
	`{"type":"Feature","properties":[1,2]}`,
	`{"type":"Feature","properties":{"k\u00e9y":true}}`,
	`{"type":"Feature","extra":{"nested":["]","}"]},"properties":{"n":-1.5e3}}`,
	`[1,2]`,
	`"Feature"`,
	`{"type":"Feature","properties":{"a":"b"}} `,
}

// splitFeature gives what encoding/json gives, or leaves the feature to it.
func FuzzSplitFeatureAgreesWithEncodingJSON(f *testing.F) {
	for _, s := range splitSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		if !json.Valid(raw) {
			return
		}
		got, ok := splitFeature(raw)
		if !ok {
			return
		}
		var want geojsonFeature
		if err := json.Unmarshal(raw, &want); err != nil {
			t.Fatalf("split %s, which encoding/json refuses: %v", raw, err)
		}
		if got.Type != want.Type || string(got.ID) != string(want.ID) || string(got.Geometry) != string(want.Geometry) ||
			len(got.Properties) != len(want.Properties) {
			t.Fatalf("%s: split %+v, encoding/json %+v", raw, got, want)
		}
		for k, v := range want.Properties {
			if string(got.Properties[k]) != string(v) {
				t.Fatalf("%s: property %q split as %s, encoding/json %s", raw, k, got.Properties[k], v)
			}
		}
	})
}

func TestSplitFeatureHandlesPlainFeaturesAndLeavesTheRest(t *testing.T) {
	plain := map[string]bool{
		splitSeeds[0]: true, splitSeeds[1]: true, splitSeeds[2]: true, splitSeeds[3]: true, splitSeeds[4]: true,
		splitSeeds[5]: true, splitSeeds[13]: true, splitSeeds[16]: true,
	}
	for _, s := range splitSeeds {
		_, ok := splitFeature([]byte(s))
		if ok != plain[s] {
			t.Errorf("%s: split %v, want %v", s, ok, plain[s])
		}
	}
	f, _ := splitFeature([]byte(splitSeeds[2]))
	if !reflect.DeepEqual(f.Properties, map[string]json.RawMessage{"a": json.RawMessage("2")}) {
		t.Errorf("a name given twice: %s", f.Properties)
	}
}
