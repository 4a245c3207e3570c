package api

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"regexp"
	"strconv"

	"github.com/gin-gonic/gin"

	"riskmap"
	"riskmap/audit"
	"riskmap/auth"
)

// requireRole lets only the named roles through.
func (s *Server) requireRole(roles ...string) gin.HandlerFunc {
	return func(c *gin.Context) {
		u := currentUser(c)
		for _, r := range roles {
			if u.Role == r {
				c.Next()
				return
			}
		}
		s.fail(c, riskmap.Errorf(riskmap.EFORBIDDEN, "role %s may not use %s", u.Role, c.FullPath()))
	}
}

// decodeStrict reads a JSON body into v, refusing unknown fields.
func decodeStrict(c *gin.Context, v any) error {
	body, err := io.ReadAll(c.Request.Body)
	if err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return riskmap.Errorf(riskmap.EINVALID, "body: %s", err.Error())
	}
	return nil
}

type userBody struct {
	Username    *string   `json:"username"`
	DisplayName *string   `json:"display_name"`
	Role        *string   `json:"role"`
	Areas       *[]string `json:"areas"`
	Grids       *[]string `json:"grids"`
	Password    *string   `json:"password"`
	Disabled    *bool     `json:"disabled"`
}

var rowID = regexp.MustCompile(`^[0-9A-Za-z-]{1,64}$`)

func (s *Server) listUsers(c *gin.Context) {
	us, err := s.Auth.Users(c.Request.Context())
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"users": us})
}

func (s *Server) getUser(c *gin.Context) {
	id, err := parseID(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	a, err := s.Auth.Account(c.Request.Context(), id)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, a)
}

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}

func (s *Server) createUser(c *gin.Context) {
	var b userBody
	if err := decodeStrict(c, &b); err != nil {
		s.fail(c, err)
		return
	}
	if b.Username == nil || b.Role == nil {
		s.fail(c, riskmap.Errorf(riskmap.EUNPROCESSABLE, "username and role are required"))
		return
	}
	spec := auth.UserSpec{Username: *b.Username, DisplayName: deref(b.DisplayName), Role: *b.Role,
		Areas: deref(b.Areas), Grids: deref(b.Grids), Password: deref(b.Password)}
	a, err := s.Auth.CreateUser(c.Request.Context(), spec)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.Header("Location", "/api/v1/users/"+strconv.FormatInt(a.ID, 10))
	c.JSON(http.StatusCreated, a)
}

func (s *Server) patchUser(c *gin.Context) {
	id, err := parseID(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	var b userBody
	if err := decodeStrict(c, &b); err != nil {
		s.fail(c, err)
		return
	}
	if b.Username != nil {
		s.fail(c, riskmap.Errorf(riskmap.EUNPROCESSABLE, "username cannot be changed"))
		return
	}
	a, err := s.Auth.UpdateUser(c.Request.Context(), id, auth.AccountChange{DisplayName: b.DisplayName, Role: b.Role,
		Areas: b.Areas, Grids: b.Grids, Password: b.Password, Disabled: b.Disabled})
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, a)
}

func (s *Server) changePassword(c *gin.Context) {
	var b struct {
		Old string `json:"old_password"`
		New string `json:"new_password"`
	}
	if err := decodeStrict(c, &b); err != nil {
		s.fail(c, err)
		return
	}
	if len(b.Old) > riskmap.MaxPassword {
		s.fail(c, credentialLengths("", "", "old_password", b.Old))
		return
	}
	if err := s.Auth.ChangePassword(c.Request.Context(), currentUser(c).ID, b.Old, b.New, c.ClientIP()); err != nil {
		s.fail(c, err)
		return
	}
	c.Status(http.StatusNoContent)
}

func (s *Server) listAudit(c *gin.Context) {
	f := audit.Filter{Table: c.Query("table"), RowID: c.Query("row_id"), Limit: 100}
	if f.Table != "" && !audit.KnownTable(f.Table) {
		s.fail(c, badParam("table", "unknown table %q", f.Table))
		return
	}
	if f.RowID != "" && !rowID.MatchString(f.RowID) {
		s.fail(c, badParam("row_id", "want a feature id or UUID, got %q", f.RowID))
		return
	}
	for name, dst := range map[string]*int64{"actor_id": &f.ActorID, "before": &f.Before} {
		if v, ok := c.GetQuery(name); ok {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil || n < 0 {
				s.fail(c, badParam(name, "want a whole number, got %q", v))
				return
			}
			*dst = n
		}
	}
	if v, ok := c.GetQuery("limit"); ok {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 1000 {
			s.fail(c, badParam("limit", "want 1 to 1000, got %q", v))
			return
		}
		f.Limit = n
	}
	es, err := s.Audit.List(c.Request.Context(), f)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"entries": es})
}
