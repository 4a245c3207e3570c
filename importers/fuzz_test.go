package importers

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"
)

// readAll opens data as format and reads it to the end, checking what every
// record must satisfy whatever the input: rows numbered 1, 2, 3…, and each
// either readable (cells) or carrying its reason.
func readAll(t *testing.T, format Format, data []byte, opts Options) {
	p := filepath.Join(t.TempDir(), "in")
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	r, err := Open(p, format, opts)
	if err != nil {
		return // refused as a whole, with a reason
	}
	defer r.Close()
	for want := 1; want < 1_000_000; want++ {
		rec, err := r.Next()
		if errors.Is(err, io.EOF) {
			return
		}
		if err != nil {
			if err.Error() == "" {
				t.Fatal("a file error without a message")
			}
			return
		}
		if rec.Row != want {
			t.Fatalf("row %d numbered %d", want, rec.Row)
		}
		if rec.Err == nil && rec.Cells == nil {
			t.Fatalf("row %d has neither cells nor a reason", want)
		}
		if p := r.Progress(); p < 0 || p > 1 {
			t.Fatalf("progress %v", p)
		}
	}
}

func FuzzGeoJSONReader(f *testing.F) {
	for _, s := range []string{
		`{"type":"FeatureCollection","features":[{"type":"Feature","geometry":{"type":"Point","coordinates":[115.3,23]},"properties":{"name":"点"}}]}`,
		`{"type":"FeatureCollection","crs":{"type":"name","properties":{"name":"urn:ogc:def:crs:EPSG::4526"}},"features":[]}`,
		"{\"type\":\"Feature\",\"geometry\":null,\"properties\":{}}\n{\"type\":\"Feature\",\"geometry\":null,\"properties\":{\"a\":1}}\n",
		"\x1e{\"type\":\"Feature\",\"properties\":{}}\n\x1e[1,2]\n",
		`{"type":"FeatureCollection","features":[{"type":"Feature"},`,
		`{"features":[],"type":"Topology"}`,
		"\ufeff{\"type\":\"FeatureCollection\",\"features\":[1,\"x\",null]}",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		readAll(t, GeoJSON, data, Options{})
	})
}

func FuzzCSVReader(f *testing.F) {
	for _, s := range []string{
		"编号,名称,经度,纬度\nA1,点,115.3,23.0\n",
		"\ufeffid;name;lon;lat\n1;x;115;23\n",
		"a,b\n\"unclosed,1\n",
		"a,a\n1,2\n",
		"x\ty\tz\n1\t2\n",
		"名称\n\xff\xfe\n",
		"",
	} {
		f.Add([]byte(s), false)
		f.Add([]byte(s), true)
	}
	f.Fuzz(func(t *testing.T, data []byte, gbk bool) {
		enc := UTF8
		if gbk {
			enc = GBK
		}
		readAll(t, CSV, data, Options{Encoding: enc})
	})
}
