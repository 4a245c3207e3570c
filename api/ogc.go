package api

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"riskmap"
	"riskmap/cases"
	"riskmap/features"
	"riskmap/internal/collection"
	"riskmap/internal/cql2"
)

// OGC API - Features at /ogc, for QGIS and GDAL's OAPIF driver: Part 1
// (core, GeoJSON, OpenAPI 3.0), Part 2 (CRS: CGCS2000 output), Part 3
// (queryables, property filters, CQL2 text filters). Collections are the
// feature layers and, when the server has cases, the cases the user may
// see; every answer is in the user's scope and needs a token (bearer, or a
// personal access token as the Basic password).
//
//	GET /ogc                                        landing page
//	GET /ogc/api                                    its OpenAPI description (no token needed)
//	GET /ogc/conformance                            conformance classes
//	GET /ogc/collections                            the collections, with their extents in scope
//	GET /ogc/collections/{id}                       one collection
//	GET /ogc/collections/{id}/queryables            what a filter may name (JSON Schema)
//	GET /ogc/collections/{id}/items                 features: bbox, bbox-crs, datetime, limit, filter, crs, PROPERTY=VALUE
//	GET /ogc/collections/{id}/items/{featureId}     one feature
func (s *Server) ogcRoutes(r *gin.Engine) {
	r.GET("/ogc/api", s.ogcOpenAPI) // readable without a token, as /openapi.json
	g := r.Group("/ogc", s.authenticate())
	g.GET("", s.ogcLanding)
	g.GET("/conformance", s.ogcConformance)
	g.GET("/collections", s.ogcCollections)
	g.GET("/collections/:layer", s.ogcCollection)
	g.GET("/collections/:layer/queryables", s.ogcQueryables)
	g.GET("/collections/:layer/items", s.ogcItems)
	g.GET("/collections/:layer/items/:id", s.ogcItem)
}

const (
	crs84   = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
	crs4490 = "http://www.opengis.net/def/crs/EPSG/0/4490"
	// ogcDefaultLimit is a page when the client names no limit.
	ogcDefaultLimit = 1000
	// ogcNextPage is the least page a next link asks for: GDAL 3.6 asks
	// for pages of 10 (2,002 requests for 20,000 features) and then
	// follows next links, so they carry larger pages (the limit a client
	// sends bounds the answer it gets, not the pages it is pointed to).
	ogcNextPage = 5000
	// casesCollection is the collection of cases (the closed loop's).
	casesCollection = "cases"
)

// ogcConformance are the conformance classes the server implements, all
// of them and no more.
var ogcConformance = []string{
	"http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
	"http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
	"http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
	"http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs",
	"http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables",
	"http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables-query-parameters",
	"http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/filter",
	"http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/features-filter",
	"http://www.opengis.net/spec/cql2/1.0/conf/cql2-text",
	"http://www.opengis.net/spec/cql2/1.0/conf/basic-cql2",
}

type ogcLink struct {
	Href  string `json:"href"`
	Rel   string `json:"rel"`
	Type  string `json:"type,omitempty"`
	Title string `json:"title,omitempty"`
}

func (s *Server) ogcLanding(c *gin.Context) {
	b := s.baseURL(c.Request)
	c.JSON(http.StatusOK, gin.H{
		"title":       "riskmap 应急风险一张图",
		"description": "Shanwei emergency risk map layers as OGC API - Features",
		"links": []ogcLink{
			{Href: b + "/ogc", Rel: "self", Type: "application/json", Title: "this document"},
			{Href: b + "/ogc/api", Rel: "service-desc", Type: "application/vnd.oai.openapi+json;version=3.0", Title: "the API definition"},
			{Href: b + "/ogc/conformance", Rel: "conformance", Type: "application/json", Title: "conformance classes"},
			{Href: b + "/ogc/collections", Rel: "data", Type: "application/json", Title: "the layers"},
		},
	})
}

func (s *Server) ogcConformance(c *gin.Context) {
	c.JSON(http.StatusOK, gin.H{"conformsTo": ogcConformance})
}

var layerTitles = map[string]string{
	"areas": "行政区划 administrative areas", "grids": "网格 grids", "risk_points": "风险点 risk points",
	"hazard_sources": "危险源 hazard sources", "stations": "应急站点 emergency stations", "depots": "应急物资储备仓库 supply depots",
	casesCollection: "隐患 hidden hazard cases",
}

func (s *Server) collectionLinks(c *gin.Context, id string) []ogcLink {
	b := s.baseURL(c.Request) + "/ogc/collections/" + id
	return []ogcLink{
		{Href: b, Rel: "self", Type: "application/json"},
		{Href: b + "/items", Rel: "items", Type: "application/geo+json", Title: id},
		{Href: b + "/queryables", Rel: "http://www.opengis.net/def/rel/ogc/1.0/queryables", Type: "application/schema+json", Title: "what a filter may name"},
	}
}

func (s *Server) collectionDoc(c *gin.Context, l *features.Layer) (gin.H, error) {
	ext, err := s.Features.Extent(c.Request.Context(), l, currentUser(c).Scope())
	if err != nil {
		return nil, err
	}
	doc := gin.H{
		"id": l.Name, "title": layerTitles[l.Name], "itemType": "feature",
		"crs": []string{crs84, crs4490}, "storageCrs": crs84,
		"links": s.collectionLinks(c, l.Name),
	}
	if ext != nil {
		doc["extent"] = gin.H{"spatial": gin.H{"bbox": [][4]float64{*ext}, "crs": crs84}}
	}
	return doc, nil
}

func (s *Server) casesDoc(c *gin.Context) gin.H {
	return gin.H{"id": casesCollection, "title": layerTitles[casesCollection], "itemType": "feature",
		"description": "the hidden-hazard cases you may see, newest first, as the case list (/api/v1/cases)",
		"crs":         []string{crs84}, "storageCrs": crs84, "links": s.collectionLinks(c, casesCollection)}
}

func (s *Server) ogcCollections(c *gin.Context) {
	var cols []gin.H
	for _, name := range s.Features.Layers.Names() {
		doc, err := s.collectionDoc(c, s.Features.Layers[name])
		if err != nil {
			s.fail(c, err)
			return
		}
		cols = append(cols, doc)
	}
	if s.Cases != nil {
		cols = append(cols, s.casesDoc(c))
	}
	b := s.baseURL(c.Request)
	c.JSON(http.StatusOK, gin.H{"collections": cols, "links": []ogcLink{{Href: b + "/ogc/collections", Rel: "self", Type: "application/json"}}})
}

// ogcLayer is the layer a collection path names; cases is reported as
// ok with a nil layer when the server has cases.
func (s *Server) ogcLayer(c *gin.Context) (*features.Layer, bool) {
	name := c.Param("layer")
	if name == casesCollection && s.Cases != nil {
		return nil, true
	}
	l, ok := s.Features.Layers[name]
	if !ok {
		s.fail(c, notFound("no collection %q: see /ogc/collections", name))
	}
	return l, ok
}

func (s *Server) ogcCollection(c *gin.Context) {
	l, ok := s.ogcLayer(c)
	if !ok {
		return
	}
	if l == nil {
		c.JSON(http.StatusOK, s.casesDoc(c))
		return
	}
	doc, err := s.collectionDoc(c, l)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, doc)
}

// casesQueryables are what the cases collection filters on (equality).
var casesQueryables = map[string]gin.H{
	"state":    {"type": "string", "title": "状态", "enum": append(cases.OpenStates(), cases.Closed, cases.Void, cases.Duplicate)},
	"grade":    {"type": "string", "title": "等级", "enum": cases.Grades},
	"category": {"type": "string", "title": "类别", "enum": cases.Categories},
}

// queryableSchema is a queryable's JSON Schema.
func queryableSchema(l *features.Layer, q features.Queryable) gin.H {
	s := gin.H{"title": l.Label(q.Name)}
	switch {
	case q.Time:
		s["type"], s["format"] = "string", "date-time"
	case q.Kind == features.Int:
		s["type"] = "integer"
	case q.Kind == features.Numeric:
		s["type"] = "number"
	case q.Kind == features.Bool:
		s["type"] = "boolean"
	case q.Kind == features.Date:
		s["type"], s["format"] = "string", "date"
	default:
		s["type"] = "string"
	}
	if f, ok := l.Field(q.Name); ok {
		switch {
		case len(f.Values) > 0:
			s["enum"] = f.Values
		case len(f.Ints) > 0:
			s["type"], s["enum"] = "integer", f.Ints
		}
	}
	return s
}

func (s *Server) ogcQueryables(c *gin.Context) {
	l, ok := s.ogcLayer(c)
	if !ok {
		return
	}
	props := gin.H{}
	if l == nil {
		for k, v := range casesQueryables {
			props[k] = v
		}
	} else {
		for _, q := range l.Queryables() {
			props[q.Name] = queryableSchema(l, q)
		}
	}
	c.Header("Content-Type", "application/schema+json")
	body, _ := json.Marshal(gin.H{
		"$schema": "https://json-schema.org/draft/2020-12/schema", "$id": s.baseURL(c.Request) + c.Request.URL.Path,
		"type": "object", "title": layerTitles[c.Param("layer")], "properties": props, "additionalProperties": false,
	})
	c.Data(http.StatusOK, "application/schema+json", body)
}

// ogcParams are the items parameters besides the queryables.
var ogcParams = []string{"limit", "cursor", "bbox", "bbox-crs", "datetime", "filter", "filter-lang", "filter-crs", "crs", "f"}

// ogcCRS reads a crs or bbox-crs parameter: CRS84 (lon/lat) or EPSG:4490
// (CGCS2000, lat/lon). It reports whether the axes are lat/lon.
func ogcCRS(c *gin.Context, name string, allowed []string) (latLon bool, err error) {
	v, ok := c.GetQuery(name)
	if !ok || v == crs84 {
		return false, nil
	}
	if v == crs4490 && slices.Contains(allowed, crs4490) {
		return true, nil
	}
	return false, badParam(name, "want one of %s, got %q", strings.Join(allowed, ", "), v)
}

// parseDatetime reads datetime (RFC 3339): an instant, a date, or an
// interval start/end with .. (or nothing) for an open end. A date stands
// for the whole day in China time (UTC+8), an interval's ends included.
func parseDatetime(v string) (from, to *time.Time, err error) {
	bad := func() error {
		return badParam("datetime", "want an instant (2026-01-02T08:00:00Z or 2026-01-02) or an interval start/end (.. for an open end), got %q", v)
	}
	cst := time.FixedZone("CST", 8*3600)
	parse := func(s string, end bool) (*time.Time, error) {
		if s == "" || s == ".." {
			return nil, nil
		}
		if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
			return &t, nil
		}
		d, err := time.ParseInLocation(time.DateOnly, s, cst)
		if err != nil {
			return nil, bad()
		}
		if end {
			d = d.AddDate(0, 0, 1).Add(-time.Nanosecond)
		}
		return &d, nil
	}
	start, end, interval := strings.Cut(v, "/")
	if !interval {
		if v == ".." || v == "" {
			return nil, nil, bad()
		}
		if from, err = parse(v, false); err != nil {
			return nil, nil, err
		}
		if to, err = parse(v, true); err != nil {
			return nil, nil, err
		}
		return from, to, nil
	}
	if from, err = parse(start, false); err != nil {
		return nil, nil, err
	}
	if to, err = parse(end, true); err != nil {
		return nil, nil, err
	}
	if from != nil && to != nil && from.After(*to) {
		return nil, nil, badParam("datetime", "the interval %q ends before it starts", v)
	}
	return from, to, nil
}

// ogcItemsQuery reads an items request for layer l.
func ogcItemsQuery(c *gin.Context, l *features.Layer) (features.ScanQuery, int, error) {
	q := features.ScanQuery{Equals: map[string]string{}}
	limit := ogcDefaultLimit
	for name, vals := range c.Request.URL.Query() {
		if !slices.Contains(ogcParams, name) && !l.Filterable(name) {
			return q, 0, badParam(name, "unknown parameter: items take %s and the queryables of %s (/ogc/collections/%s/queryables)",
				strings.Join(ogcParams, ", "), l.Name, l.Name)
		}
		if len(vals) != 1 {
			return q, 0, badParam(name, "give it once")
		}
		if l.Filterable(name) {
			q.Equals[name] = vals[0]
		}
	}
	if v, ok := c.GetQuery("limit"); ok {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return q, 0, badParam("limit", "want a whole number from 1 to %d, got %q", maxLimit, v)
		}
		limit = min(n, maxLimit) // OGC: a larger limit is served as the largest
	}
	if v, ok := c.GetQuery("cursor"); ok {
		id, ok := decodeCursor(v)
		if !ok {
			return q, 0, badParam("cursor", "not a cursor this server issued")
		}
		q.After = id
	}
	bboxLatLon, err := ogcCRS(c, "bbox-crs", []string{crs84, crs4490})
	if err != nil {
		return q, 0, err
	}
	if v, ok := c.GetQuery("bbox"); ok {
		if bboxLatLon {
			// EPSG:4490's axes: minLat,minLon,maxLat,maxLon
			p := strings.Split(v, ",")
			if len(p) == 4 {
				v = strings.Join([]string{p[1], p[0], p[3], p[2]}, ",")
			}
		}
		b, err := parseBBox(v)
		if err != nil {
			return q, 0, err
		}
		q.BBox = &b
	}
	if v, ok := c.GetQuery("datetime"); ok {
		if q.UpdatedFrom, q.UpdatedTo, err = parseDatetime(v); err != nil {
			return q, 0, err
		}
	}
	if v, ok := c.GetQuery("filter"); ok {
		if lang := c.DefaultQuery("filter-lang", "cql2-text"); lang != "cql2-text" {
			return q, 0, badParam("filter-lang", "only cql2-text is supported, got %q", lang)
		}
		if fc, ok := c.GetQuery("filter-crs"); ok && fc != crs84 {
			return q, 0, badParam("filter-crs", "only %s is supported", crs84)
		}
		e, err := cql2.Parse(v)
		if err != nil {
			return q, 0, badParam("filter", "%v", err)
		}
		q.Filter = e
	}
	if q.LatLon, err = ogcCRS(c, "crs", []string{crs84, crs4490}); err != nil {
		return q, 0, err
	}
	if f := c.DefaultQuery("f", "json"); f != "json" && f != "geojson" {
		return q, 0, badParam("f", "only json (GeoJSON) is served, got %q", f)
	}
	return q, limit, nil
}

// contentCRS is the Content-Crs header of Part 2.
func contentCRS(latLon bool) string {
	if latLon {
		return "<" + crs4490 + ">"
	}
	return "<" + crs84 + ">"
}

// nextLimit is the page a next link asks for: the client's, or
// ogcNextPage when that is more.
func nextLimit(limit int) int { return max(limit, min(ogcNextPage, maxLimit)) }

func (s *Server) ogcItems(c *gin.Context) {
	l, ok := s.ogcLayer(c)
	if !ok {
		return
	}
	if l == nil {
		s.ogcCaseItems(c)
		return
	}
	q, limit, err := ogcItemsQuery(c, l)
	if err != nil {
		s.fail(c, err)
		return
	}
	q.Limit = limit + 1
	// buffered, so that a failure half-way is still an error reply
	var buf bytes.Buffer
	fc := collection.New(&buf, collection.Options{Members: map[string]string{"timeStamp": time.Now().UTC().Format(time.RFC3339)}})
	var last, next int64
	matched, err := s.Features.CountAndScan(c.Request.Context(), l, currentUser(c).Scope(), q, func(f features.Feature) error {
		if fc.Len() == limit {
			next = last
			return nil
		}
		last = f.ID
		return fc.Add(f.JSON)
	})
	if err != nil {
		s.fail(c, err)
		return
	}
	fc.Close(&collection.Page{Matched: &matched, Links: pageLinks(s.baseURL(c.Request), c.Request.URL, next, nextLimit(limit))})
	c.Header("Content-Crs", contentCRS(q.LatLon))
	c.Data(http.StatusOK, collection.MediaType, buf.Bytes())
}

// ogcCaseItems lists the cases collection: the case list in the user's
// scope, newest first, with bbox, datetime (on updated_at) and equality on
// state, grade and category.
func (s *Server) ogcCaseItems(c *gin.Context) {
	q := cases.ListQuery{Limit: ogcDefaultLimit}
	for name, vals := range c.Request.URL.Query() {
		_, queryable := casesQueryables[name]
		if !queryable && !slices.Contains([]string{"limit", "cursor", "bbox", "crs", "f"}, name) {
			s.fail(c, badParam(name, "unknown parameter: the cases collection takes limit, cursor, bbox, crs, f, state, grade and category"))
			return
		}
		if len(vals) != 1 {
			s.fail(c, badParam(name, "give it once"))
			return
		}
	}
	if v, ok := c.GetQuery("limit"); ok {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			s.fail(c, badParam("limit", "want a whole number from 1 to %d, got %q", maxLimit, v))
			return
		}
		q.Limit = min(n, maxLimit)
	}
	if v, ok := c.GetQuery("cursor"); ok {
		id, ok := decodeCursor(v)
		if !ok {
			s.fail(c, badParam("cursor", "not a cursor this server issued"))
			return
		}
		q.After = id
	}
	if v, ok := c.GetQuery("bbox"); ok {
		b, err := parseBBox(v)
		if err != nil {
			s.fail(c, err)
			return
		}
		q.BBox = &b
	}
	if _, err := ogcCRS(c, "crs", []string{crs84}); err != nil {
		s.fail(c, err)
		return
	}
	for name, schema := range casesQueryables {
		if v, ok := c.GetQuery(name); ok && !slices.Contains(schema["enum"].([]string), v) {
			s.fail(c, badParam(name, "want one of %s, got %q", strings.Join(schema["enum"].([]string), ", "), v))
			return
		}
	}
	if v := c.Query("state"); v != "" {
		q.States = []string{v}
	}
	q.Grade, q.Category = c.Query("grade"), c.Query("category")
	page, err := s.Cases.List(c.Request.Context(), currentUser(c), q)
	if err != nil {
		s.fail(c, err)
		return
	}
	var buf bytes.Buffer
	fc := collection.New(&buf, collection.Options{Members: map[string]string{"timeStamp": time.Now().UTC().Format(time.RFC3339)}})
	for _, f := range page.Features {
		fc.Add(f)
	}
	fc.Close(&collection.Page{Links: pageLinks(s.baseURL(c.Request), c.Request.URL, page.Next, nextLimit(q.Limit))})
	c.Header("Content-Crs", contentCRS(false))
	c.Data(http.StatusOK, collection.MediaType, buf.Bytes())
}

// withLinks adds a links member to a feature's JSON object.
func withLinks(feature []byte, links []ogcLink) []byte {
	i := bytes.LastIndexByte(feature, '}')
	if i < 0 {
		return feature
	}
	l, _ := json.Marshal(links)
	out := make([]byte, 0, len(feature)+len(l)+10)
	out = append(out, feature[:i]...)
	out = append(out, `,"links":`...)
	out = append(out, l...)
	return append(out, feature[i:]...)
}

func (s *Server) ogcItem(c *gin.Context) {
	l, ok := s.ogcLayer(c)
	if !ok {
		return
	}
	col := s.baseURL(c.Request) + "/ogc/collections/" + url.PathEscape(c.Param("layer"))
	links := []ogcLink{
		{Href: s.baseURL(c.Request) + c.Request.URL.RequestURI(), Rel: "self", Type: "application/geo+json"},
		{Href: col, Rel: "collection", Type: "application/json"},
	}
	if l == nil {
		doc, err := s.Cases.Get(c.Request.Context(), currentUser(c), c.Param("id"))
		if err != nil {
			s.fail(c, err)
			return
		}
		c.Header("Content-Crs", contentCRS(false))
		c.Data(http.StatusOK, "application/geo+json", withLinks(doc, links))
		return
	}
	id, err := parseID(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	latLon, err := ogcCRS(c, "crs", []string{crs84, crs4490})
	if err != nil {
		s.fail(c, err)
		return
	}
	var f features.Feature
	found := false
	err = s.Features.Scan(c.Request.Context(), l, currentUser(c).Scope(), features.ScanQuery{After: id - 1, Limit: 1, LatLon: latLon},
		func(x features.Feature) error {
			f, found = x, x.ID == id
			return nil
		})
	if err == nil && !found {
		err = riskmap.Errorf(riskmap.ENOTFOUND, "%s %d not found", l.Name, id)
	}
	if err != nil {
		s.fail(c, err)
		return
	}
	c.Header("ETag", etag(f.Version))
	c.Header("Content-Crs", contentCRS(latLon))
	c.Data(http.StatusOK, "application/geo+json", withLinks(f.JSON, links))
}
