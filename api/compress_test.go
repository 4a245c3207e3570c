package api_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"io"
	"strings"
	"testing"

	"riskmap/tiles"
)

func gunzip(t *testing.T, b []byte) []byte {
	t.Helper()
	r, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("not gzip: %v", err)
	}
	out, err := io.ReadAll(r)
	if err != nil {
		t.Fatalf("gunzip: %v", err)
	}
	return out
}

// TestAnswersAreGzippedOnlyWhenAskedAndIdenticalUnzipped asks for tiles
// (made, then from the cache), a feature list and exports with and without
// Accept-Encoding: gzip: gzipped exactly when asked, the same bytes once
// unzipped, Vary: Accept-Encoding always, and a tile's gzip revalidates to
// 304 like the plain tile. A tile under 1 KB goes as it is, as any answer
// under 1 KB does.
func TestAnswersAreGzippedOnlyWhenAskedAndIdenticalUnzipped(t *testing.T) {
	e := newTileEnv(t)
	if _, err := e.pool.Exec(context.Background(), `INSERT INTO risk_points (name, category, risk_level, address, geom)
		SELECT '压缩点' || i, 'flood', 1 + i % 4, '海滨大道' || i || '号', ST_SetSRID(ST_Point(115.01 + i * 0.0004, 22.6 + i * 0.0003), 4326)
		  FROM generate_series(1, 400) i`); err != nil {
		t.Fatal(err)
	}
	tok := e.token["admin"]
	small, large := 0, 0
	for _, path := range []string{
		"/tiles/risk_points/10/839/445.mvt", "/tiles/risk_points/10/839/445.mvt", // made, then cached
		"/tiles/risk_points/14/13428/7134.mvt", "/tiles/risk_points/14/13428/7134.mvt",
		"/tiles/all/10/839/445.mvt",
		"/api/v1/risk_points?limit=500", "/api/v1/risk_points/export?format=geojson", "/api/v1/risk_points/export?format=csv",
		"/api/v1/risk_points/export?format=gpkg",
	} {
		// (Go's client asks for gzip itself, and unzips, unless told)
		plain := e.get(path, tok, "Accept-Encoding", "identity")
		zipped := e.get(path, tok, "Accept-Encoding", "gzip")
		refused := e.get(path, tok, "Accept-Encoding", "gzip;q=0, identity")
		if plain.StatusCode != 200 || zipped.StatusCode != 200 {
			t.Fatalf("%s: %d / %d %s", path, plain.StatusCode, zipped.StatusCode, plain.Body)
		}
		if plain.Header.Get("Content-Encoding") != "" || refused.Header.Get("Content-Encoding") != "" {
			t.Errorf("%s: compressed although not asked (%q, %q)", path, plain.Header.Get("Content-Encoding"), refused.Header.Get("Content-Encoding"))
		}
		if strings.HasPrefix(path, "/tiles/") && len(plain.Body) < tiles.GzipMinSize {
			// a small tile goes as it is (as any answer under 1 KB)
			if zipped.Header.Get("Content-Encoding") != "" || !bytes.Equal(zipped.Body, plain.Body) {
				t.Errorf("%s: a tile of %d bytes gzipped", path, len(plain.Body))
			}
			small++
			continue
		}
		if zipped.Header.Get("Content-Encoding") != "gzip" {
			t.Errorf("%s: not gzipped when asked (%s)", path, zipped.Header)
			continue
		}
		if strings.HasPrefix(path, "/tiles/") {
			large++
		}
		if !strings.Contains(strings.Join(zipped.Header.Values("Vary"), ","), "Accept-Encoding") ||
			!strings.Contains(strings.Join(plain.Header.Values("Vary"), ","), "Accept-Encoding") {
			t.Errorf("%s: Vary %q / %q", path, zipped.Header.Values("Vary"), plain.Header.Values("Vary"))
		}
		unzipped := gunzip(t, zipped.Body)
		if strings.Contains(path, "gpkg") {
			// a GeoPackage is built anew each time: compare its size
			if len(unzipped) != len(plain.Body) {
				t.Errorf("%s: %d bytes unzipped, %d plain", path, len(unzipped), len(plain.Body))
			}
		} else if !bytes.Equal(unzipped, plain.Body) {
			t.Errorf("%s: the unzipped answer differs from the plain one", path)
		}
		if len(zipped.Body) >= len(plain.Body) {
			t.Errorf("%s: gzip %d bytes, plain %d", path, len(zipped.Body), len(plain.Body))
		}
		if strings.HasPrefix(path, "/tiles/") {
			tag := zipped.Header.Get("ETag")
			if tag == "" || tag == plain.Header.Get("ETag") {
				t.Errorf("%s: the gzip's ETag %q is the plain tile's %q", path, tag, plain.Header.Get("ETag"))
			}
			if res := e.get(path, tok, "Accept-Encoding", "gzip", "If-None-Match", tag); res.StatusCode != 304 {
				t.Errorf("%s: revalidating the gzip: %d", path, res.StatusCode)
			}
		}
	}
	if small == 0 || large == 0 {
		t.Errorf("tiles under and over %d bytes: %d and %d, want some of each", tiles.GzipMinSize, small, large)
	}
}
