package api

import (
	"bytes"
	"net/http"
	"slices"
	"time"

	"github.com/gin-gonic/gin"

	"riskmap/cases"
)

// rectificationStats: GET /api/v1/stats/rectification?area=&from=&to=&group_by=&format=
// The period defaults to the current year up to today (Asia/Shanghai),
// group_by to township, format to json.
func (s *Server) rectificationStats(c *gin.Context) {
	now := time.Now().In(cases.Shanghai())
	q := cases.StatsQuery{Area: c.Query("area"), GroupBy: c.DefaultQuery("group_by", "township")}
	if q.Area != "" && !code12.MatchString(q.Area) {
		s.fail(c, badParam("area", "want a 12-digit administrative code, got %q", q.Area))
		return
	}
	if !slices.Contains(cases.GroupLevels(), q.GroupBy) {
		s.fail(c, badParam("group_by", "want county, township or grid, got %q", q.GroupBy))
		return
	}
	var err error
	if q.To, err = parseDate(c, "to", now); err != nil {
		s.fail(c, err)
		return
	}
	if q.From, err = parseDate(c, "from", time.Date(q.To.Year(), 1, 1, 0, 0, 0, 0, cases.Shanghai())); err != nil {
		s.fail(c, err)
		return
	}
	if q.To.Before(q.From) {
		s.fail(c, badParam("from", "%s is after to %s", q.From.Format("2006-01-02"), q.To.Format("2006-01-02")))
		return
	}
	format := c.DefaultQuery("format", "json")
	if !slices.Contains([]string{"json", "csv", "xlsx"}, format) {
		s.fail(c, badParam("format", "want json, csv or xlsx, got %q", format))
		return
	}
	st, err := s.Cases.Rectification(c.Request.Context(), currentUser(c), q)
	if err != nil {
		s.fail(c, err)
		return
	}
	name := "rectification_" + st.From + "_" + st.To
	if q.Area != "" {
		name = "rectification_" + q.Area + "_" + st.From + "_" + st.To
	}
	var buf bytes.Buffer
	switch format {
	case "csv":
		if err := cases.WriteCSV(&buf, st); err != nil {
			s.fail(c, err)
			return
		}
		c.Header("Content-Disposition", `attachment; filename="`+name+`.csv"`)
		c.Data(http.StatusOK, "text/csv; charset=utf-8", buf.Bytes())
	case "xlsx":
		if err := cases.WriteXLSX(&buf, st); err != nil {
			s.fail(c, err)
			return
		}
		c.Header("Content-Disposition", `attachment; filename="`+name+`.xlsx"`)
		c.Data(http.StatusOK, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", buf.Bytes())
	default:
		c.JSON(http.StatusOK, st)
	}
}

func parseDate(c *gin.Context, name string, def time.Time) (time.Time, error) {
	v, ok := c.GetQuery(name)
	if !ok || v == "" {
		return def, nil
	}
	t, err := time.ParseInLocation("2006-01-02", v, cases.Shanghai())
	if err != nil {
		return time.Time{}, badParam(name, "want a date YYYY-MM-DD, got %q", v)
	}
	return t, nil
}
