package web

import (
	"io/fs"
	"strings"
	"testing"
)

func TestTheIndexPageIsServedBuiltOrNot(t *testing.T) {
	b, err := fs.ReadFile(Files(), "index.html")
	if err != nil {
		t.Fatalf("index.html: %v", err)
	}
	if !strings.Contains(string(b), "汕尾市应急风险一张图") {
		t.Errorf("index.html is not the app's page: %.200s", b)
	}
	if Built() {
		if !strings.Contains(string(b), `<script type="module"`) {
			t.Errorf("the built index.html loads no module: %.300s", b)
		}
		if m, _ := fs.Glob(Files(), "maplibre-gl-worker-*.js"); len(m) != 1 {
			t.Errorf("the build lacks MapLibre's worker (a content-named maplibre-gl-worker-*.js): %v", m)
		}
		for _, f := range []string{"sw.js", "manifest.webmanifest", "icons/icon-192.png", "icons/icon-512.png"} {
			if _, err := fs.Stat(Files(), f); err != nil {
				t.Errorf("the build lacks %s: %v", f, err)
			}
		}
		if !strings.Contains(string(b), `<link rel="manifest" href="/manifest.webmanifest">`) {
			t.Errorf("index.html does not link its manifest: %.600s", b)
		}
		if _, err := fs.Stat(Files(), "fonts/Noto Sans Regular/0-255.pbf"); err != nil {
			t.Errorf("the build lacks the Latin glyphs the style asks for: %v", err)
		}
	} else if !strings.Contains(string(b), "make build") {
		t.Errorf("the placeholder does not say how to build the app: %.300s", b)
	}
}
