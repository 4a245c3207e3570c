package api

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"riskmap"
	"riskmap/coverage"
	"riskmap/tiles"
)

// Vector tiles, TileJSON and the map style (package tiles). Tiles need the
// bearer token like the rest of the API; they are made for the user's scope.
//
//	GET /tiles/{layer}/{z}/{x}/{y}.mvt  200 MVT; 204 when the tile has no feature; 304 on If-None-Match
//	GET /tiles/{layer}.json             TileJSON 3.0.0
//	GET /styles/riskmap.json            the MapLibre style
func (s *Server) tileRoutes(r *gin.Engine) {
	g := r.Group("", s.tileAuthenticate())
	g.GET("/tiles/*path", s.tile)
	g.GET("/styles/riskmap.json", s.style)
}

const mvtType = "application/vnd.mapbox-vector-tile"

// tileAuthenticate is authenticate with the resolved tokens remembered
// (tiles.Tokens), so a map drawing hundreds of tiles checks its token in
// the database once, not per tile.
func (s *Server) tileAuthenticate() gin.HandlerFunc {
	return func(c *gin.Context) {
		tok := credential(c)
		if tok == "" {
			s.fail(c, riskmap.Errorf(riskmap.EUNAUTHORIZED, "missing bearer token: log in at /api/v1/auth/login"))
			return
		}
		tokens := s.Tiles.Tokens()
		u, ok := tokens.Get(tok)
		if !ok {
			gen := tokens.Begin()
			var err error
			var until time.Time
			if u, until, err = s.Auth.AuthenticateUntil(c.Request.Context(), tok); err != nil {
				s.fail(c, err)
				return
			}
			tokens.Put(tok, u, gen, until)
		}
		// (tiles are reads: no audit, so the user is not put in the
		// request's context, which would cost a copy of the request)
		c.Set(userKey, u)
		c.Next()
	}
}

func (s *Server) tile(c *gin.Context) {
	path := strings.TrimPrefix(c.Param("path"), "/")
	if name, ok := strings.CutSuffix(path, ".json"); ok && !strings.Contains(name, "/") {
		if name == coverage.TileLayer {
			s.coverageTileJSON(c)
			return
		}
		s.tileJSON(c, name)
		return
	}
	parts := strings.Split(path, "/")
	if len(parts) != 4 || !strings.HasSuffix(parts[3], ".mvt") {
		s.fail(c, notFound("no such tile path /tiles/%s: tiles are /tiles/{layer}/{z}/{x}/{y}.mvt, their TileJSON /tiles/{layer}.json", path))
		return
	}
	if parts[0] == coverage.TileLayer {
		s.coverageTile(c, parts[1:])
		return
	}
	if err := s.Tiles.CheckLayer(parts[0]); err != nil {
		s.fail(c, err)
		return
	}
	id, err := tiles.ParseTileID(parts[1], parts[2], strings.TrimSuffix(parts[3], ".mvt"))
	if err != nil {
		s.fail(c, err)
		return
	}
	t, err := s.Tiles.Tile(c.Request.Context(), currentUser(c).Scope(), parts[0], id)
	if err != nil {
		s.fail(c, err)
		return
	}
	writeTile(c, t)
}

// writeTile answers with a tile: 204 when it has no feature, 304 when the
// client holds it already, its cached gzip when the client accepts gzip.
func writeTile(c *gin.Context, t tiles.Tile) {
	h := c.Writer.Header()
	// per user scope, so private; no-cache: revalidate every time (a 304 is
	// as cheap as a cached tile), so no browser shows a tile a write changed
	h.Set("Cache-Control", "private, no-cache")
	h.Add("Vary", "Authorization, Accept-Encoding")
	if t.Cached {
		h.Set("X-Cache", "HIT")
	} else {
		h.Set("X-Cache", "MISS")
	}
	if len(t.Data) == 0 {
		// no feature in the tile: nothing to send
		c.Status(http.StatusNoContent)
		c.Writer.WriteHeaderNow()
		return
	}
	body, tag, gz := tileBody(c.Request, t)
	h.Set("ETag", tag)
	if etagMatches(c.GetHeader("If-None-Match"), t.ETag) {
		c.Status(http.StatusNotModified)
		c.Writer.WriteHeaderNow()
		return
	}
	if gz {
		h.Set("Content-Encoding", "gzip")
	}
	c.Data(http.StatusOK, mvtType, body)
}

// tileBody is the representation of t to send: its gzip (with its own
// entity tag, as RFC 9110 wants for another encoding) when the client
// accepts gzip, else the plain tile.
func tileBody(r *http.Request, t tiles.Tile) (body []byte, etag string, gz bool) {
	if len(t.Gzip) > 0 && acceptsGzip(r.Header.Get("Accept-Encoding")) {
		return t.Gzip, gzipETag(t.ETag), true
	}
	return t.Data, t.ETag, false
}

// gzipETag is the entity tag of the gzip of a representation tagged etag.
func gzipETag(etag string) string { return strings.TrimSuffix(etag, `"`) + `-gzip"` }

// acceptsGzip reads Accept-Encoding: gzip (or x-gzip, or *) without q=0.
func acceptsGzip(h string) bool {
	if h == "" {
		return false
	}
	star := false
	for _, part := range strings.Split(h, ",") {
		name, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		name = strings.ToLower(strings.TrimSpace(name))
		q := 1.0
		if v, ok := strings.CutPrefix(strings.TrimSpace(params), "q="); ok {
			if x, err := strconv.ParseFloat(v, 64); err == nil {
				q = x
			}
		}
		switch name {
		case "gzip", "x-gzip":
			return q > 0
		case "*":
			star = q > 0
		}
	}
	return star
}

// etagMatches implements If-None-Match's weak comparison over a list; a
// tag of the gzip of the same representation matches too (the content is
// the same).
func etagMatches(header, etag string) bool {
	for _, v := range strings.Split(header, ",") {
		v = strings.TrimPrefix(strings.TrimSpace(v), "W/")
		if v == "*" || v == etag || v == gzipETag(etag) {
			return true
		}
	}
	return false
}

func (s *Server) tileJSON(c *gin.Context, layer string) {
	tj, err := s.Tiles.TileJSON(c.Request.Context(), currentUser(c).Scope(), layer, s.baseURL(c))
	if err != nil {
		s.fail(c, err)
		return
	}
	c.Header("Cache-Control", "private, no-cache")
	c.JSON(http.StatusOK, tj)
}

func (s *Server) style(c *gin.Context) {
	c.Header("Cache-Control", "private, no-cache")
	c.Data(http.StatusOK, "application/json", tiles.Style(s.baseURL(c)))
}

// syncTiles holds back the answer to a successful write until this
// replica's tile cache has applied every change committed so far
// (tiles.Service.Sync), so a tile asked for after the answer shows the
// write. It syncs before the first byte of the answer is written, or after
// the handler when it wrote nothing.
func (s *Server) syncTiles() gin.HandlerFunc {
	return func(c *gin.Context) {
		m := c.Request.Method
		if (s.Tiles == nil && s.Reads == nil) || m == http.MethodGet || m == http.MethodHead || m == http.MethodOptions {
			c.Next()
			return
		}
		w := &syncWriter{ResponseWriter: c.Writer, sync: func(status int) {
			if status < 400 {
				s.syncCaches(c)
			}
		}}
		c.Writer = w
		c.Next()
		w.before()
	}
}

type syncWriter struct {
	gin.ResponseWriter
	sync   func(status int)
	synced bool
}

func (w *syncWriter) before() {
	if !w.synced {
		w.synced = true
		w.sync(w.Status())
	}
}

func (w *syncWriter) Write(b []byte) (int, error) {
	w.before()
	return w.ResponseWriter.Write(b)
}

func (w *syncWriter) WriteString(s string) (int, error) {
	w.before()
	return w.ResponseWriter.WriteString(s)
}

func (w *syncWriter) WriteHeaderNow() {
	w.before()
	w.ResponseWriter.WriteHeaderNow()
}

func (w *syncWriter) Flush() {
	w.before()
	w.ResponseWriter.Flush()
}

// directTiles answers, ahead of the router, the requests a map makes most:
// a tile of a tile layer for a token in the token cache, from the tile
// cache or, on a miss, from the database. Such an answer skips the router's
// per-request work (request id, access log line, middleware chain), which
// cost as much CPU as a small tile's query; it is counted in /metrics under
// the tile route and carries the same headers as any tile, and it runs
// within RequestTimeout. Everything else (an unknown token, a malformed
// path, a cross-origin request, an error, a panic) goes to next, the router,
// as usual, which answers it (an error or a panic once more, through the
// router) with its log line.
func (s *Server) directTiles(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet || !strings.HasPrefix(r.URL.Path, "/tiles/") || r.Header.Get("Origin") != "" || !s.serveDirectTile(w, r) {
			next.ServeHTTP(w, r)
		}
	})
}

func (s *Server) serveDirectTile(w http.ResponseWriter, r *http.Request) (served bool) {
	start := time.Now()
	layer, rest, ok := strings.Cut(r.URL.Path[len("/tiles/"):], "/")
	if !ok {
		return false
	}
	zs, rest, ok1 := strings.Cut(rest, "/")
	xs, ys, ok2 := strings.Cut(rest, "/")
	ys, ok3 := strings.CutSuffix(ys, ".mvt")
	if !ok1 || !ok2 || !ok3 || s.Tiles.CheckLayer(layer) != nil {
		return false
	}
	id, err := tiles.ParseTileID(zs, xs, ys)
	if err != nil {
		return false
	}
	h := r.Header.Get("Authorization")
	if len(h) <= 7 || !strings.EqualFold(h[:7], "bearer ") {
		return false
	}
	u, ok := s.Tiles.Tokens().Get(strings.TrimSpace(h[7:]))
	if !ok {
		return false
	}
	t, ok := s.Tiles.Cached(u.Scope(), layer, id)
	if !ok {
		// a miss: made here, unless it fails (the router answers that)
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				served = false
			}
		}()
		ctx := r.Context()
		if s.RequestTimeout > 0 {
			var cancel context.CancelFunc
			ctx, cancel = context.WithTimeout(ctx, s.RequestTimeout)
			defer cancel()
		}
		if t, err = s.Tiles.Tile(ctx, u.Scope(), layer, id); err != nil {
			return false
		}
	}
	hd := w.Header()
	// as securityHeaders and tile set them; the keys in canonical form, as
	// Set would make them, spare its canonicalisation per header
	hd["X-Content-Type-Options"] = []string{"nosniff"}
	hd["X-Frame-Options"] = []string{"DENY"}
	hd["Referrer-Policy"] = []string{"no-referrer"}
	hd["Cross-Origin-Opener-Policy"] = []string{"same-origin"}
	hd["Cache-Control"] = []string{"private, no-cache"}
	hd["Vary"] = []string{"Authorization, Accept-Encoding"}
	if t.Cached {
		hd["X-Cache"] = []string{"HIT"}
	} else {
		hd["X-Cache"] = []string{"MISS"}
	}
	status := http.StatusOK
	switch {
	case len(t.Data) == 0:
		status = http.StatusNoContent
		w.WriteHeader(status)
	default:
		body, tag, gz := tileBody(r, t)
		hd["Etag"] = []string{tag}
		if etagMatches(r.Header.Get("If-None-Match"), t.ETag) {
			status = http.StatusNotModified
			w.WriteHeader(status)
			break
		}
		hd["Content-Type"] = []string{mvtType}
		hd["Content-Length"] = []string{strconv.Itoa(len(body))}
		if gz {
			hd["Content-Encoding"] = []string{"gzip"}
		}
		w.WriteHeader(status)
		_, _ = w.Write(body)
	}
	if s.Metrics != nil {
		s.Metrics.ObserveRequest("/tiles/*path", http.MethodGet, status, time.Since(start))
	}
	return true
}
