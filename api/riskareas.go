package api

import (
	"bytes"
	"net/http"
	"net/url"

	"github.com/gin-gonic/gin"

	"riskmap/features"
)

// riskAreas answers GET /api/v1/stats/risk-areas?area=CODE&group_by=township|village|grid&format=json|xlsx:
// the areas of the four-colour map with their active risk points by level.
func (s *Server) riskAreas(c *gin.Context) {
	area := c.Query("area")
	if area != "" && !code12.MatchString(area) {
		s.fail(c, badParam("area", "want a 12-digit administrative code, got %q", area))
		return
	}
	level := c.DefaultQuery("group_by", "township")
	switch level {
	case "township", "village", "grid":
	default:
		s.fail(c, badParam("group_by", "want township, village or grid, got %q", level))
		return
	}
	format := c.DefaultQuery("format", "json")
	if format != "json" && format != "xlsx" {
		s.fail(c, badParam("format", "want json or xlsx, got %q", format))
		return
	}
	rows, err := s.Features.RiskAreas(c.Request.Context(), currentUser(c).Scope(), area, level)
	if err != nil {
		s.fail(c, err)
		return
	}
	if format == "json" {
		c.JSON(http.StatusOK, gin.H{"area": area, "group_by": level, "areas": rows})
		return
	}
	var buf bytes.Buffer
	title := "安全风险四色分布 " + map[string]string{"township": "镇街", "village": "村社区", "grid": "网格"}[level]
	if area != "" {
		title += " " + area
	}
	if err := features.WriteRiskAreasXLSX(&buf, title, rows); err != nil {
		s.fail(c, err)
		return
	}
	c.Header("Content-Disposition", `attachment; filename="risk-areas.xlsx"; filename*=UTF-8''`+url.PathEscape("安全风险四色分布.xlsx"))
	c.Data(http.StatusOK, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", buf.Bytes())
}
