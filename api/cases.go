package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"riskmap"
	"riskmap/blobs"
	"riskmap/cases"
	"riskmap/geo"
	"riskmap/internal/collection"
)

// attachmentsRoute takes uploads larger than the usual body limit.
const attachmentsRoute = "/api/v1/cases/:id/attachments"

// routeBodyLimit is the body limit of routes that need more than MaxBody
// (0: none): an attachment plus the multipart envelope.
func (s *Server) routeBodyLimit(c *gin.Context) int64 {
	if s.Cases != nil && c.FullPath() == attachmentsRoute {
		return s.Cases.Config().MaxUpload + 64<<10
	}
	if s.Patrols != nil && c.FullPath() == patrolsRoute && c.Request.Method == http.MethodPost {
		cfg := s.Patrols.Config()
		return int64(cfg.MaxPhotos)*(cfg.MaxPhoto+4<<10) + maxPatrolField + 64<<10
	}
	return 0
}

var code12or15 = regexp.MustCompile(`^([0-9]{12}|[0-9]{15})$`)

// reportCase: POST /api/v1/cases with a GeoJSON Feature.
func (s *Server) reportCase(c *gin.Context) {
	g, err := s.readGeoBody(c, true)
	if err != nil {
		s.fail(c, err)
		return
	}
	in, err := cases.ParseReport(g.body, g.crs, g.bounds)
	if err != nil {
		s.fail(c, err)
		return
	}
	reply, err := s.Cases.Report(c.Request.Context(), currentUser(c), in)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.Header("Location", (&url.URL{Path: "/api/v1/cases/" + reply.ID}).String())
	c.Data(reply.Status, "application/geo+json", reply.Body)
}

// parseCaseQuery reads the case list's filters (the list and the ledger
// export share them).
func parseCaseQuery(c *gin.Context) (cases.ListQuery, error) {
	lq, err := parseListQuery(c)
	if err != nil {
		return cases.ListQuery{}, err
	}
	u := currentUser(c)
	q := cases.ListQuery{Limit: lq.Limit, After: lq.After, BBox: lq.BBox}
	if v := c.Query("state"); v != "" {
		all := append(cases.OpenStates(), cases.Closed, cases.Void, cases.Duplicate)
		for _, st := range strings.Split(v, ",") {
			st = strings.TrimSpace(st)
			if !slices.Contains(all, st) {
				return q, badParam("state", "unknown state %q; allowed: %s", st, strings.Join(all, ", "))
			}
			q.States = append(q.States, st)
		}
	}
	for _, b := range []struct {
		name string
		dst  *bool
	}{{"overdue", &q.Overdue}, {"escalated", &q.Escalated}} {
		if v, ok := c.GetQuery(b.name); ok {
			x, err := strconv.ParseBool(v)
			if err != nil {
				return q, badParam(b.name, "want true or false, got %q", v)
			}
			*b.dst = x
		}
	}
	if v := c.Query("area"); v != "" {
		if !code12or15.MatchString(v) {
			return q, badParam("area", "want a 12-digit area code or a 15-digit grid code, got %q", v)
		}
		q.Area = v
	}
	if v := c.Query("grade"); v != "" {
		if !slices.Contains(cases.Grades, v) {
			return q, badParam("grade", "want general or major, got %q", v)
		}
		q.Grade = v
	}
	if v := c.Query("category"); v != "" {
		if !slices.Contains(cases.Categories, v) {
			return q, badParam("category", "unknown category %q", v)
		}
		q.Category = v
	}
	if v := c.Query("assignee"); v != "" {
		if v == "me" {
			q.Assignee = u.ID
		} else if n, err := strconv.ParseInt(v, 10, 64); err == nil && n > 0 {
			q.Assignee = n
		} else {
			return q, badParam("assignee", "want a user id or \"me\", got %q", v)
		}
	}
	return q, nil
}

// listCases: GET /api/v1/cases?state=&overdue=&escalated=&area=&grade=&category=&assignee=&bbox=&limit=&cursor=
func (s *Server) listCases(c *gin.Context) {
	q, err := parseCaseQuery(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	u := currentUser(c)
	crs, err := parseCRS(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	page, err := s.Cases.List(c.Request.Context(), u, q)
	if err != nil {
		s.fail(c, err)
		return
	}
	if err := writeFeaturePageIn(c, page.Features, page.Next, crs); err != nil {
		s.fail(c, err)
	}
}

// writeFeaturePage answers a page of GeoJSON Features (as the database
// built them) as a FeatureCollection with its self link and, when next is
// a cursor's value, its next link.
func writeFeaturePage(c *gin.Context, feats []json.RawMessage, next int64) {
	_ = writeFeaturePageIn(c, feats, next, "") // nothing to convert: no error
}

// writeFeaturePageIn is writeFeaturePage with positions in crs (crs=).
func writeFeaturePageIn(c *gin.Context, feats []json.RawMessage, next int64, crs geo.CRS) error {
	size := 512 // the collection's head, counts and links
	for _, f := range feats {
		size += len(f) + 1
	}
	buf := bytes.NewBuffer(make([]byte, 0, size))
	fc := collection.New(buf, collection.Options{Members: crsMembers(crs)})
	for _, f := range feats {
		b, err := featureIn(f, crs)
		if err != nil {
			return err
		}
		fc.Add(b)
	}
	fc.Close(&collection.Page{Links: pageLinks("", c.Request.URL, next, 0)})
	setCoordinateSystem(c, crs)
	c.Data(http.StatusOK, collection.MediaType, buf.Bytes())
	return nil
}

// getCase: GET /api/v1/cases/{id}, with its events and attachments.
func (s *Server) getCase(c *gin.Context) {
	crs, err := parseCRS(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	doc, err := s.Cases.Get(c.Request.Context(), currentUser(c), c.Param("id"))
	if err != nil {
		s.fail(c, err)
		return
	}
	tag := etag(cases.Version(doc))
	c.Header("ETag", tag)
	if etagMatches(c.GetHeader("If-None-Match"), tag) {
		c.Status(http.StatusNotModified)
		return
	}
	b, err := featureIn(doc, crs)
	if err != nil {
		s.fail(c, err)
		return
	}
	setCoordinateSystem(c, crs)
	c.Data(http.StatusOK, "application/geo+json", b)
}

// actOnCase: POST /api/v1/cases/{id}/actions {"action","version",...}.
func (s *Server) actOnCase(c *gin.Context) {
	g, err := s.readGeoBody(c, true)
	if err != nil {
		s.fail(c, err)
		return
	}
	a, err := cases.ParseAction(g.body, g.crs, g.bounds)
	if err != nil {
		s.fail(c, err)
		return
	}
	doc, err := s.Cases.Act(c.Request.Context(), currentUser(c), c.Param("id"), a)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.Header("ETag", etag(cases.Version(doc)))
	c.Data(http.StatusOK, "application/geo+json", doc)
}

// uploadAttachment: POST /api/v1/cases/{id}/attachments, multipart with
// one field "file", optionally after a field "client_id" (a UUID making the
// upload idempotent). The file is streamed to the blob store, never held
// whole in memory.
func (s *Server) uploadAttachment(c *gin.Context) {
	ctx := c.Request.Context()
	u := currentUser(c)
	id := c.Param("id")
	// refuse before reading a byte of a possibly large body
	if err := s.Cases.CheckAttach(ctx, u, id); err != nil {
		s.fail(c, err)
		return
	}
	mt, _, _ := mime.ParseMediaType(c.GetHeader("Content-Type"))
	if mt != "multipart/form-data" {
		s.fail(c, riskmap.Errorf(riskmap.EINVALID, "want a multipart/form-data body with the file in field \"file\", got Content-Type %q", c.GetHeader("Content-Type")))
		return
	}
	mr, err := c.Request.MultipartReader()
	if err != nil {
		s.fail(c, riskmap.Errorf(riskmap.EINVALID, "multipart body: %v", err))
		return
	}
	clientID := ""
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			s.fail(c, riskmap.Errorf(riskmap.EUNPROCESSABLE, "file: required (multipart field \"file\")").
				WithDetails(riskmap.Detail{Field: "file", Message: "required"}))
			return
		}
		if err != nil {
			s.fail(c, riskmap.Errorf(riskmap.EINVALID, "multipart body: %v", err))
			return
		}
		if part.FormName() == "client_id" && part.FileName() == "" {
			// the upload's own id (a UUID), ahead of the file, makes a resend harmless
			b, err := formField(part, 100)
			if err != nil {
				s.fail(c, err)
				return
			}
			clientID = strings.TrimSpace(string(b))
			continue
		}
		if part.FormName() != "file" {
			s.fail(c, riskmap.Errorf(riskmap.EUNPROCESSABLE, "unknown multipart field %q: send the file in field \"file\" (and its client_id ahead of it)", part.FormName()).
				WithDetails(riskmap.Detail{Field: part.FormName(), Message: "unknown field"}))
			return
		}
		a, err := s.Cases.AttachOnce(ctx, u, id, clientID, part.FileName(), part)
		if err != nil {
			s.fail(c, err)
			return
		}
		c.Header("Location", a.URL)
		c.JSON(http.StatusCreated, gin.H{"id": a.ID, "url": a.URL, "sha256": a.SHA256, "content_type": a.ContentType, "size": a.Size})
		return
	}
}

// getAttachment: GET /api/v1/attachments/{id}, to users who may see the case.
func (s *Server) getAttachment(c *gin.Context) {
	a, f, err := s.Cases.OpenAttachment(c.Request.Context(), currentUser(c), c.Param("id"))
	if err != nil {
		s.fail(c, err)
		return
	}
	defer f.Close()
	serveBlob(c, a.ContentType, a.SHA256, a.Filename, f)
}

// serveBlob sends every stored upload (evidence, a proposal's or a
// patrol's photo): its sniffed type, its hash as ETag, range requests, and
// a sandbox so it is shown, never run — no scripts even in a PDF viewer.
func serveBlob(c *gin.Context, contentType, sha256, filename string, f blobs.File) {
	h := c.Writer.Header()
	h.Set("Content-Type", contentType)
	h.Set("ETag", `"`+sha256+`"`)
	// revalidated each time (a 304 costs little): after a logout, or once
	// the case (or proposal) leaves the user's scope, the browser shows it no more
	h.Set("Cache-Control", "private, no-cache")
	h.Set("Content-Security-Policy", "sandbox; default-src 'none'; img-src 'self'; style-src 'unsafe-inline'")
	disp := "inline"
	if filename != "" {
		disp = mime.FormatMediaType("inline", map[string]string{"filename": filename})
	}
	h.Set("Content-Disposition", disp)
	http.ServeContent(c.Writer, c.Request, "", f.ModTime(), f)
}

// caseListParams are the query parameters of the case list
// (GET /api/v1/cases) and, with format, of its export; any other is
// refused (strictQuery).
var caseListParams = []string{"state", "overdue", "escalated", "area", "grade", "category", "assignee", "bbox", "limit", "cursor", "crs"}

// caseRoutes registers the closed loop's routes on the authenticated group.
func (s *Server) caseRoutes(authed *gin.RouterGroup) {
	authed.POST("/cases", s.reportCase)
	authed.GET("/cases", s.strictQuery(caseListParams...), s.listCases)
	authed.GET("/cases/export", s.strictQuery(slices.Concat(caseListParams, []string{"format"})...), s.exportCases)
	authed.GET("/cases/:id", s.getCase)
	authed.POST("/cases/:id/actions", s.actOnCase)
	authed.GET("/cases/:id/assignees", s.caseAssignees)
	authed.POST("/cases/:id/attachments", s.uploadAttachment)
	authed.GET("/attachments/:id", s.getAttachment)
	authed.GET("/stats/rectification", s.strictQuery("area", "from", "to", "group_by", "format"), s.rectificationStats)
	authed.GET("/events", s.caseEvents)
}

// exportCases: GET /api/v1/cases/export?format=xlsx|csv with the list's
// filters: the case ledger (台账), every case the list would page through.
func (s *Server) exportCases(c *gin.Context) {
	q, err := parseCaseQuery(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	format := c.DefaultQuery("format", "xlsx")
	if format != "xlsx" && format != "csv" {
		s.fail(c, badParam("format", "want xlsx or csv, got %q", format))
		return
	}
	rows, err := s.Cases.Ledger(c.Request.Context(), currentUser(c), q)
	if err != nil {
		s.fail(c, err)
		return
	}
	var buf bytes.Buffer
	if format == "xlsx" {
		err = cases.WriteLedgerXLSX(&buf, rows)
	} else {
		err = cases.WriteLedgerCSV(&buf, rows)
	}
	if err != nil {
		s.fail(c, err)
		return
	}
	ctype := map[string]string{"xlsx": xlsxType, "csv": "text/csv; charset=utf-8"}[format]
	c.Header("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": "cases." + format}))
	c.Data(http.StatusOK, ctype, buf.Bytes())
}
