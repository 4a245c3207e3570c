package api

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"time"

	"github.com/gin-gonic/gin"

	"riskmap"
)

var code12 = regexp.MustCompile(`^[0-9]{12}$`)

func (s *Server) login(c *gin.Context) {
	var req struct {
		Username string `json:"username"`
		Password string `json:"password"`
	}
	body, err := io.ReadAll(c.Request.Body)
	if err != nil {
		s.fail(c, err)
		return
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		s.fail(c, riskmap.Errorf(riskmap.EINVALID, "body: want {\"username\", \"password\"}: %v", err))
		return
	}
	if req.Username == "" || req.Password == "" {
		s.fail(c, riskmap.Errorf(riskmap.EINVALID, "username and password are required"))
		return
	}
	if err := credentialLengths("username", req.Username, "password", req.Password); err != nil {
		s.fail(c, err)
		return
	}
	tok, exp, u, err := s.Auth.Login(c.Request.Context(), req.Username, req.Password, c.ClientIP())
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"token": tok, "expires_at": exp, "user": userJSON(u)})
}

func userJSON(u *riskmap.User) gin.H {
	scopes := u.Areas
	if u.Role == riskmap.RoleWorker {
		scopes = u.Grids
	}
	if scopes == nil {
		scopes = []string{}
	}
	return gin.H{"id": u.ID, "username": u.Username, "display_name": u.DisplayName, "role": u.Role, "scopes": scopes}
}

func (s *Server) logout(c *gin.Context) {
	if err := s.Auth.Logout(c.Request.Context(), bearer(c)); err != nil {
		s.fail(c, err)
		return
	}
	c.Status(http.StatusNoContent)
}

func (s *Server) me(c *gin.Context) {
	c.JSON(http.StatusOK, userJSON(currentUser(c)))
}

func (s *Server) healthz(c *gin.Context) {
	ctx, cancel := context.WithTimeout(c.Request.Context(), 2*time.Second)
	defer cancel()
	if err := s.DB.Ping(ctx); err != nil {
		s.Logger.Warn("health check: database unreachable", "err", err)
		c.JSON(http.StatusServiceUnavailable, gin.H{"status": "unavailable", "database": "unreachable"})
		return
	}
	c.JSON(http.StatusOK, gin.H{"status": "ok"})
}

// credentialLengths refuses a username or password longer than any
// account can have, before a password hash is spent on it.
func credentialLengths(userField, username, pwField, password string) error {
	if d := riskmap.CheckLength(userField, username, riskmap.MaxNameText); d != nil {
		return riskmap.Errorf(riskmap.EINVALID, "%s: %s", d.Field, d.Message).WithDetails(*d)
	}
	if len(password) > riskmap.MaxPassword {
		return riskmap.Errorf(riskmap.EINVALID, "%s: longer than %d bytes", pwField, riskmap.MaxPassword).
			WithDetails(riskmap.Detail{Field: pwField, Message: fmt.Sprintf("longer than %d bytes", riskmap.MaxPassword)})
	}
	return nil
}
