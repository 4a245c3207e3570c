package api

import (
	"io"
	"io/fs"
	"net/http"
	"path"
	"strings"

	"github.com/gin-gonic/gin"
)

// ownPaths are the path prefixes the server answers itself: an unknown
// path under one is a 404, never the app's page (a client asking for a
// glyph range, a tile or an API path it got wrong must learn so; MapLibre
// draws without glyphs that 404).
var ownPaths = []string{"/api", "/tiles", "/ogc", "/styles", "/fonts", "/metrics", "/healthz", "/openapi.json"}

func ownPath(p string) bool {
	for _, prefix := range ownPaths {
		if p == prefix || strings.HasPrefix(p, prefix+"/") {
			return true
		}
	}
	return false
}

// serveWeb answers GET requests outside the API with the embedded web app;
// unknown paths get index.html so the app's own routes survive a reload.
// Under /fonts (the glyphs the app ships) only files that exist are served.
func (s *Server) serveWeb(c *gin.Context) bool {
	if s.Web == nil || (c.Request.Method != http.MethodGet && c.Request.Method != http.MethodHead) {
		return false
	}
	p := c.Request.URL.Path
	name := strings.TrimPrefix(path.Clean(p), "/")
	if name == "" || name == "." {
		name = "index.html"
	}
	st, err := fs.Stat(s.Web, name)
	exists := err == nil && !st.IsDir()
	if ownPath(p) && !(exists && strings.HasPrefix(p, "/fonts/")) {
		return false
	}
	if !exists {
		name = "index.html"
	}
	switch name {
	case "index.html", "sw.js", "manifest.webmanifest":
		// what names this build's files: revalidated every time, so a new
		// build (a new service worker) is found as soon as it is deployed
		c.Header("Cache-Control", "no-cache")
	default:
		c.Header("Cache-Control", "public, max-age=3600")
	}
	if name == "manifest.webmanifest" {
		c.Header("Content-Type", "application/manifest+json")
	}
	c.Header("Content-Security-Policy", s.contentSecurityPolicy())
	f, err := s.Web.Open(name)
	if err != nil {
		return false
	}
	defer f.Close()
	st, err = f.Stat()
	if err != nil {
		return false
	}
	// ServeContent rather than ServeFileFS: the service worker precaches
	// /index.html, which ServeFileFS would redirect to /
	if rs, ok := f.(io.ReadSeeker); ok {
		http.ServeContent(c.Writer, c.Request, name, st.ModTime(), rs)
	} else {
		http.ServeFileFS(c.Writer, c.Request, s.Web, name)
	}
	return true
}
