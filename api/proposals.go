package api

import (
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"strconv"

	"github.com/gin-gonic/gin"

	"riskmap"
	"riskmap/proposals"
)

// Proposals from grid workers, reviewed by the offices (package proposals):
//
//	POST /api/v1/proposals                      a JSON proposal, or multipart: field proposal (the JSON) then files in field file
//	GET  /api/v1/proposals?state=&area=          the proposals the user may see, newest first
//	GET  /api/v1/proposals/{id}                  one, with the feature as it stands and whether it changed since
//	POST /api/v1/proposals/{id}/actions          {"action":"approve"|"reject"|"withdraw","version",...}
//	GET  /api/v1/proposals/{id}/photos/{photo}   a photo
func (s *Server) proposalRoutes(g *gin.RouterGroup) {
	g.POST("/proposals", s.createProposal)
	g.GET("/proposals", s.strictQuery("state", "area"), s.listProposals)
	g.GET("/proposals/:id", s.getProposal)
	g.POST("/proposals/:id/actions", s.actOnProposal)
	g.GET("/proposals/:id/photos/:photo", s.getProposalPhoto)
}

const proposalsRoute = "/api/v1/proposals"

// proposalBodyLimit lets a proposal carry its photos.
func (s *Server) proposalBodyLimit(c *gin.Context) int64 {
	if s.Proposals != nil && c.FullPath() == proposalsRoute && c.Request.Method == http.MethodPost {
		return s.Proposals.MaxBody()
	}
	return 0
}

func (s *Server) createProposal(c *gin.Context) {
	ctx := c.Request.Context()
	crs, err := parseCRS(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	bounds, err := s.Features.CityBounds(ctx)
	if err != nil {
		s.fail(c, err)
		return
	}
	var body []byte
	var photos proposals.Photos
	mt, _, _ := mime.ParseMediaType(c.GetHeader("Content-Type"))
	if mt == "multipart/form-data" {
		mr, err := c.Request.MultipartReader()
		if err != nil {
			s.fail(c, riskmap.Errorf(riskmap.EINVALID, "multipart body: %v", err))
			return
		}
		part, err := mr.NextPart()
		if err != nil || part.FormName() != "proposal" {
			s.fail(c, riskmap.Errorf(riskmap.EINVALID, "multipart body: the first field must be \"proposal\" (the JSON), then the photos in fields \"file\"").
				WithDetails(riskmap.Detail{Field: "proposal", Message: "required first"}))
			return
		}
		if body, err = formField(part, s.MaxBody); err != nil {
			s.fail(c, err)
			return
		}
		photos = func(put func(string, io.Reader) error) error {
			for {
				part, err := mr.NextPart()
				if errors.Is(err, io.EOF) {
					return nil
				}
				if err != nil {
					return riskmap.Errorf(riskmap.EINVALID, "multipart body: %v", err)
				}
				if part.FormName() != "file" {
					return riskmap.Errorf(riskmap.EUNPROCESSABLE, "unknown multipart field %q: photos go in field \"file\"", part.FormName()).
						WithDetails(riskmap.Detail{Field: part.FormName(), Message: "unknown field"})
				}
				if err := put(part.FileName(), part); err != nil {
					return err
				}
			}
		}
	} else if body, err = io.ReadAll(c.Request.Body); err != nil {
		s.fail(c, err)
		return
	}
	p, created, err := s.Proposals.Create(ctx, currentUser(c), body, crs, bounds, photos)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.Header("Location", proposalsRoute+"/"+strconv.FormatInt(p.ID, 10))
	status := http.StatusCreated
	if !created {
		status = http.StatusOK
	}
	c.JSON(status, p)
}

func (s *Server) listProposals(c *gin.Context) {
	q := proposals.Query{State: c.Query("state"), Area: c.Query("area")}
	switch q.State {
	case "", proposals.Pending, proposals.Approved, proposals.Rejected, proposals.Withdrawn:
	default:
		s.fail(c, badParam("state", "want pending, approved, rejected or withdrawn, got %q", q.State))
		return
	}
	if q.Area != "" && !code12or15.MatchString(q.Area) {
		s.fail(c, badParam("area", "want a 12-digit area or 15-digit grid code, got %q", q.Area))
		return
	}
	ps, err := s.Proposals.List(c.Request.Context(), currentUser(c), q)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"proposals": ps})
}

func (s *Server) getProposal(c *gin.Context) {
	id, err := parseID(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	p, err := s.Proposals.Get(c.Request.Context(), currentUser(c), id)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.Header("ETag", etag(p.Version))
	c.JSON(http.StatusOK, p)
}

func (s *Server) actOnProposal(c *gin.Context) {
	id, err := parseID(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	var a proposals.Action
	dec := json.NewDecoder(c.Request.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&a); err != nil {
		s.fail(c, riskmap.Errorf(riskmap.EINVALID, "body: want {action, version, note, reason, target_version}: %v", err))
		return
	}
	p, err := s.Proposals.Act(c.Request.Context(), currentUser(c), id, a)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, p)
}

func (s *Server) getProposalPhoto(c *gin.Context) {
	id, err := parseID(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	ph, f, err := s.Proposals.OpenPhoto(c.Request.Context(), currentUser(c), id, c.Param("photo"))
	if err != nil {
		s.fail(c, err)
		return
	}
	defer f.Close()
	serveBlob(c, ph.ContentType, ph.SHA256, "", f)
}
