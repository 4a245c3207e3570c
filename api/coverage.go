package api

import (
	"bytes"
	"math"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strconv"

	"github.com/gin-gonic/gin"

	"riskmap/coverage"
)

// Coverage for planners (package coverage): who is within reach of a
// station or depot, the townships' 四个一, depot stock against its norms,
// and where new stations would help most. Grid workers get 403.
//
//	GET /api/v1/coverage?facility=stations|depots&max_distance_m=M|max_minutes=T[&kind=][&area=][&limit=][&format=json|geojson|csv]
//	GET /api/v1/coverage/siting?k=3&facility=stations&max_distance_m=M|max_minutes=T[&candidates=grids|villages|points&points=lon,lat;...][&area=]
//	GET /api/v1/readiness[?area=CODE][&incomplete=true]
//	GET /api/v1/depots/sufficiency[?area=CODE]
func (s *Server) coverageRoutes(g *gin.RouterGroup) {
	g.GET("/coverage", s.coverage)
	g.GET("/coverage/siting", s.siting)
	g.GET("/readiness", s.readiness)
	g.GET("/depots/sufficiency", s.sufficiency)
}

// coverageQuery reads the parameters coverage and siting share.
func coverageQuery(params url.Values) (coverage.Query, error) {
	q := coverage.Query{Facility: params.Get("facility"), Kind: params.Get("kind"), Area: params.Get("area")}
	if !params.Has("facility") {
		q.Facility = coverage.FacilityStations
	}
	num := func(name string, dst *float64) error {
		v := params.Get(name)
		if v == "" {
			return nil
		}
		f, err := strconv.ParseFloat(v, 64)
		if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
			return badParam(name, "want a finite number, got %q", v)
		}
		*dst = f
		return nil
	}
	if err := num("max_distance_m", &q.MaxDistanceM); err != nil {
		return q, err
	}
	if err := num("max_minutes", &q.MaxMinutes); err != nil {
		return q, err
	}
	if q.Area != "" && !code12.MatchString(q.Area) {
		return q, badParam("area", "want a 12-digit administrative code, got %q", q.Area)
	}
	if params.Has("limit") {
		v := params.Get("limit")
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > coverage.MaxListLimit {
			return q, badParam("limit", "want 1 to %d uncovered points listed, got %q", coverage.MaxListLimit, v)
		}
		q.Limit = n
	}
	return q, q.Check()
}

// coverage: GET /api/v1/coverage
func (s *Server) coverage(c *gin.Context) {
	q, err := coverageQuery(c.Request.URL.Query())
	if err != nil {
		s.fail(c, err)
		return
	}
	format := c.DefaultQuery("format", "json")
	if !slices.Contains([]string{"json", "geojson", "csv", "xlsx"}, format) {
		s.fail(c, badParam("format", "want json, geojson, csv or xlsx, got %q", format))
		return
	}
	res, err := s.Coverage.Coverage(c.Request.Context(), currentUser(c), q)
	if err != nil {
		s.fail(c, err)
		return
	}
	// named as people would: 覆盖分析_新港街道_应急站点_5公里.xlsx
	name := res.FileName()
	attach := func(ext string) {
		c.Header("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": name + "." + ext}))
	}
	var buf bytes.Buffer
	switch format {
	case "geojson":
		if err := s.Coverage.WriteGeoJSON(c.Request.Context(), &buf, res); err != nil {
			s.fail(c, err)
			return
		}
		attach("geojson")
		c.Data(http.StatusOK, "application/geo+json", buf.Bytes())
	case "csv":
		if err := res.WriteCSV(&buf); err != nil {
			s.fail(c, err)
			return
		}
		attach("csv")
		c.Data(http.StatusOK, "text/csv; charset=utf-8", buf.Bytes())
	case "xlsx":
		if err := res.WriteXLSX(&buf); err != nil {
			s.fail(c, err)
			return
		}
		attach("xlsx")
		c.Data(http.StatusOK, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", buf.Bytes())
	default:
		c.JSON(http.StatusOK, res)
	}
}

// siting: GET /api/v1/coverage/siting
func (s *Server) siting(c *gin.Context) {
	q, err := coverageQuery(c.Request.URL.Query())
	if err != nil {
		s.fail(c, err)
		return
	}
	sq := coverage.SitingQuery{Query: q, K: 3, Candidates: c.DefaultQuery("candidates", coverage.CandidateGrids)}
	if v, ok := c.GetQuery("k"); ok {
		n, err := strconv.Atoi(v)
		if err != nil {
			s.fail(c, badParam("k", "want a whole number of new sites, got %q", v))
			return
		}
		sq.K = n
	}
	if v := c.Query("points"); v != "" {
		if sq.Points, err = coverage.ParsePoints(v); err != nil {
			s.fail(c, err)
			return
		}
	}
	res, err := s.Coverage.Siting(c.Request.Context(), currentUser(c), sq)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, res)
}

// readiness: GET /api/v1/readiness
func (s *Server) readiness(c *gin.Context) {
	area := c.Query("area")
	if area != "" && !code12.MatchString(area) {
		s.fail(c, badParam("area", "want a 12-digit administrative code, got %q", area))
		return
	}
	incomplete := false
	if v, ok := c.GetQuery("incomplete"); ok {
		b, err := strconv.ParseBool(v)
		if err != nil {
			s.fail(c, badParam("incomplete", "want true or false, got %q", v))
			return
		}
		incomplete = b
	}
	res, err := s.Coverage.Readiness(c.Request.Context(), currentUser(c), area, incomplete)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, res)
}

// sufficiency: GET /api/v1/depots/sufficiency
func (s *Server) sufficiency(c *gin.Context) {
	area := c.Query("area")
	if area != "" && !code12.MatchString(area) {
		s.fail(c, badParam("area", "want a 12-digit administrative code, got %q", area))
		return
	}
	res, err := s.Coverage.Sufficiency(c.Request.Context(), currentUser(c), area)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, res)
}
