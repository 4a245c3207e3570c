package api

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"strconv"

	"github.com/gin-gonic/gin"

	"riskmap/inspections"
)

// recordInspection: POST /api/v1/inspections with {"hazard_source_id",
// "inspected_on","kind","inspectors","findings","penalty","plan_id","note"}.
func (s *Server) recordInspection(c *gin.Context) {
	g, err := s.readGeoBody(c, true)
	if err != nil {
		s.fail(c, err)
		return
	}
	in, err := inspections.Parse(g.body, g.crs, g.bounds)
	if err != nil {
		s.fail(c, err)
		return
	}
	reply, err := s.Inspections.Record(c.Request.Context(), currentUser(c), in)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.Header("Location", "/api/v1/inspections/"+reply.ID)
	c.Data(reply.Status, "application/geo+json", reply.Body)
}

// listInspections: GET /api/v1/inspections?hazard_source_id=&area=&from=&to=&kind=&level=&plan_id=&limit=&cursor=
func (s *Server) listInspections(c *gin.Context) {
	rq, err := routineList(c, "inspections", "area or hazard_source_id")
	if err != nil {
		s.fail(c, err)
		return
	}
	q := inspections.ListQuery{Limit: rq.Limit, After: rq.After, Area: rq.area, From: rq.from, To: rq.to}
	for _, p := range []struct {
		name string
		dst  *int64
	}{{"hazard_source_id", &q.HazardSourceID}, {"plan_id", &q.PlanID}} {
		if v := c.Query(p.name); v != "" {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil || n < 1 {
				s.fail(c, badParam(p.name, "want a positive whole number, got %q", v))
				return
			}
			*p.dst = n
		}
	}
	if q.Kind = c.Query("kind"); q.Kind != "" && !slices.Contains(inspections.Kinds(), q.Kind) {
		s.fail(c, badParam("kind", "want routine, random, special or follow_up, got %q", q.Kind))
		return
	}
	if q.Level = c.Query("level"); q.Level != "" && !slices.Contains(inspections.Levels(), q.Level) {
		s.fail(c, badParam("level", "want township, county or city, got %q", q.Level))
		return
	}
	page, err := s.Inspections.List(c.Request.Context(), currentUser(c), q)
	if err != nil {
		s.fail(c, err)
		return
	}
	writeFeaturePage(c, page.Features, page.Next)
}

// getInspection: GET /api/v1/inspections/{id} with the cases it opened.
func (s *Server) getInspection(c *gin.Context) {
	doc, err := s.Inspections.Get(c.Request.Context(), currentUser(c), c.Param("id"))
	if err != nil {
		s.fail(c, err)
		return
	}
	c.Data(http.StatusOK, "application/geo+json", doc)
}

// drawPlan: POST /api/v1/inspection-plans {"area","from","to","units","inspectors","category","seed"}.
func (s *Server) drawPlan(c *gin.Context) {
	g, err := s.readGeoBody(c, false)
	if err != nil {
		s.fail(c, err)
		return
	}
	in, err := inspections.ParsePlan(g.body)
	if err != nil {
		s.fail(c, err)
		return
	}
	doc, err := s.Inspections.CreatePlan(c.Request.Context(), currentUser(c), in)
	if err != nil {
		s.fail(c, err)
		return
	}
	var id struct{ ID int64 }
	_ = json.Unmarshal(doc, &id)
	c.Header("Location", "/api/v1/inspection-plans/"+strconv.FormatInt(id.ID, 10))
	c.Data(http.StatusCreated, "application/json", doc)
}

// getPlan: GET /api/v1/inspection-plans/{id} with its units, inspectors
// and progress.
func (s *Server) getPlan(c *gin.Context) {
	id, err := parseID(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	doc, err := s.Inspections.GetPlan(c.Request.Context(), currentUser(c), id)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.Data(http.StatusOK, "application/json", doc)
}

// listPlans: GET /api/v1/inspection-plans?area=&limit=, newest first.
func (s *Server) listPlans(c *gin.Context) {
	lq, err := parseListQuery(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	area := c.Query("area")
	if area != "" && !code12.MatchString(area) {
		s.fail(c, badParam("area", "want a 12-digit area code, got %q", area))
		return
	}
	plans, err := s.Inspections.ListPlans(c.Request.Context(), currentUser(c), area, lq.Limit)
	if err != nil {
		s.fail(c, err)
		return
	}
	var buf bytes.Buffer
	buf.WriteString(`{"plans":[`)
	for i, p := range plans {
		if i > 0 {
			buf.WriteByte(',')
		}
		buf.Write(p)
	}
	buf.WriteString(`]}`)
	c.Data(http.StatusOK, "application/json", buf.Bytes())
}

// inspectionStats: GET /api/v1/stats/inspections?area=&from=&to=&group_by=county|township|grid&format=json|csv|xlsx.
// The period defaults to the current year up to today (Asia/Shanghai),
// group_by to township.
func (s *Server) inspectionStats(c *gin.Context) {
	q, format, err := parseStatsQuery(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	st, err := s.Inspections.Statistics(c.Request.Context(), currentUser(c), inspections.StatsQuery{Area: q.Area, From: q.From, To: q.To, GroupBy: q.GroupBy})
	if err != nil {
		s.fail(c, err)
		return
	}
	s.writeStats(c, format, inspections.ExportName(st), st, func(w io.Writer) error { return inspections.WriteCSV(w, st) },
		func(w io.Writer) error { return inspections.WriteXLSX(w, st) })
}

// inspectionOfficers: GET /api/v1/inspection-officers?hazard_source_id=N —
// who may be named inspectors of an inspection of that enterprise.
func (s *Server) inspectionOfficers(c *gin.Context) {
	id, err := strconv.ParseInt(c.Query("hazard_source_id"), 10, 64)
	if err != nil || id < 1 {
		s.fail(c, badParam("hazard_source_id", "want the id of a hazard source, got %q", c.Query("hazard_source_id")))
		return
	}
	officers, err := s.Inspections.Officers(c.Request.Context(), currentUser(c), id)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"officers": officers})
}

// inspectionRoutes registers the inspection routes on the authenticated group.
func (s *Server) inspectionRoutes(authed *gin.RouterGroup) {
	authed.POST("/inspections", s.recordInspection)
	authed.GET("/inspections", s.strictQuery("hazard_source_id", "area", "from", "to", "kind", "level", "plan_id", "limit", "cursor"), s.listInspections)
	authed.GET("/inspections/:id", s.strictQuery(), s.getInspection)
	authed.GET("/inspection-officers", s.strictQuery("hazard_source_id"), s.inspectionOfficers)
	authed.POST("/inspection-plans", s.drawPlan)
	authed.GET("/inspection-plans", s.strictQuery("area", "limit"), s.listPlans)
	authed.GET("/inspection-plans/:id", s.strictQuery(), s.getPlan)
	authed.GET("/stats/inspections", s.strictQuery("area", "from", "to", "group_by", "format"), s.inspectionStats)
}
