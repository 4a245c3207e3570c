package api

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gin-gonic/gin"

	"riskmap"
	"riskmap/coverage"
	"riskmap/metrics"
	"riskmap/tiles"
)

// Vector tiles (package tiles) and the coverage layer (package coverage),
// for the user's scope, with the bearer token like the rest of the API:
//
//	GET /tiles/{layer}/{z}/{x}/{y}.mvt  200 MVT; 204 when the tile has no feature; 304 on If-None-Match
//	GET /tiles/{layer}.json             TileJSON 3.0.0
//	GET /tiles/coverage/{z}/{x}/{y}.mvt?facility=stations&max_distance_m=5000[&kind=][&max_minutes=][&area=]
//	GET /tiles/coverage.json?facility=…  TileJSON whose tile URLs carry the same parameters
//
// Everything under /tiles/ is served by one http.Handler, tileHandler,
// mounted ahead of the router (Handler): a map asks for hundreds of tiles
// a view, and the router's per-request work (its context, the middleware
// chain, a log line) cost as much CPU as a cached tile. The handler does
// what that chain does for a tile, itself: security and CORS headers (the
// router's own functions), the request's deadline, one authentication
// (auth.Service.AuthenticateCached), one path parser (parseTilePath), one
// writer (writeTile), errors as the API's JSON (writeError), the request
// counted in /metrics under tilesRoute. A request is logged when it fails;
// the many that do not are counted, not logged.
//
// Adding a tile layer is adding it to tiles.Layers (or, for a layer made
// elsewhere, one case in serveTile); the path, the token, the headers and
// the writer stay as they are.

// tilesPrefix is the path the tile handler owns; tilesRoute names its
// requests in /metrics, the route list and the security matrix.
const (
	tilesPrefix = "/tiles/"
	tilesRoute  = "/tiles/*path"
)

const mvtType = "application/vnd.mapbox-vector-tile"

// autoContentLength is net/http's buffer before it sends a body chunked:
// a body written whole within it gets its Content-Length from net/http.
const autoContentLength = 2048

// Header values of a tile answer, prebuilt (len == cap: see
// securityHeaderValues).
var (
	tileCacheControl = []string{"private, no-cache"} // per user scope; revalidated every time (a 304 is as cheap as a hit)
	tileVary         = []string{"Authorization, Accept-Encoding"}
	tileGzip         = []string{"gzip"}
	tileMiss         = []string{"MISS"}
	tileContentType  = []string{mvtType}
)

// tilePath is what a path under /tiles/ asks for: a tile of a layer, or
// (json) the layer's TileJSON.
type tilePath struct {
	layer string
	json  bool
	id    tiles.TileID
}

// parseTilePath reads the path after /tiles/: {layer}.json or
// {layer}/{z}/{x}/{y}.mvt (the layer itself is checked by its owner).
func parseTilePath(p string) (tilePath, error) {
	if name, ok := strings.CutSuffix(p, ".json"); ok && name != "" && !strings.Contains(name, "/") {
		return tilePath{layer: name, json: true}, nil
	}
	layer, zs, xs, ys, ok := cutTilePath(p)
	if !ok {
		return tilePath{}, notFound("no such tile path /tiles/%s: tiles are /tiles/{layer}/{z}/{x}/{y}.mvt, their TileJSON /tiles/{layer}.json", p)
	}
	id, err := tiles.ParseTileID(zs, xs, ys)
	return tilePath{layer: layer, id: id}, err
}

// parseTile is parseTilePath for a tile, with no error made: ok is false
// for anything else (parseTilePath says what).
func parseTile(p string) (tilePath, bool) {
	layer, zs, xs, ys, ok := cutTilePath(p)
	if !ok {
		return tilePath{}, false
	}
	id, err := tiles.ParseTileID(zs, xs, ys)
	return tilePath{layer: layer, id: id}, err == nil
}

// cutTilePath splits {layer}/{z}/{x}/{y}.mvt.
func cutTilePath(p string) (layer, z, x, y string, ok bool) {
	layer, rest, ok1 := strings.Cut(p, "/")
	z, rest, ok2 := strings.Cut(rest, "/")
	x, y, ok3 := strings.Cut(rest, "/")
	y, ok4 := strings.CutSuffix(y, ".mvt")
	ok = ok1 && ok2 && ok3 && ok4 && layer != "" && !strings.Contains(y, "/")
	return layer, z, x, y, ok
}

// tileHandler serves everything under /tiles/.
type tileHandler struct {
	s       *Server
	metrics *metrics.Route // nil: not counted
}

func (s *Server) newTileHandler() *tileHandler {
	h := &tileHandler{s: s}
	if s.Metrics != nil {
		h.metrics = s.Metrics.Route(tilesRoute, http.MethodGet, http.StatusOK, http.StatusNoContent, http.StatusNotModified)
	}
	return h
}

func (th *tileHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s := th.s
	start := time.Now()
	var ctx *bounded // made only when the caches cannot answer
	status, size, err := 0, 0, error(nil)
	defer func() {
		if v := recover(); v != nil {
			if v == http.ErrAbortHandler {
				panic(v)
			}
			err = fmt.Errorf("panic: %v", v)
		}
		if ctx != nil {
			ctx.release()
		}
		if err != nil {
			id := requestIDOf(r)
			w.Header().Set("X-Request-ID", id)
			req := r
			if ctx != nil {
				req = r.WithContext(ctx)
			}
			status, size = s.writeError(w, req, id, nil, err)
			s.Logger.Info("request", "request_id", id, "method", r.Method, "route", tilesRoute, "path", r.URL.Path,
				"status", status, "bytes", size, "ms", time.Since(start).Milliseconds())
		}
		switch {
		case th.metrics != nil && r.Method == http.MethodGet:
			th.metrics.Observe(status, time.Since(start))
		case s.Metrics != nil:
			s.Metrics.ObserveRequest(tilesRoute, r.Method, status, time.Since(start))
		}
	}()
	h := w.Header()
	setSecurityHeaders(h)
	if status = s.corsHeaders(h, r); status != 0 {
		w.WriteHeader(status)
		return
	}
	if r.Method != http.MethodGet {
		status = methodNotAllowed(w, r)
		return
	}
	if status = s.serveCachedTile(w, r, start); status != 0 {
		return
	}
	ctx = &bounded{parent: r.Context(), timeout: s.RequestTimeout}
	status, err = s.serveTile(w, r, ctx)
}

// serveCachedTile answers r from the caches if it can: a remembered token
// asking for a cached tile, as most of the hundreds of tiles a map asks for
// are. It needs no context and allocates nothing; a remembered token is
// checked for expiry at now, the request's start (one clock reading
// serves the metrics and the token). It answers only what serveTile
// would answer alike (a path and query that pass
// checkRequestText, the tile the user's scope keys in the cache) and
// returns 0 for anything else, errors included: serveTile answers those.
func (s *Server) serveCachedTile(w http.ResponseWriter, r *http.Request, now time.Time) int {
	if !plainQuery(r.URL.RawQuery) {
		return 0
	}
	p, ok := parseTile(r.URL.Path[len(tilesPrefix):])
	if !ok || p.layer == coverage.TileLayer {
		return 0
	}
	tok := credentialOf(r)
	if tok == "" {
		return 0
	}
	u, ok := s.Auth.RememberedOn(tokenMemoOf(r), tok, now)
	if !ok {
		return 0
	}
	t, ok := s.Tiles.Cached(u.Scope(), p.layer, p.id)
	if !ok {
		return 0
	}
	return writeTile(w, r, t)
}

// plainQuery says whether a raw query is letters, digits and = & . - _
// only (the map's ?v=N, or none): text that checkRequestText passes as it
// stands, and that decodes to itself.
func plainQuery(q string) bool {
	for i := 0; i < len(q); i++ {
		c := q[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '=' || c == '&' || c == '.' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// serveTile authenticates r and answers it; an error is left to the
// caller to write.
func (s *Server) serveTile(w http.ResponseWriter, r *http.Request, ctx *bounded) (int, error) {
	if err := checkRequestText(r); err != nil {
		return 0, err
	}
	tok := credentialOf(r) // a bearer token, or an access token as Basic's password (GDAL, QGIS)
	if tok == "" {
		return 0, riskmap.Errorf(riskmap.EUNAUTHORIZED, "missing bearer token: log in at /api/v1/auth/login")
	}
	u, err := s.Auth.AuthenticateCached(ctx, tok)
	if err != nil {
		return 0, err
	}
	p, err := parseTilePath(r.URL.Path[len(tilesPrefix):])
	if err != nil {
		return 0, err
	}
	if p.layer == coverage.TileLayer {
		return s.serveCoverageTile(w, r, ctx, u, p)
	}
	if p.json {
		tj, err := s.Tiles.TileJSON(ctx, u.Scope(), p.layer, s.baseURL(r))
		if err != nil {
			return 0, err
		}
		return writeTileJSON(w, tj)
	}
	t, err := s.Tiles.Tile(ctx, u.Scope(), p.layer, p.id)
	if err != nil {
		return 0, err
	}
	return writeTile(w, r, s.withGzip(r, t)), nil
}

// serveCoverageTile answers /tiles/coverage/…: the parameters of GET
// /api/v1/coverage ride in the query string.
func (s *Server) serveCoverageTile(w http.ResponseWriter, r *http.Request, ctx context.Context, u *riskmap.User, p tilePath) (int, error) {
	if s.Coverage == nil {
		return 0, notFound("no coverage layer on this server")
	}
	q, err := coverageQuery(r.URL.Query())
	if err != nil {
		return 0, err
	}
	if p.json {
		tj, err := s.Coverage.TileJSON(ctx, u, q, s.baseURL(r))
		if err != nil {
			return 0, err
		}
		return writeTileJSON(w, tj)
	}
	t, err := s.Coverage.Tile(ctx, u, q, p.id.Z, p.id.X, p.id.Y)
	if err != nil {
		return 0, err
	}
	return writeTile(w, r, s.withGzip(r, tiles.Tile{Data: t.Data, ETag: t.ETag, Cached: t.Cached})), nil
}

// withGzip gives t its gzip when the client accepts gzip and t has none
// although it is large enough: a tile made with the cache off, or a
// coverage tile (cached without one). A cached tile's was made once.
func (s *Server) withGzip(r *http.Request, t tiles.Tile) tiles.Tile {
	if t.Gzip == nil && len(t.Data) >= tiles.GzipMinSize && acceptsGzip(r.Header["Accept-Encoding"]) {
		t.Gzip = s.Tiles.Gzip(t.Data)
	}
	return t
}

// writeTile answers with a tile: 204 when it has no feature, 304 when the
// client holds it already, its gzip (made once with the tile and cached
// beside it) when the client accepts gzip.
func writeTile(w http.ResponseWriter, r *http.Request, t tiles.Tile) int {
	h := w.Header()
	h["Cache-Control"] = tileCacheControl
	if _, ok := h["Vary"]; ok { // Origin, from CORS
		h.Add("Vary", tileVary[0])
	} else {
		h["Vary"] = tileVary
	}
	// a tile made for this request says so; a cached one carries no
	// X-Cache: a ninth header key grows the header map past its first
	// group, which cost a third of a cached tile's answer
	if !t.Cached {
		h["X-Cache"] = tileMiss
	}
	if len(t.Data) == 0 {
		// no feature in the tile: nothing to send
		w.WriteHeader(http.StatusNoContent)
		return http.StatusNoContent
	}
	body, etag := t.Data, t.ETagHeader
	gz := len(t.Gzip) > 0 && acceptsGzip(r.Header["Accept-Encoding"])
	if gz {
		body, etag = t.Gzip, t.GzipETagHeader
		if etag == nil {
			etag = []string{tiles.GzipETag(t.ETag)}
		}
	} else if etag == nil {
		etag = []string{t.ETag}
	}
	h["Etag"] = etag // made with the cached tile: no allocation a hit
	if etagMatches(requestHeader(r, "If-None-Match"), t.ETag) {
		w.WriteHeader(http.StatusNotModified)
		return http.StatusNotModified
	}
	if gz {
		h["Content-Encoding"] = tileGzip
	}
	h["Content-Type"] = tileContentType
	// net/http declares the length of a body it holds whole (up to its 2
	// KB buffer); a larger tile declares its own rather than go chunked
	// (the ninth header key costs less than the chunks: bench/tiles, z12)
	if len(body) > autoContentLength {
		length := t.LengthHeader
		if gz {
			length = t.GzipLengthHeader
		}
		if length == nil {
			length = []string{strconv.Itoa(len(body))}
		}
		h["Content-Length"] = length // made with the cached tile: no allocation a hit
	}
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(body)
	return http.StatusOK
}

// writeTileJSON answers with a TileJSON document.
func writeTileJSON(w http.ResponseWriter, tj any) (int, error) {
	data, err := json.Marshal(tj)
	if err != nil {
		return 0, err
	}
	h := w.Header()
	h["Cache-Control"] = tileCacheControl
	h.Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(data)
	return http.StatusOK, nil
}

// acceptsGzip reads Accept-Encoding: gzip (or x-gzip, or *) without q=0,
// without allocating (it runs for every tile).
func acceptsGzip(values []string) bool {
	star := false
	for _, h := range values {
		for h != "" {
			var part string
			part, h, _ = strings.Cut(h, ",")
			name, params, _ := strings.Cut(part, ";")
			name = strings.TrimSpace(name)
			refused := false
			if v, ok := strings.CutPrefix(strings.TrimSpace(params), "q="); ok {
				x, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
				refused = err == nil && x <= 0
			}
			switch {
			case strings.EqualFold(name, "gzip"), strings.EqualFold(name, "x-gzip"):
				return !refused
			case name == "*":
				star = !refused
			}
		}
	}
	return star
}

// etagMatches implements If-None-Match's weak comparison over a list; a
// tag of the gzip of the same representation matches too (the content is
// the same).
func etagMatches(header, etag string) bool {
	for header != "" {
		var v string
		v, header, _ = strings.Cut(header, ",")
		v = strings.TrimPrefix(strings.TrimSpace(v), "W/")
		if v == "*" || v == etag || tiles.IsGzipETag(v, etag) {
			return true
		}
	}
	return false
}

// bounded is the request's context bounded by the server's RequestTimeout,
// its timer started on first use: a tile answered from the caches never
// starts one (that cost a tenth of a cached tile).
type bounded struct {
	parent  context.Context
	timeout time.Duration
	once    sync.Once
	ctx     context.Context
	cancel  context.CancelFunc
}

func (b *bounded) arm() {
	b.once.Do(func() {
		if b.timeout > 0 {
			b.ctx, b.cancel = context.WithTimeout(b.parent, b.timeout)
		} else {
			b.ctx = b.parent
		}
	})
}

func (b *bounded) Deadline() (time.Time, bool) { b.arm(); return b.ctx.Deadline() }
func (b *bounded) Done() <-chan struct{}       { b.arm(); return b.ctx.Done() }
func (b *bounded) Err() error                  { b.arm(); return b.ctx.Err() }
func (b *bounded) Value(key any) any           { return b.parent.Value(key) }

// release stops the timer, if it was started.
func (b *bounded) release() {
	if b.cancel != nil {
		b.cancel()
	}
}

// style answers GET /styles/riskmap.json, the MapLibre style.
func (s *Server) style(c *gin.Context) {
	c.Header("Cache-Control", "private, no-cache")
	c.Data(http.StatusOK, "application/json", tiles.Style(s.baseURL(c.Request)))
}
