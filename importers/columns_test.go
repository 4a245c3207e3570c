package importers

import (
	"reflect"
	"strings"
	"testing"

	"riskmap/features"
)

func TestColumnsMapByNameCutNameOrAliasAndNothingElse(t *testing.T) {
	points := features.NewRegistry()["risk_points"]
	cases := []struct {
		name     string
		cols     []string
		ignore   []string
		want     map[string]string
		unknown  []string
		errNames []string
	}{
		{"a Shapefile GDAL wrote from riskmap's export", []string{"id", "external_i", "name", "responsibl", "responsi_1", "population", "last_inspe", "grid_code", "version", "created_at", "updated_at"}, nil,
			map[string]string{"external_i": "external_id", "name": "name", "responsibl": "responsible_unit", "responsi_1": "responsible_person",
				"population": "population_exposed", "last_inspe": "last_inspection"}, nil, nil},
		{"the bureau's own id column is the key when nothing else is", []string{"ID", "名称"}, nil,
			map[string]string{"ID": "external_id", "名称": "name"}, nil, nil},
		{"riskmap's id beside external_id is ignored, not the key", []string{"id", "external_id"}, nil,
			map[string]string{"external_id": "external_id"}, nil, nil},
		{"a cut name two fields share, alone, is ambiguous", []string{"external_i", "responsibl"}, nil, nil, nil,
			[]string{"responsible_unit", "responsible_person"}},
		{"an unknown column is named", []string{"external_id", "remark", "备注"}, nil,
			map[string]string{"external_id": "external_id"}, []string{"remark", "备注"}, nil},
		{"unless it is to be ignored", []string{"external_id", "remark"}, []string{"remark"},
			map[string]string{"external_id": "external_id"}, nil, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ignore := map[string]bool{}
			for _, x := range c.ignore {
				ignore[x] = true
			}
			m, _, unknown, err := columnMap(points, c.cols, nil, ignore)
			if c.errNames != nil {
				if err == nil {
					t.Fatalf("want an error naming %v, got mapping %v", c.errNames, m)
				}
				for _, n := range c.errNames {
					if !strings.Contains(err.Error(), n) {
						t.Errorf("error %q does not name %s", err, n)
					}
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(m, c.want) || !reflect.DeepEqual(unknown, c.unknown) {
				t.Errorf("mapping %v unknown %v, want %v and %v", m, unknown, c.want, c.unknown)
			}
		})
	}
}
