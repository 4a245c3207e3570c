package api

import (
	"math"
	"net/http"
	"strconv"

	"github.com/gin-gonic/gin"

	"riskmap/geo"
)

func parseCoord(c *gin.Context, name string, limit float64) (float64, error) {
	v, ok := c.GetQuery(name)
	if !ok {
		return 0, badParam(name, "required")
	}
	x, err := strconv.ParseFloat(v, 64)
	if err != nil || math.IsNaN(x) || math.IsInf(x, 0) {
		return 0, badParam(name, "not a finite number: %q", v)
	}
	if x < -limit || x > limit {
		return 0, badParam(name, "%v out of range [%v, %v]", x, -limit, limit)
	}
	return x, nil
}

func (s *Server) locate(c *gin.Context) {
	lon, err := parseCoord(c, "lon", 180)
	if err != nil {
		s.fail(c, err)
		return
	}
	lat, err := parseCoord(c, "lat", 90)
	if err != nil {
		s.fail(c, err)
		return
	}
	crs, err := parseCRS(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	lon, lat = geo.ToWGS84(crs, lon, lat)
	loc, err := s.Features.Locate(c.Request.Context(), currentUser(c).Scope(), lon, lat)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, loc)
}

func (s *Server) gridIntegrity(c *gin.Context) {
	area := c.Query("area")
	if area != "" && !code12.MatchString(area) {
		s.fail(c, badParam("area", "want a 12-digit administrative code, got %q", area))
		return
	}
	rep, err := s.Features.Integrity(c.Request.Context(), currentUser(c).Scope(), area)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, rep)
}
