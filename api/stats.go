package api

import (
	"bytes"
	"io"
	"mime"
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
	q, format, err := parseStatsQuery(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	st, err := s.Cases.Rectification(c.Request.Context(), currentUser(c), q)
	if err != nil {
		s.fail(c, err)
		return
	}
	// the file is named as its title reads: 隐患排查整改统计_新港街道_2026-01-01至2026-06-30
	name := cases.ExportName(st)
	s.writeStats(c, format, name, st, func(w io.Writer) error { return cases.WriteCSV(w, st) }, func(w io.Writer) error { return cases.WriteXLSX(w, st) })
}

// parseStatsQuery reads the parameters every statistics route takes:
// area (12 digits), from and to (dates in Asia/Shanghai; the current year
// up to today by default), group_by (county, township or grid; township by
// default) and format (json, csv or xlsx).
func parseStatsQuery(c *gin.Context) (cases.StatsQuery, string, error) {
	now := time.Now().In(cases.Shanghai())
	q := cases.StatsQuery{Area: c.Query("area"), GroupBy: c.DefaultQuery("group_by", "township")}
	if q.Area != "" && !code12.MatchString(q.Area) {
		return q, "", badParam("area", "want a 12-digit administrative code, got %q", q.Area)
	}
	if !slices.Contains(cases.GroupLevels(), q.GroupBy) {
		return q, "", badParam("group_by", "want county, township or grid, got %q", q.GroupBy)
	}
	var err error
	if q.To, err = parseDate(c, "to", now); err != nil {
		return q, "", err
	}
	if q.From, err = parseDate(c, "from", time.Date(q.To.Year(), 1, 1, 0, 0, 0, 0, cases.Shanghai())); err != nil {
		return q, "", err
	}
	if q.To.Before(q.From) {
		return q, "", badParam("from", "%s is after to %s", q.From.Format("2006-01-02"), q.To.Format("2006-01-02"))
	}
	format := c.DefaultQuery("format", "json")
	if !slices.Contains([]string{"json", "csv", "xlsx"}, format) {
		return q, "", badParam("format", "want json, csv or xlsx, got %q", format)
	}
	return q, format, nil
}

// writeStats answers statistics as JSON, or as a CSV or XLSX download
// named name.
func (s *Server) writeStats(c *gin.Context, format, name string, v any, csv, xlsx func(io.Writer) error) {
	var buf bytes.Buffer
	switch format {
	case "csv":
		if err := csv(&buf); err != nil {
			s.fail(c, err)
			return
		}
		c.Header("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": name + ".csv"}))
		c.Data(http.StatusOK, "text/csv; charset=utf-8", buf.Bytes())
	case "xlsx":
		if err := xlsx(&buf); err != nil {
			s.fail(c, err)
			return
		}
		c.Header("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": name + ".xlsx"}))
		c.Data(http.StatusOK, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", buf.Bytes())
	default:
		c.JSON(http.StatusOK, v)
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
