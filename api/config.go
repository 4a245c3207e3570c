package api

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/gin-gonic/gin"
)

// Basemap is an optional raster basemap the web app draws under the layers
// (for example 天地图's Web Mercator services, vec_w or img_w, with cva_w or
// cia_w for the Chinese labels). Without one, the administrative areas are
// the base map and the app reaches no host but this server.
type Basemap struct {
	// Tiles are XYZ URL templates with {z}, {x} and {y} (alternatives for
	// the same tiles, e.g. server subdomains); Labels, optional, a layer
	// drawn above it.
	Tiles       []string `json:"tiles"`
	Labels      []string `json:"labels,omitempty"`
	Attribution string   `json:"attribution,omitempty"`
	MaxZoom     int      `json:"max_zoom,omitempty"`
}

// ParseBasemapURLs checks comma-separated XYZ URL templates; flag names the
// option they came from, for the error.
func ParseBasemapURLs(flag, list string) ([]string, error) {
	var out []string
	for _, u := range strings.Split(list, ",") {
		u = strings.TrimSpace(u)
		if u == "" {
			continue
		}
		p, err := url.Parse(u)
		if err != nil || (p.Scheme != "https" && p.Scheme != "http") || p.Host == "" {
			return nil, fmt.Errorf("%s: %q is not an http(s) URL", flag, u)
		}
		for _, ph := range []string{"{z}", "{x}", "{y}"} {
			if !strings.Contains(u, ph) {
				return nil, fmt.Errorf("%s: %q lacks the placeholder %s (want an XYZ template such as https://host/{z}/{x}/{y}.png)", flag, u, ph)
			}
		}
		out = append(out, u)
	}
	return out, nil
}

// origins lists the scheme://host of every basemap URL, for the web app's
// Content-Security-Policy.
func (b *Basemap) origins() []string {
	if b == nil {
		return nil
	}
	var out []string
	for _, u := range append(append([]string{}, b.Tiles...), b.Labels...) {
		if p, err := url.Parse(u); err == nil && p.Host != "" {
			o := p.Scheme + "://" + p.Host
			if !slices.Contains(out, o) {
				out = append(out, o)
			}
		}
	}
	return out
}

// contentSecurityPolicy is the web app's policy: this server only, plus the
// basemap's hosts for images (MapLibre fetches raster tiles with fetch, so
// connect-src needs them too).
func (s *Server) contentSecurityPolicy() string {
	extra := ""
	if o := s.Basemap.origins(); len(o) > 0 {
		extra = " " + strings.Join(o, " ")
	}
	return "default-src 'self'; img-src 'self' data: blob:" + extra + "; style-src 'self' 'unsafe-inline'; worker-src 'self' blob:; connect-src 'self'" + extra
}

// webConfig: GET /api/v1/config, what the web app needs to know about this
// deployment (the basemap, or null).
func (s *Server) webConfig(c *gin.Context) {
	c.Header("Cache-Control", "private, no-cache")
	c.JSON(http.StatusOK, gin.H{"basemap": s.Basemap})
}
