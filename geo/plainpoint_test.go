package geo

import (
	"testing"
)

// strictPoint is ParseGeometry without its fast path.
func strictPoint(raw []byte) (any, error) {
	v, err := decodeJSONStrict(raw, geometryRoot)
	if err != nil {
		return nil, err
	}
	return parseGeometryValue(v, geometryRoot)
}

func TestPlainPointReadsTheCommonFormAndDeclinesTheRest(t *testing.T) {
	for _, c := range []struct {
		raw  string
		read bool
	}{
		{`{"type":"Point","coordinates":[115.1403017,23.1709757]}`, true},
		{` { "coordinates" : [ -0.5 , 1e1 ] , "type" : "Point" } `, true},
		{"{\"type\":\"Point\",\n\"coordinates\":[180,-90]}", true},
		{`{"type":"Point","coordinates":[115,23,10]}`, false}, // altitude: the strict path drops it
		{`{"type":"Point","coordinates":[115,23],"bbox":[1,2,3,4]}`, false},
		{`{"type":"Point","type":"Point","coordinates":[115,23]}`, false}, // duplicate member: refused
		{`{"type":"Point","coordinates":[181,23]}`, false},
		{`{"type":"Point","coordinates":[1e999,23]}`, false},
		{`{"type":"Point","coordinates":[115,23]}x`, false},
		{`{"type":"P\u006fint","coordinates":[115,23]}`, false},
		{`{"type":"LineString","coordinates":[[115,23],[116,23]]}`, false},
		{`{"type":"Point","coordinates":[115,23`, false},
		{`{"type":"Point","coordinates":[01,23]}`, false},
	} {
		p, ok := plainPoint([]byte(c.raw))
		if ok != c.read {
			t.Errorf("plainPoint(%s) read=%v, want %v", c.raw, ok, c.read)
			continue
		}
		if ok {
			want, err := strictPoint([]byte(c.raw))
			if err != nil || want != any(p) {
				t.Errorf("plainPoint(%s) = %v; the strict path gives %v, %v", c.raw, p, want, err)
			}
		}
	}
}

func FuzzPlainPointAgreesWithTheStrictPath(f *testing.F) {
	for _, s := range []string{`{"type":"Point","coordinates":[115.37,22.79]}`, `{"coordinates":[1,2],"type":"Point"}`,
		`{"type":"Point","coordinates":[1,2,3]}`, `{"type":"Point","coordinates":[-180.0,90e0]}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		p, ok := plainPoint(raw)
		if !ok {
			return
		}
		want, err := strictPoint(raw)
		if err != nil || want != any(p) {
			t.Fatalf("plainPoint(%q) = %v; the strict path gives %v, %v", raw, p, want, err)
		}
	})
}
