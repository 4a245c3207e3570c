package api

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"io"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"riskmap"
	"riskmap/auth"
	"riskmap/features"
	"riskmap/geo"
	"riskmap/internal/collection"
)

const (
	defaultLimit = 100
	maxLimit     = 10000
)

func (s *Server) listFeatures(l *features.Layer) gin.HandlerFunc {
	return func(c *gin.Context) {
		q, err := parseListQuery(c)
		if err != nil {
			s.fail(c, err)
			return
		}
		var page features.Page
		if at, ok, perr := parseAsOf(c); perr != nil {
			err = perr
		} else if ok {
			page, err = s.Features.AsOf(c.Request.Context(), l, currentUser(c).Scope(), at, q)
		} else {
			page, err = s.Features.List(c.Request.Context(), l, currentUser(c).Scope(), q)
		}
		if err != nil {
			s.fail(c, err)
			return
		}
		crs, err := parseCRS(c)
		if err != nil {
			s.fail(c, err)
			return
		}
		var buf bytes.Buffer
		fc := collection.New(&buf, collection.Options{Members: crsMembers(crs)})
		for _, f := range page.Features {
			b, err := featureIn(f.JSON, crs)
			if err != nil {
				s.fail(c, err)
				return
			}
			fc.Add(b)
		}
		fc.Close(&collection.Page{Links: pageLinks("", c.Request.URL, page.Next, 0)})
		setCoordinateSystem(c, crs)
		c.Data(http.StatusOK, collection.MediaType, buf.Bytes())
	}
}

// pageLinks are a page's self link and, when there is more (next > 0), its
// next link: the request's URL with the cursor after next (and limit, when
// > 0) set, prefixed by base ("" for links relative to the host).
func pageLinks(base string, u *url.URL, next int64, limit int) []collection.Link {
	links := []collection.Link{{Rel: "self", Type: collection.MediaType, Href: base + u.RequestURI()}}
	if next > 0 {
		n := *u
		v := n.Query()
		v.Set("cursor", encodeCursor(next))
		if limit > 0 {
			v.Set("limit", strconv.Itoa(limit))
		}
		n.RawQuery = v.Encode()
		links = append(links, collection.Link{Rel: "next", Type: collection.MediaType, Href: base + n.RequestURI()})
	}
	return links
}

func encodeCursor(id int64) string {
	return base64.RawURLEncoding.EncodeToString([]byte("id:" + strconv.FormatInt(id, 10)))
}

func decodeCursor(s string) (int64, bool) {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || !strings.HasPrefix(string(b), "id:") {
		return 0, false
	}
	n, err := strconv.ParseInt(string(b[3:]), 10, 64)
	return n, err == nil && n >= 0
}

func badParam(name, format string, args ...any) error {
	e := riskmap.Errorf(riskmap.EINVALID, "parameter %s: "+format, append([]any{name}, args...)...)
	return e.WithDetails(riskmap.Detail{Field: name, Message: e.Message})
}

func parseListQuery(c *gin.Context) (features.ListQuery, error) {
	q := features.ListQuery{Limit: defaultLimit}
	if v, ok := c.GetQuery("limit"); ok {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxLimit {
			return q, badParam("limit", "want a whole number from 1 to %d, got %q", maxLimit, v)
		}
		q.Limit = n
	}
	if v, ok := c.GetQuery("cursor"); ok {
		id, ok := decodeCursor(v)
		if !ok {
			return q, badParam("cursor", "not a cursor this server issued")
		}
		q.After = id
	}
	if v, ok := c.GetQuery("area"); ok {
		if !code12or15.MatchString(v) {
			return q, badParam("area", "want a 12-digit area code or a 15-digit grid code, got %q", v)
		}
		q.Area = v
	}
	if v, ok := c.GetQuery("bbox"); ok {
		b, err := parseBBox(v)
		if err != nil {
			return q, err
		}
		q.BBox = &b
	}
	return q, nil
}

func parseBBox(v string) ([4]float64, error) {
	var b [4]float64
	parts := strings.Split(v, ",")
	if len(parts) != 4 {
		return b, badParam("bbox", "want minLon,minLat,maxLon,maxLat, got %q", v)
	}
	for i, p := range parts {
		x, err := strconv.ParseFloat(strings.TrimSpace(p), 64)
		if err != nil || math.IsNaN(x) || math.IsInf(x, 0) {
			return b, badParam("bbox", "value %d (%q) is not a finite number", i+1, p)
		}
		b[i] = x
	}
	switch {
	case b[0] < -180 || b[2] > 180 || b[1] < -90 || b[3] > 90:
		return b, badParam("bbox", "outside lon [-180, 180] / lat [-90, 90]: %q", v)
	case b[0] > b[2] || b[1] > b[3]:
		return b, badParam("bbox", "min greater than max: %q", v)
	}
	return b, nil
}

func parseID(c *gin.Context) (int64, error) {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil || id < 1 {
		return 0, badParam("id", "want a positive whole number, got %q", c.Param("id"))
	}
	return id, nil
}

func parseCRS(c *gin.Context) (geo.CRS, error) {
	v, ok := c.GetQuery("crs")
	if !ok {
		return geo.CRSWGS84, nil
	}
	crs, err := geo.ParseCRS(v)
	if err != nil {
		return "", badParam("crs", "%v", err)
	}
	return crs, nil
}

func etag(version int) string { return `"` + strconv.Itoa(version) + `"` }

// parseIfMatch reads If-Match (RFC 9110 §13.1.1): "*" or a list of entity
// tags, compared strongly with the feature's, "VERSION". A bare version
// number is taken too, as clients before ETags sent it. A well-formed tag
// of any other form (weak, or not a version of ours) matches no version,
// so the write is refused with 412; only a header that is no entity tag
// at all is a 400.
func parseIfMatch(c *gin.Context) (features.IfMatch, error) {
	h := strings.TrimSpace(c.GetHeader("If-Match"))
	if h == "" || h == "*" {
		return nil, nil
	}
	if n, err := strconv.Atoi(h); err == nil {
		return features.IfMatch{n}, nil
	}
	m := features.IfMatch{}
	for _, tag := range strings.Split(h, ",") {
		tag = strings.TrimSpace(tag)
		weak := strings.HasPrefix(tag, "W/")
		opaque := strings.TrimPrefix(tag, "W/")
		if len(opaque) < 2 || opaque[0] != '"' || opaque[len(opaque)-1] != '"' || strings.ContainsAny(opaque[1:len(opaque)-1], "\" \x7f") {
			return nil, riskmap.Errorf(riskmap.EINVALID, "If-Match: want entity tags such as \"3\" (the feature's ETag), got %q", c.GetHeader("If-Match")).
				WithDetails(riskmap.Detail{Field: "If-Match", Message: "not an entity tag"})
		}
		// "3-gzip" is the tag of version 3's gzip (compress)
		if n, err := strconv.Atoi(strings.TrimSuffix(opaque[1:len(opaque)-1], "-gzip")); err == nil && !weak {
			m = append(m, n)
		}
	}
	return m, nil
}

func (s *Server) getFeature(l *features.Layer) gin.HandlerFunc {
	return func(c *gin.Context) {
		id, err := parseID(c)
		if err != nil {
			s.fail(c, err)
			return
		}
		crs, err := parseCRS(c)
		if err != nil {
			s.fail(c, err)
			return
		}
		f, err := s.Features.Get(c.Request.Context(), l, currentUser(c).Scope(), id)
		if err != nil {
			s.fail(c, err)
			return
		}
		tag := etag(f.Version)
		c.Header("ETag", tag)
		if etagMatches(c.GetHeader("If-None-Match"), tag) {
			c.Status(http.StatusNotModified)
			return
		}
		b, err := featureIn(f.JSON, crs)
		if err != nil {
			s.fail(c, err)
			return
		}
		setCoordinateSystem(c, crs)
		c.Data(http.StatusOK, "application/geo+json", b)
	}
}

// canWrite checks the role may write the layer at all; where is then
// checked in SQL by the store (old and new location in scope).
func (s *Server) canWrite(c *gin.Context, l *features.Layer) bool {
	u := currentUser(c)
	if !auth.CanWriteLayer(u.Role, l.Name) {
		s.fail(c, riskmap.Errorf(riskmap.EFORBIDDEN, "role %s may not change %s", u.Role, l.Name))
		return false
	}
	return true
}

// geoBody is what every request carrying user coordinates needs before
// parsing: the body, the coordinate system it is in (?crs=) and the city's
// extent its coordinates must fall in (nil when withBounds is false).
type geoBody struct {
	body   []byte
	crs    geo.CRS
	bounds *geo.Bounds
}

func (s *Server) readGeoBody(c *gin.Context, withBounds bool) (geoBody, error) {
	var g geoBody
	var err error
	if g.crs, err = parseCRS(c); err != nil {
		return g, err
	}
	if g.body, err = io.ReadAll(c.Request.Body); err != nil {
		return g, err
	}
	if withBounds {
		g.bounds, err = s.Features.CityBounds(c.Request.Context())
	}
	return g, err
}

// areas are the administrative map itself: they are not held to the
// city's extent.
func boundedLayer(l *features.Layer) bool { return l.Name != "areas" }

func (s *Server) readInput(c *gin.Context, l *features.Layer, partial bool) (*features.Input, error) {
	g, err := s.readGeoBody(c, boundedLayer(l))
	if err != nil {
		return nil, err
	}
	return features.ParseInput(l, g.body, partial, g.crs, g.bounds)
}

// writeTarget reads the id in the path and the If-Match of a PATCH or DELETE.
func writeTarget(c *gin.Context) (int64, features.IfMatch, error) {
	id, err := parseID(c)
	if err != nil {
		return 0, nil, err
	}
	ifMatch, err := parseIfMatch(c)
	return id, ifMatch, err
}

func (s *Server) createFeature(l *features.Layer) gin.HandlerFunc {
	return func(c *gin.Context) {
		if !s.canWrite(c, l) {
			return
		}
		in, err := s.readInput(c, l, false)
		if err != nil {
			s.fail(c, err)
			return
		}
		f, err := s.Features.Create(c.Request.Context(), l, currentUser(c).Scope(), in)
		if err != nil {
			s.fail(c, err)
			return
		}
		c.Header("ETag", etag(f.Version))
		c.Header("Location", (&url.URL{Path: "/api/v1/" + l.Name + "/" + strconv.FormatInt(f.ID, 10)}).String())
		c.Data(http.StatusCreated, "application/geo+json", f.JSON)
	}
}

func (s *Server) patchFeature(l *features.Layer) gin.HandlerFunc {
	return func(c *gin.Context) {
		id, ifMatch, err := writeTarget(c)
		if err != nil {
			s.fail(c, err)
			return
		}
		if !s.canWrite(c, l) {
			return
		}
		in, err := s.readInput(c, l, true)
		if err == nil && in.ID != nil && *in.ID != id {
			err = riskmap.Errorf(riskmap.EUNPROCESSABLE, "id %d in the body does not match %d in the path", *in.ID, id)
		}
		if err != nil {
			s.fail(c, err)
			return
		}
		f, err := s.Features.Update(c.Request.Context(), l, currentUser(c).Scope(), id, in, ifMatch)
		if err != nil {
			s.fail(c, err)
			return
		}
		c.Header("ETag", etag(f.Version))
		c.Data(http.StatusOK, "application/geo+json", f.JSON)
	}
}

func (s *Server) deleteFeature(l *features.Layer) gin.HandlerFunc {
	return func(c *gin.Context) {
		id, ifMatch, err := writeTarget(c)
		if err != nil {
			s.fail(c, err)
			return
		}
		if !s.canWrite(c, l) {
			return
		}
		if err := s.Features.Delete(c.Request.Context(), l, currentUser(c).Scope(), id, ifMatch); err != nil {
			s.fail(c, err)
			return
		}
		c.Status(http.StatusNoContent)
	}
}

// patchFeatures applies a FeatureCollection of partial features, each with
// its id (and, optionally, properties.version as its If-Match), in one
// transaction: how a shared grid boundary is redrawn.
func (s *Server) patchFeatures(l *features.Layer) gin.HandlerFunc {
	return func(c *gin.Context) {
		if !s.canWrite(c, l) {
			return
		}
		g, err := s.readGeoBody(c, boundedLayer(l))
		if err != nil {
			s.fail(c, err)
			return
		}
		var fc struct {
			Type     string            `json:"type"`
			Features []json.RawMessage `json:"features"`
		}
		if err := json.Unmarshal(g.body, &fc); err != nil {
			s.fail(c, riskmap.Errorf(riskmap.EINVALID, "body is not a GeoJSON FeatureCollection: %v", err))
			return
		}
		if fc.Type != "FeatureCollection" || len(fc.Features) == 0 {
			s.fail(c, riskmap.Errorf(riskmap.EINVALID, "body: want a FeatureCollection with at least one feature"))
			return
		}
		if len(fc.Features) > 1000 {
			s.fail(c, riskmap.Errorf(riskmap.EUNPROCESSABLE, "at most 1000 features in one batch, got %d", len(fc.Features)))
			return
		}
		changes := make([]features.Change, len(fc.Features))
		for i, raw := range fc.Features {
			in, err := features.ParseInput(l, raw, true, g.crs, g.bounds)
			if err == nil && in.ID == nil {
				err = riskmap.Errorf(riskmap.EUNPROCESSABLE, "id is required")
			}
			if err != nil {
				s.fail(c, riskmap.Errorf(riskmap.ErrorCode(err), "features[%d]: %s", i, riskmap.ErrorMessage(err)).WithDetails(riskmap.ErrorDetails(err)...))
				return
			}
			changes[i] = features.Change{ID: *in.ID, Input: in}
		}
		out, err := s.Features.UpdateMany(c.Request.Context(), l, currentUser(c).Scope(), changes)
		if err != nil {
			s.fail(c, err)
			return
		}
		var buf bytes.Buffer
		w := collection.New(&buf, collection.Options{})
		for _, f := range out {
			w.Add(f.JSON)
		}
		w.Close(&collection.Page{})
		c.Data(http.StatusOK, collection.MediaType, buf.Bytes())
	}
}
