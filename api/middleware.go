package api

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"riskmap"
)

const (
	requestIDKey = "request_id"
	userKey      = "user"
)

func (s *Server) requestID() gin.HandlerFunc {
	return func(c *gin.Context) {
		id := requestIDOf(c.Request)
		c.Set(requestIDKey, id)
		c.Header("X-Request-ID", id)
		c.Next()
	}
}

// requestIDOf is the client's X-Request-ID, or a new random one.
func requestIDOf(r *http.Request) string {
	id := r.Header.Get("X-Request-ID")
	if id == "" || len(id) > 64 {
		b := make([]byte, 8)
		_, _ = rand.Read(b)
		id = hex.EncodeToString(b)
	}
	return id
}

func (s *Server) accessLog() gin.HandlerFunc {
	return func(c *gin.Context) {
		start := time.Now()
		c.Next()
		if s.Metrics != nil {
			s.Metrics.ObserveRequest(c.FullPath(), c.Request.Method, c.Writer.Status(), time.Since(start))
		}
		s.Logger.Info("request", "request_id", c.GetString(requestIDKey), "method", c.Request.Method,
			"route", c.FullPath(), "path", c.Request.URL.Path, "status", c.Writer.Status(),
			"bytes", c.Writer.Size(), "ms", time.Since(start).Milliseconds())
	}
}

func (s *Server) recover() gin.HandlerFunc {
	return func(c *gin.Context) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				s.fail(c, fmt.Errorf("panic: %v", v))
			}
		}()
		c.Next()
	}
}

// securityHeaderValues are the headers every answer carries, keys in
// canonical form; each value a slice of one (len == cap, so an Add to the
// same key copies instead of writing into the shared array). Prebuilt so
// that the tile handler sets them without allocating.
var securityHeaderValues = [...]struct {
	key   string
	value []string
}{
	{"X-Content-Type-Options", []string{"nosniff"}},
	{"X-Frame-Options", []string{"DENY"}},
	{"Referrer-Policy", []string{"no-referrer"}},
	{"Cross-Origin-Opener-Policy", []string{"same-origin"}},
}

func setSecurityHeaders(h http.Header) {
	for _, x := range securityHeaderValues {
		h[x.key] = x.value
	}
}

func securityHeaders() gin.HandlerFunc {
	return func(c *gin.Context) {
		setSecurityHeaders(c.Writer.Header())
		c.Next()
	}
}

// cors admits only the configured origins; by default no cross-origin
// browser access at all.
func (s *Server) cors() gin.HandlerFunc {
	return func(c *gin.Context) {
		if status := s.corsHeaders(c.Writer.Header(), c.Request); status != 0 {
			c.AbortWithStatus(status)
			return
		}
		c.Next()
	}
}

// corsHeaders sets the CORS headers of an answer to r: for a configured
// origin, the origin admitted; it returns the status that ends a preflight
// (204 admitted, 403 refused), or 0 for any other request, which goes on.
func (s *Server) corsHeaders(h http.Header, r *http.Request) int {
	origin := requestHeader(r, "Origin")
	if origin == "" || !slices.Contains(s.AllowedOrigins, origin) {
		if r.Method == http.MethodOptions && origin != "" {
			return http.StatusForbidden
		}
		return 0
	}
	h.Set("Access-Control-Allow-Origin", origin)
	h.Add("Vary", "Origin")
	h.Set("Access-Control-Expose-Headers", "ETag, X-Request-ID")
	if r.Method == http.MethodOptions {
		h.Set("Access-Control-Allow-Methods", "GET, POST, PATCH, DELETE")
		h.Set("Access-Control-Allow-Headers", "Authorization, Content-Type, If-Match, If-None-Match, X-Riskmap-Client")
		h.Set("Access-Control-Max-Age", "600")
		return http.StatusNoContent
	}
	return 0
}

func (s *Server) limitBody() gin.HandlerFunc {
	return func(c *gin.Context) {
		limit := max(s.MaxBody, s.routeBodyLimit(c), s.importBodyLimit(c), s.proposalBodyLimit(c))
		if c.Request.ContentLength > limit {
			s.fail(c, riskmap.Errorf(riskmap.ETOOLARGE, "request body of %d bytes is larger than the limit of %d bytes", c.Request.ContentLength, limit))
			return
		}
		if c.Request.Body != nil {
			c.Request.Body = http.MaxBytesReader(c.Writer, c.Request.Body, limit)
		}
		c.Next()
	}
}

func bearer(c *gin.Context) string { return bearerToken(c.Request) }

// requestHeader is r.Header.Get for a key written in canonical form, which
// net/http has put every received key in: read without canonicalising it
// again (a tile asks for three, hundreds of times a view).
func requestHeader(r *http.Request, canonicalKey string) string {
	if v := r.Header[canonicalKey]; len(v) > 0 {
		return v[0]
	}
	return ""
}

// bearerToken is the token of r's Authorization header, or "".
func bearerToken(r *http.Request) string {
	h := requestHeader(r, "Authorization")
	if len(h) > 7 && strings.EqualFold(h[:7], "bearer ") {
		return strings.TrimSpace(h[7:])
	}
	return ""
}

// credential is the token a request carries: a bearer token, or the
// password of HTTP Basic (any username: the token decides), for clients
// that speak only Basic (GDAL_HTTP_AUTH=BASIC, QGIS's Basic method).
func credential(c *gin.Context) string { return credentialOf(c.Request) }

// credentialOf is credential for a request outside the router (tiles).
func credentialOf(r *http.Request) string {
	if tok := bearerToken(r); tok != "" {
		return tok
	}
	if _, pass, ok := r.BasicAuth(); ok {
		return pass
	}
	return ""
}

// refuseReadOnly stops a write made with a read-only access token.
func (s *Server) refuseReadOnly(c *gin.Context, u *riskmap.User) bool {
	switch c.Request.Method {
	case http.MethodGet, http.MethodHead, http.MethodOptions:
		return false
	}
	if u.ReadOnly {
		s.fail(c, riskmap.Errorf(riskmap.EFORBIDDEN, "this access token is read-only: it may not %s", c.Request.Method))
		return true
	}
	return false
}

// authenticate is the gate every protected route passes: it resolves the
// bearer token to a user whose scope every handler then hands to the
// domain services.
func (s *Server) authenticate() gin.HandlerFunc {
	return func(c *gin.Context) {
		tok := credential(c)
		if tok == "" {
			s.fail(c, riskmap.Errorf(riskmap.EUNAUTHORIZED, "missing bearer token: log in at /api/v1/auth/login"))
			return
		}
		var u *riskmap.User
		var err error
		if s.rememberToken(c) {
			if u, err = s.Auth.AuthenticateCached(c.Request.Context(), tok); err == nil {
				cp := *u // the request's own: a write raises its Wrote
				u = &cp
			}
		} else {
			u, err = s.Auth.Authenticate(c.Request.Context(), tok)
		}
		if err != nil {
			s.fail(c, err)
			return
		}
		if s.refuseReadOnly(c, u) {
			return
		}
		c.Set(userKey, u)
		ctx := riskmap.NewContextWithUser(c.Request.Context(), u)
		c.Request = c.Request.WithContext(riskmap.WithProvenance(ctx, riskmap.Provenance{Via: clientVia(c)}))
		c.Writer = &privateWriter{ResponseWriter: c.Writer}
		c.Next()
	}
}

// rememberToken says whether a request may be judged on a remembered token
// (auth.Service.AuthenticateCached, as tiles are: forgotten on every
// replica when an account changes, at the NOTIFY's delay, and on this one
// by its own writes before they answer, see syncCaches): only the due
// list, which a phone asks again and again and which reads the primary
// (a remembered user's write position may be stale). Every other route
// looks its token up, so that a revocation holds at once everywhere.
func (s *Server) rememberToken(c *gin.Context) bool {
	m := c.Request.Method
	return (m == http.MethodGet || m == http.MethodHead) && c.FullPath() == dueRoute
}

// clientVia tells the web app's writes (it names itself in
// X-Riskmap-Client) from other API clients', for the history of features.
func clientVia(c *gin.Context) string {
	if strings.HasPrefix(c.GetHeader("X-Riskmap-Client"), "web") {
		return riskmap.ViaApp
	}
	return riskmap.ViaAPI
}

// privateWriter gives an authenticated answer that says nothing of its
// caching "Cache-Control: private, no-store" (what one user may see stays
// out of shared caches and off the disk after logout), or "private,
// no-cache" when it carries a validator (ETag, Last-Modified) to
// revalidate with.
type privateWriter struct {
	gin.ResponseWriter
	set bool
}

func (w *privateWriter) cacheControl() {
	if w.set {
		return
	}
	w.set = true
	h := w.Header()
	switch {
	case h.Get("Cache-Control") != "":
	case h.Get("ETag") != "" || h.Get("Last-Modified") != "":
		h.Set("Cache-Control", "private, no-cache")
	default:
		h.Set("Cache-Control", "private, no-store")
	}
}

func (w *privateWriter) WriteHeader(code int) { w.cacheControl(); w.ResponseWriter.WriteHeader(code) }
func (w *privateWriter) WriteHeaderNow()      { w.cacheControl(); w.ResponseWriter.WriteHeaderNow() }
func (w *privateWriter) Write(b []byte) (int, error) {
	w.cacheControl()
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the connection (the live feed
// lifts its write deadline).
func (w *privateWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func (w *privateWriter) WriteString(s string) (int, error) {
	w.cacheControl()
	return w.ResponseWriter.WriteString(s)
}

func currentUser(c *gin.Context) *riskmap.User {
	u, _ := c.MustGet(userKey).(*riskmap.User)
	return u
}

func notFound(format string, args ...any) error {
	return riskmap.Errorf(riskmap.ENOTFOUND, format, args...)
}
