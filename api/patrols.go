package api

import (
	"bytes"
	"errors"
	"io"
	"math"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/paulmach/orb"

	"riskmap"
	"riskmap/features"
	"riskmap/internal/collection"
	"riskmap/patrols"
)

// patrolsRoute takes bodies larger than the usual limit: the photos.
const patrolsRoute = "/api/v1/patrols"

// dueRoute is the due list's path (its lists live on the primary).
const dueRoute = "/api/v1/patrols/due"

// maxPatrolField caps the patrol part of the multipart body.
const maxPatrolField = 1 << 20

// recordPatrol: POST /api/v1/patrols, multipart with the field "patrol" (a
// GeoJSON Feature) and one or more "file" fields (photos). Photos are
// spooled to disk while the body is read; nothing is stored until every
// check has passed.
func (s *Server) recordPatrol(c *gin.Context) {
	ctx := c.Request.Context()
	crs, err := parseCRS(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	mt, _, _ := mime.ParseMediaType(c.GetHeader("Content-Type"))
	if mt != "multipart/form-data" {
		s.fail(c, riskmap.Errorf(riskmap.EINVALID, "want a multipart/form-data body with the field \"patrol\" and the photos in fields \"file\", got Content-Type %q", c.GetHeader("Content-Type")))
		return
	}
	mr, err := c.Request.MultipartReader()
	if err != nil {
		s.fail(c, riskmap.Errorf(riskmap.EINVALID, "multipart body: %v", err))
		return
	}
	photos := s.Patrols.NewPhotos()
	defer photos.Close()
	var body []byte
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			s.fail(c, riskmap.Errorf(riskmap.EINVALID, "multipart body: %v", err))
			return
		}
		switch part.FormName() {
		case "patrol":
			if body != nil {
				s.fail(c, riskmap.Errorf(riskmap.EUNPROCESSABLE, "patrol: sent twice").WithDetails(riskmap.Detail{Field: "patrol", Message: "sent twice"}))
				return
			}
			if body, err = formField(part, maxPatrolField); err != nil {
				s.fail(c, err)
				return
			}
		case "file":
			if err := photos.Add(part.FileName(), part); err != nil {
				s.fail(c, err)
				return
			}
		default:
			s.fail(c, riskmap.Errorf(riskmap.EUNPROCESSABLE, "unknown multipart field %q: send the patrol in field \"patrol\" and photos in fields \"file\"", part.FormName()).
				WithDetails(riskmap.Detail{Field: part.FormName(), Message: "unknown field"}))
			return
		}
	}
	if body == nil {
		s.fail(c, riskmap.Errorf(riskmap.EUNPROCESSABLE, "patrol: required (multipart field \"patrol\", a GeoJSON Feature)").
			WithDetails(riskmap.Detail{Field: "patrol", Message: "required"}))
		return
	}
	bounds, err := s.Features.CityBounds(ctx)
	if err != nil {
		s.fail(c, err)
		return
	}
	in, err := patrols.Parse(body, crs, bounds)
	if err != nil {
		s.fail(c, err)
		return
	}
	reply, err := s.Patrols.Record(ctx, currentUser(c), in, photos)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.Header("Location", "/api/v1/patrols/"+reply.ID)
	c.Data(reply.Status, "application/geo+json", reply.Body)
}

// listPatrols: GET /api/v1/patrols?risk_point_id=&area=&worker=&from=&to=&off_site=&result=&limit=&cursor=
func (s *Server) listPatrols(c *gin.Context) {
	rq, err := routineList(c, "patrols", "area or risk_point_id")
	if err != nil {
		s.fail(c, err)
		return
	}
	u := currentUser(c)
	q := patrols.ListQuery{Limit: rq.Limit, After: rq.After, Area: rq.area, From: rq.from, To: rq.to}
	if v := c.Query("risk_point_id"); v != "" {
		if q.RiskPointID, err = strconv.ParseInt(v, 10, 64); err != nil || q.RiskPointID < 1 {
			s.fail(c, badParam("risk_point_id", "want a risk point id, got %q", v))
			return
		}
	}
	if v := c.Query("worker"); v != "" {
		if v == "me" {
			q.Worker = u.ID
		} else if q.Worker, err = strconv.ParseInt(v, 10, 64); err != nil || q.Worker < 1 {
			s.fail(c, badParam("worker", "want a user id or \"me\", got %q", v))
			return
		}
	}
	if v, ok := c.GetQuery("off_site"); ok {
		b, err := strconv.ParseBool(v)
		if err != nil {
			s.fail(c, badParam("off_site", "want true or false, got %q", v))
			return
		}
		q.OffSite = &b
	}
	if v := c.Query("result"); v != "" {
		if v != patrols.Normal && v != patrols.Problem {
			s.fail(c, badParam("result", "want normal or problem, got %q", v))
			return
		}
		q.Result = v
	}
	page, err := s.Patrols.List(c.Request.Context(), u, q)
	if err != nil {
		s.fail(c, err)
		return
	}
	writeFeaturePage(c, page.Features, page.Next)
}

// getPatrol: GET /api/v1/patrols/{id}, with its photos and cases.
func (s *Server) getPatrol(c *gin.Context) {
	doc, err := s.Patrols.Get(c.Request.Context(), currentUser(c), c.Param("id"))
	if err != nil {
		s.fail(c, err)
		return
	}
	c.Data(http.StatusOK, "application/geo+json", doc)
}

// getPatrolPhoto: GET /api/v1/patrols/{id}/photos/{photo}.
func (s *Server) getPatrolPhoto(c *gin.Context) {
	ph, err := s.Patrols.OpenPhoto(c.Request.Context(), currentUser(c), c.Param("id"), c.Param("photo"))
	if err != nil {
		s.fail(c, err)
		return
	}
	defer ph.File.Close()
	serveBlob(c, ph.ContentType, ph.SHA256, ph.Filename, ph.File)
}

// duePatrols: GET /api/v1/patrols/due?area=&overdue=&days=&near=lon,lat&limit=&cursor=
// An answer is kept encoded while it holds (duelists.go).
func (s *Server) duePatrols(answers *dueAnswers) gin.HandlerFunc {
	return func(c *gin.Context) {
		version, live := s.Patrols.DueVersion()
		today := s.Patrols.DueToday()
		key := dueAnswerKey(version, currentUser(c).Scope().Fingerprint(), today, c.Request.URL.RawQuery)
		if live {
			if a := answers.get(key); a != nil {
				a.serve(c)
				return
			}
		}
		a, ok := s.dueAnswer(c, answers)
		if !ok {
			return
		}
		if v, still := s.Patrols.DueVersion(); live && still && v == version && a.today == today {
			answers.put(key, a)
		}
		a.serve(c)
	}
}

// dueAnswer makes the answer of a due list; false when it failed (and the
// failure is answered).
func (s *Server) dueAnswer(c *gin.Context, answers *dueAnswers) (*dueAnswer, bool) {
	lq, err := parseListQuery(c)
	if err != nil {
		s.fail(c, err)
		return nil, false
	}
	if lq.BBox != nil {
		s.fail(c, badParam("bbox", "not a filter of the due list: use area or near"))
		return nil, false
	}
	if lq.After > math.MaxInt32 {
		s.fail(c, badParam("cursor", "not a cursor this server issued"))
		return nil, false
	}
	// the list is sorted by due date or distance: its cursor is an offset
	q := patrols.DueQuery{Limit: lq.Limit, Offset: int(lq.After)}
	if q.Area, err = areaParam(c); err != nil {
		s.fail(c, err)
		return nil, false
	}
	if v, ok := c.GetQuery("overdue"); ok {
		if q.OverdueOnly, err = strconv.ParseBool(v); err != nil {
			s.fail(c, badParam("overdue", "want true or false, got %q", v))
			return nil, false
		}
	}
	if v, ok := c.GetQuery("days"); ok {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 || n > 3650 {
			s.fail(c, badParam("days", "want a number of days from 0 to 3650, got %q", v))
			return nil, false
		}
		q.Within = &n
	}
	if v, ok := c.GetQuery("near"); ok {
		p, err := parseLonLat("near", v)
		if err != nil {
			s.fail(c, err)
			return nil, false
		}
		q.Near = &p
	}
	page, err := s.Patrols.Due(c.Request.Context(), currentUser(c), q)
	if err != nil {
		s.fail(c, err)
		return nil, false
	}
	// the features are written from the page's one buffer
	body := bytes.NewBuffer(make([]byte, 0, len(page.Joined)+512))
	fc := collection.New(body, collection.Options{})
	_ = fc.AddJoined(len(page.Features), page.Joined)
	_ = fc.Close(&collection.Page{Links: pageLinks("", c.Request.URL, int64(page.Next), 0)}) // to memory: no error
	return answers.encode(page.Today, body.Bytes()), true
}

// patrolChecklists: GET /api/v1/patrols/checklists — every version of
// every category's list, for the phone to keep offline.
func (s *Server) patrolChecklists(c *gin.Context) {
	c.JSON(http.StatusOK, gin.H{"checklists": patrols.Checklists(), "answers": patrols.AnswerValues()})
}

// routineQuery is what the patrol and inspection lists share.
type routineQuery struct {
	features.ListQuery
	area     string
	from, to time.Time
}

// routineList reads what the patrol and inspection lists share: limit and
// cursor, area, from and to (whole days); a bbox is refused, naming the
// filters to use instead.
func routineList(c *gin.Context, what, instead string) (routineQuery, error) {
	var q routineQuery
	var err error
	if q.ListQuery, err = parseListQuery(c); err != nil {
		return q, err
	}
	if q.BBox != nil {
		return q, badParam("bbox", "not a filter of %s: use %s", what, instead)
	}
	if q.area, err = areaParam(c); err != nil {
		return q, err
	}
	if q.from, err = parseDate(c, "from", time.Time{}); err != nil {
		return q, err
	}
	q.to, err = parseDate(c, "to", time.Time{})
	return q, err
}

// areaParam reads area: a 12-digit area or a 15-digit grid code.
func areaParam(c *gin.Context) (string, error) {
	v := c.Query("area")
	if v != "" && !code12or15.MatchString(v) {
		return "", badParam("area", "want a 12-digit area code or a 15-digit grid code, got %q", v)
	}
	return v, nil
}

// parseLonLat reads "lon,lat" in WGS84.
func parseLonLat(name, v string) (orb.Point, error) {
	parts := strings.Split(v, ",")
	if len(parts) != 2 {
		return orb.Point{}, badParam(name, "want lon,lat, got %q", v)
	}
	var p orb.Point
	for i, s := range parts {
		x, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
		if err != nil || math.IsNaN(x) || math.IsInf(x, 0) {
			return p, badParam(name, "want lon,lat as numbers, got %q", v)
		}
		p[i] = x
	}
	if p[0] < -180 || p[0] > 180 || p[1] < -90 || p[1] > 90 {
		return p, badParam(name, "outside lon [-180, 180] / lat [-90, 90]: %q", v)
	}
	return p, nil
}

// patrolRoutes registers the patrol routes on the authenticated group.
func (s *Server) patrolRoutes(authed *gin.RouterGroup) {
	authed.POST("/patrols", s.recordPatrol)
	authed.GET("/patrols", s.strictQuery("risk_point_id", "area", "worker", "from", "to", "off_site", "result", "limit", "cursor"), s.listPatrols)
	authed.GET(strings.TrimPrefix(dueRoute, "/api/v1"), s.strictQuery("area", "overdue", "days", "near", "limit", "cursor"), s.duePatrols(newDueAnswers(maxDueAnswers)))
	authed.GET("/patrols/checklists", s.strictQuery(), s.patrolChecklists)
	authed.GET("/patrols/:id", s.strictQuery(), s.getPatrol)
	authed.GET("/patrols/:id/photos/:photo", s.strictQuery(), s.getPatrolPhoto)
}
