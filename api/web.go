package api

import (
	"io/fs"
	"net/http"
	"path"
	"strings"

	"github.com/gin-gonic/gin"
)

// serveWeb answers GET requests outside the API with the embedded web app;
// unknown paths get index.html so the app's own routes survive a reload.
func (s *Server) serveWeb(c *gin.Context) bool {
	if s.Web == nil || (c.Request.Method != http.MethodGet && c.Request.Method != http.MethodHead) {
		return false
	}
	p := c.Request.URL.Path
	for _, prefix := range []string{"/api/", "/tiles/", "/ogc", "/styles/", "/metrics", "/healthz", "/openapi.json"} {
		if strings.HasPrefix(p, prefix) {
			return false
		}
	}
	name := strings.TrimPrefix(path.Clean(p), "/")
	if name == "" {
		name = "index.html"
	}
	if st, err := fs.Stat(s.Web, name); err != nil || st.IsDir() {
		name = "index.html"
	}
	if name == "index.html" {
		c.Header("Cache-Control", "no-cache")
	} else {
		c.Header("Cache-Control", "public, max-age=3600")
	}
	c.Header("Content-Security-Policy", s.contentSecurityPolicy())
	http.ServeFileFS(c.Writer, c.Request, s.Web, name)
	return true
}
