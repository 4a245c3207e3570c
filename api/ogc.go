package api

import (
	"bytes"
	"net/http"
	"strconv"

	"github.com/gin-gonic/gin"

	"riskmap"
	"riskmap/features"
	"riskmap/internal/collection"
)

// OGC API - Features - Part 1 (core, GeoJSON, OpenAPI 3.0) at /ogc, for
// QGIS and GDAL's OAPIF driver. Collections are the feature layers; every
// answer is in the user's scope and needs the bearer token (GDAL:
// --config GDAL_HTTP_HEADERS "Authorization: Bearer TOKEN").
//
//	GET /ogc                                    landing page
//	GET /ogc/conformance                        conformance classes
//	GET /ogc/collections                        the layers, with their extents in scope
//	GET /ogc/collections/{layer}                one layer
//	GET /ogc/collections/{layer}/items          features: bbox, limit (default 100, max 10,000), next links, FIELD=VALUE filters
//	GET /ogc/collections/{layer}/items/{id}     one feature
func (s *Server) ogcRoutes(r *gin.Engine) {
	g := r.Group("/ogc", s.authenticate())
	g.GET("", s.ogcLanding)
	g.GET("/conformance", s.ogcConformance)
	g.GET("/collections", s.ogcCollections)
	g.GET("/collections/:layer", s.ogcCollection)
	g.GET("/collections/:layer/items", s.ogcItems)
	g.GET("/collections/:layer/items/:id", s.ogcItem)
}

const crs84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"

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
			{Href: b + "/openapi.json", Rel: "service-desc", Type: "application/vnd.oai.openapi+json;version=3.0", Title: "the API definition"},
			{Href: b + "/ogc/conformance", Rel: "conformance", Type: "application/json", Title: "conformance classes"},
			{Href: b + "/ogc/collections", Rel: "data", Type: "application/json", Title: "the layers"},
		},
	})
}

func (s *Server) ogcConformance(c *gin.Context) {
	c.JSON(http.StatusOK, gin.H{"conformsTo": []string{
		"http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
		"http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
		"http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
	}})
}

var layerTitles = map[string]string{
	"areas": "行政区划 administrative areas", "grids": "网格 grids", "risk_points": "风险点 risk points",
	"hazard_sources": "危险源 hazard sources", "stations": "应急站点 emergency stations", "depots": "应急物资储备仓库 supply depots",
}

func (s *Server) collectionDoc(c *gin.Context, l *features.Layer) (gin.H, error) {
	b := s.baseURL(c.Request) + "/ogc/collections/" + l.Name
	ext, err := s.Features.Extent(c.Request.Context(), l, currentUser(c).Scope())
	if err != nil {
		return nil, err
	}
	doc := gin.H{
		"id": l.Name, "title": layerTitles[l.Name], "itemType": "feature", "crs": []string{crs84},
		"links": []ogcLink{
			{Href: b, Rel: "self", Type: "application/json"},
			{Href: b + "/items", Rel: "items", Type: "application/geo+json", Title: l.Name},
		},
	}
	if ext != nil {
		doc["extent"] = gin.H{"spatial": gin.H{"bbox": [][4]float64{*ext}, "crs": crs84}}
	}
	return doc, nil
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
	b := s.baseURL(c.Request)
	c.JSON(http.StatusOK, gin.H{"collections": cols, "links": []ogcLink{{Href: b + "/ogc/collections", Rel: "self", Type: "application/json"}}})
}

func (s *Server) ogcLayer(c *gin.Context) (*features.Layer, bool) {
	l, ok := s.Features.Layers[c.Param("layer")]
	if !ok {
		s.fail(c, notFound("no collection %q: see /ogc/collections", c.Param("layer")))
	}
	return l, ok
}

func (s *Server) ogcCollection(c *gin.Context) {
	l, ok := s.ogcLayer(c)
	if !ok {
		return
	}
	doc, err := s.collectionDoc(c, l)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, doc)
}

func (s *Server) ogcItems(c *gin.Context) {
	l, ok := s.ogcLayer(c)
	if !ok {
		return
	}
	q, err := scanQueryFrom(c, l, "limit", "cursor", "f")
	if err != nil {
		s.fail(c, err)
		return
	}
	limit := defaultLimit
	if v, ok := c.GetQuery("limit"); ok {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			s.fail(c, badParam("limit", "want a whole number from 1 to %d, got %q", maxLimit, v))
			return
		}
		limit = min(n, maxLimit) // OGC: a larger limit is served as the largest
	}
	if v, ok := c.GetQuery("cursor"); ok {
		id, ok := decodeCursor(v)
		if !ok {
			s.fail(c, badParam("cursor", "not a cursor this server issued"))
			return
		}
		q.After = id
	}
	scope := currentUser(c).Scope()
	ctx := c.Request.Context()
	matched, err := s.Features.Count(ctx, l, scope, q)
	if err != nil {
		s.fail(c, err)
		return
	}
	q.Limit = limit + 1
	// buffered, so that a failure half-way is still an error reply
	var buf bytes.Buffer
	fc := collection.New(&buf, collection.Options{})
	var last, next int64
	err = s.Features.Scan(ctx, l, scope, q, func(f features.Feature) error {
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
	fc.Close(&collection.Page{Matched: &matched, Links: pageLinks(s.baseURL(c.Request), c.Request.URL, next, limit)})
	c.Data(http.StatusOK, collection.MediaType, buf.Bytes())
}

func (s *Server) ogcItem(c *gin.Context) {
	l, ok := s.ogcLayer(c)
	if !ok {
		return
	}
	id, err := parseID(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	f, err := s.Features.Get(c.Request.Context(), l, currentUser(c).Scope(), id)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.Header("ETag", etag(f.Version))
	c.Data(http.StatusOK, "application/geo+json", f.JSON)
}

var _ = riskmap.Errorf
