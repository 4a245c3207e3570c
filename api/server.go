// Package api is riskmap's HTTP interface (gin): features, grids, auth and
// health. Handlers parse requests and call domain services; they hold no SQL.
package api

import (
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"riskmap/audit"
	"riskmap/auth"
	"riskmap/cases"
	"riskmap/coverage"
	"riskmap/features"
	"riskmap/importers"
	"riskmap/inspections"
	"riskmap/metrics"
	"riskmap/notify"
	"riskmap/patrols"
	"riskmap/postgres"
	"riskmap/printing"
	"riskmap/proposals"
	"riskmap/stock"
	"riskmap/tiles"
)

// Pinger reports whether the database answers.
type Pinger interface {
	Ping(ctx context.Context) error
}

// Server holds the API's dependencies.
type Server struct {
	Features *features.Store
	Auth     *auth.Service
	Audit    *audit.Log
	DB       Pinger
	Logger   *slog.Logger
	// MaxBody caps request bodies (bytes).
	MaxBody int64
	// AllowedOrigins lists the origins CORS admits; empty closes CORS.
	AllowedOrigins []string
	// TrustedProxies lists the addresses or CIDR ranges of the reverse
	// proxies whose X-Forwarded-For, X-Real-IP and X-Forwarded-Proto are
	// believed; empty (the default) believes no one, so the client's
	// address is the connection's.
	TrustedProxies []string
	// PublicURL is the address users reach the service by (scheme, host
	// and any path prefix), for absolute URLs in answers (baseURL);
	// DefaultBaseURL stands in for it when unset and the request does not
	// come from this machine (HTTPServer sets it to the listen address).
	PublicURL      string
	DefaultBaseURL string
	// Cases is the closed loop of hidden hazards (nil: no case routes);
	// CaseFeed its live feed, Heartbeat the feed's keep-alive interval
	// (default 15 s).
	Cases     *cases.Store
	CaseFeed  *cases.Feed
	Heartbeat time.Duration
	// Metrics records requests and serves /metrics (nil: none).
	Metrics *metrics.Metrics
	// Web is the built web app served at / (nil: none); Basemap the
	// optional raster basemap it draws (GET /api/v1/config).
	Web     fs.FS
	Basemap *Basemap
	// Tiles serves vector tiles and the map style (nil: no tile routes).
	Tiles *tiles.Service
	// Imports runs uploaded imports (nil: no import routes); MaxImport
	// caps an upload (default DefaultMaxImport).
	Imports   *importers.Jobs
	MaxImport int64
	// Notify is the inbox, the offices' robots and who is told what (nil:
	// no notification routes).
	Notify *notify.Service
	// Coverage answers the planners' coverage, readiness, depot
	// sufficiency and siting questions (nil: no such routes).
	Coverage *coverage.Service
	// Stock is the depots' stock ledger (nil: no stock routes).
	Stock *stock.Store
	// Proposals are grid workers' proposed changes (nil: no routes).
	Proposals *proposals.Store
	// Printer draws maps as PDF (nil: no print route).
	Printer *printing.Printer
	// Patrols are the grid workers' patrols of risk points, Inspections
	// the offices' inspections of enterprises and their statistics (nil:
	// no such routes).
	Patrols     *patrols.Store
	Inspections *inspections.Store
	// Reads sends the stores' read-only queries to a hot standby when it
	// is fresh (nil: none); the API raises its watermark after each write,
	// before answering, so the client's next read shows the write.
	Reads *postgres.Reads
	// RequestTimeout bounds a request (0: none; see deadline), so a
	// database that stops answering yields 503s, not hanging requests.
	RequestTimeout time.Duration
}

// Handler builds the routes: the tile handler for /tiles/ (tiles.go), the
// router for everything else. Answers are gzipped for clients that accept
// it: the router's by compress, tiles by the tile handler (each tile is
// gzipped once, when it is made, and cached so).
func (s *Server) Handler() http.Handler {
	engine := compress(s.Engine())
	if s.Tiles == nil {
		return headAsGet(engine)
	}
	tiles := s.newTileHandler()
	return headAsGet(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, tilesPrefix) {
			tiles.ServeHTTP(w, r)
			return
		}
		engine.ServeHTTP(w, r)
	}))
}

// Routes lists every route Handler serves: the router's and the tile
// handler's (the security matrix and the OpenAPI description cover each).
func (s *Server) Routes() gin.RoutesInfo {
	routes := s.Engine().Routes()
	if s.Tiles != nil {
		routes = append(routes, gin.RouteInfo{Method: http.MethodGet, Path: tilesRoute})
	}
	return routes
}

// methodNotAllowed answers a method no route of the path takes.
func methodNotAllowed(w http.ResponseWriter, r *http.Request) int {
	body, _ := json.Marshal(map[string]map[string]string{"error": {"code": "method_not_allowed", "message": r.Method + " is not allowed on " + r.URL.Path}})
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(http.StatusMethodNotAllowed)
	_, _ = w.Write(body)
	return http.StatusMethodNotAllowed
}

// headAsGet answers HEAD on every GET route as GET would, without the
// body (net/http drops the body of an answer to HEAD), but the live feed,
// which never ends.
func headAsGet(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodHead && r.URL.Path != "/api/v1/events" {
			get := r.Clone(r.Context())
			get.Method = http.MethodGet
			next.ServeHTTP(w, get)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// Engine builds the gin engine; tests list its routes to make sure the
// security matrix covers every one.
func (s *Server) Engine() *gin.Engine {
	gin.SetMode(gin.ReleaseMode)
	r := gin.New()
	// gin believes forwarding headers from anyone unless told otherwise
	if err := r.SetTrustedProxies(s.TrustedProxies); err != nil {
		panic(fmt.Sprintf("trusted proxies: %v", err)) // checked by CheckTrustedProxies at start
	}
	r.HandleMethodNotAllowed = true
	r.Use(s.requestID(), s.accessLog(), s.recover(), securityHeaders(), s.cors(), s.limitBody(), s.deadline(), s.checkInput())
	r.NoRoute(func(c *gin.Context) {
		if !s.serveWeb(c) {
			s.fail(c, notFound("no such path: %s", c.Request.URL.Path))
		}
	})
	r.NoMethod(func(c *gin.Context) {
		methodNotAllowed(c.Writer, c.Request)
		c.Abort()
	})

	r.GET("/healthz", s.healthz)
	if s.Metrics != nil {
		// scraped without a token (docs/api.md); it holds counts, no data
		r.GET("/metrics", gin.WrapH(s.Metrics.Handler()))
	}
	v1 := r.Group("/api/v1")
	v1.POST("/auth/login", s.login)
	authed := v1.Group("", s.authenticate(), s.syncAfterWrites())
	authed.POST("/auth/logout", s.logout)
	authed.GET("/auth/me", s.me)
	authed.GET("/config", s.webConfig)
	authed.POST("/auth/password", s.changePassword)
	s.tokenRoutes(authed)
	admin := authed.Group("", s.requireRole("admin"))
	admin.GET("/users", s.strictQuery(), s.listUsers)
	admin.POST("/users", s.createUser)
	admin.GET("/users/:id", s.getUser)
	admin.PATCH("/users/:id", s.patchUser)
	authed.GET("/audit", s.requireRole("admin", "city"), s.strictQuery("table", "row_id", "actor_id", "before", "limit"), s.listAudit)
	authed.GET("/locate", s.locate)
	authed.GET("/search", s.strictQuery("q", "layers", "limit"), s.search)
	authed.GET("/layers", s.strictQuery(), s.listLayers)
	authed.GET("/grids/integrity", s.gridIntegrity)
	authed.GET("/stats/risk-areas", s.strictQuery("area", "group_by", "format"), s.riskAreas)
	if s.Cases != nil {
		s.caseRoutes(authed)
	}
	if s.Coverage != nil {
		s.coverageRoutes(authed)
	}
	if s.Stock != nil {
		s.stockRoutes(authed)
	}
	if s.Proposals != nil {
		s.proposalRoutes(authed)
	}
	if s.Printer != nil {
		authed.GET("/print", s.strictQuery("area", "size", "orientation", "layers"), s.printMap)
	}
	if s.Notify != nil {
		s.notificationRoutes(authed)
	}
	if s.Patrols != nil {
		s.patrolRoutes(authed)
	}
	if s.Inspections != nil {
		s.inspectionRoutes(authed)
	}
	for _, name := range s.Features.Layers.Names() {
		l := s.Features.Layers[name]
		authed.GET("/"+name, s.strictQuery(listParams...), s.listFeatures(l))
		authed.POST("/"+name, s.createFeature(l))
		authed.PATCH("/"+name, s.patchFeatures(l))
		authed.GET("/"+name+"/:id", s.getFeature(l))
		authed.GET("/"+name+"/:id/history", s.featureHistory(l))
		authed.PATCH("/"+name+"/:id", s.patchFeature(l))
		authed.DELETE("/"+name+"/:id", s.deleteFeature(l))
	}
	if s.Tiles != nil {
		r.GET("/styles/riskmap.json", s.authenticate(), s.style)
	}
	if s.Imports != nil {
		s.importRoutes(authed)
	}
	s.exportRoutes(authed)
	s.ogcRoutes(r)
	// readable without a token: it describes, it holds no data
	r.GET("/openapi.json", s.openAPI)
	return r
}

// CheckTrustedProxies says whether each entry is an IP address or a CIDR
// range.
func CheckTrustedProxies(proxies []string) error {
	return gin.New().SetTrustedProxies(proxies)
}

// listParams are the query parameters of a layer's list
// (GET /api/v1/{layer}); any other is refused (strictQuery).
var listParams = []string{"bbox", "area", "limit", "cursor", "as_of", "crs"}

// HTTPServer wraps the handler with timeouts that cut off slow clients.
func (s *Server) HTTPServer(addr string) *http.Server {
	if s.DefaultBaseURL == "" {
		s.DefaultBaseURL = ListenURL(addr)
	}
	return &http.Server{
		Addr:              addr,
		Handler:           s.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       60 * time.Second,
		WriteTimeout:      120 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ConnContext:       WithTokenMemo,
	}
}

// tokenMemoKey holds a connection's auth.Memo in its requests' context.
type tokenMemoKey struct{}

// WithTokenMemo is HTTPServer's ConnContext: it gives a new connection
// its token memo (auth.Memo), so that the tiles a map asks for on it are
// authenticated without the token cache's hash and lock.
func WithTokenMemo(ctx context.Context, _ net.Conn) context.Context {
	return context.WithValue(ctx, tokenMemoKey{}, new(auth.Memo))
}

// tokenMemoOf is the token memo of r's connection, or nil (a server not
// made by HTTPServer).
func tokenMemoOf(r *http.Request) *auth.Memo {
	m, _ := r.Context().Value(tokenMemoKey{}).(*auth.Memo)
	return m
}
