package api

import (
	"bytes"
	"io"
	"net/http"
	"net/url"
	"strconv"

	"github.com/gin-gonic/gin"

	"riskmap"
	"riskmap/auth"
	"riskmap/stock"
)

// Depot stock as a ledger of movements (package stock):
//
//	POST /api/v1/depots/{id}/stock-movements   {"item","unit","quantity" (signed),"kind","reason","ref","batch","expires_on","to_depot","counted"}
//	GET  /api/v1/depots/{id}/stock-movements[?item=&limit=&format=json|xlsx]
//
// Writing needs a role that keeps depots (township and up), the depot in
// scope (and a transfer's receiving depot too); reading, the depot in scope.
func (s *Server) stockRoutes(g *gin.RouterGroup) {
	g.POST("/depots/:id/stock-movements", s.recordMovement)
	g.GET("/depots/:id/stock-movements", s.strictQuery("item", "limit", "format"), s.listMovements)
}

func (s *Server) recordMovement(c *gin.Context) {
	id, err := parseID(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	u := currentUser(c)
	if !auth.CanWriteLayer(u.Role, "depots") {
		s.fail(c, riskmap.Errorf(riskmap.EFORBIDDEN, "role %s may not move depot stock", u.Role))
		return
	}
	body, err := io.ReadAll(c.Request.Body)
	if err != nil {
		s.fail(c, err)
		return
	}
	in, err := stock.ParseInput(body)
	if err != nil {
		s.fail(c, err)
		return
	}
	ms, err := s.Stock.Record(c.Request.Context(), u.Scope(), id, in)
	if err != nil {
		s.fail(c, err)
		return
	}
	lines, err := s.stockLines(c, id)
	if err != nil {
		s.fail(c, err)
		return
	}
	status := http.StatusCreated
	if len(ms) == 0 {
		status = http.StatusOK // a count that found what was on hand
	}
	c.Header("Location", (&url.URL{Path: "/api/v1/depots/" + strconv.FormatInt(id, 10) + "/stock-movements"}).String())
	c.JSON(status, gin.H{"movements": ms, "lines": lines})
}

// stockLines are a depot's lines with their expiry flags and, for users
// who see the sufficiency analysis, the township's norms.
func (s *Server) stockLines(c *gin.Context, id int64) ([]stock.Line, error) {
	u := currentUser(c)
	twp, lines, err := s.Stock.Lines(c.Request.Context(), u.Scope(), id)
	if err != nil || s.Coverage == nil || u.Role == riskmap.RoleWorker {
		return lines, err
	}
	suff, err := s.Coverage.Sufficiency(c.Request.Context(), u, twp)
	if err != nil {
		if riskmap.ErrorCode(err) == riskmap.EFORBIDDEN || riskmap.ErrorCode(err) == riskmap.ENOTFOUND {
			return lines, nil // the township lies beyond the user's areas: no norms to judge by
		}
		return nil, err
	}
	short := map[string]bool{}
	for _, t := range suff.Townships {
		if t.Code == twp {
			for _, it := range t.Short {
				short[it] = true
			}
		}
	}
	for i := range lines {
		lines[i].BelowNorm = short[lines[i].Item]
	}
	return lines, nil
}

func (s *Server) listMovements(c *gin.Context) {
	id, err := parseID(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	limit := 1000
	if v, ok := c.GetQuery("limit"); ok {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 100000 {
			s.fail(c, badParam("limit", "want 1 to 100000, got %q", v))
			return
		}
		limit = n
	}
	format := c.DefaultQuery("format", "json")
	if format != "json" && format != "xlsx" {
		s.fail(c, badParam("format", "want json or xlsx, got %q", format))
		return
	}
	if format == "xlsx" {
		limit = 100000
	}
	name, ms, err := s.Stock.List(c.Request.Context(), currentUser(c).Scope(), id, c.Query("item"), limit)
	if err != nil {
		s.fail(c, err)
		return
	}
	lines, err := s.stockLines(c, id)
	if err != nil {
		s.fail(c, err)
		return
	}
	if format == "xlsx" {
		var buf bytes.Buffer
		if err := stock.WriteXLSX(&buf, name, lines, ms); err != nil {
			s.fail(c, err)
			return
		}
		c.Header("Content-Disposition", `attachment; filename="depot-`+strconv.FormatInt(id, 10)+`-ledger.xlsx"; filename*=UTF-8''`+url.PathEscape(name+"出入库台账.xlsx"))
		c.Data(http.StatusOK, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", buf.Bytes())
		return
	}
	c.JSON(http.StatusOK, gin.H{"depot": gin.H{"id": id, "name": name}, "expiry_warning_days": s.Stock.ExpiryWarningDays(),
		"lines": lines, "movements": ms})
}
