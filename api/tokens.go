package api

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strconv"

	"github.com/gin-gonic/gin"

	"riskmap"
	"riskmap/auth"
)

// Personal access tokens of the user (package auth):
//
//	POST   /api/v1/tokens        {"name","expires_at","read_only"} → 201 {"id","token",…}: the secret, shown once
//	GET    /api/v1/tokens        the user's tokens (never their secrets)
//	DELETE /api/v1/tokens/{id}   revoke one, at once on every replica
func (s *Server) tokenRoutes(authed *gin.RouterGroup) {
	authed.POST("/tokens", s.createToken)
	authed.GET("/tokens", s.listTokens)
	authed.DELETE("/tokens/:id", s.revokeToken)
}

func (s *Server) createToken(c *gin.Context) {
	body, err := io.ReadAll(c.Request.Body)
	if err != nil {
		s.fail(c, err)
		return
	}
	var in auth.NewAccessToken
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&in); err != nil {
		s.fail(c, riskmap.Errorf(riskmap.EINVALID, "body: want {\"name\", \"expires_at\" (RFC 3339, optional), \"read_only\"}: %v", err))
		return
	}
	t, secret, err := s.Auth.CreateAccessToken(c.Request.Context(), currentUser(c), in)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.Header("Location", "/api/v1/tokens/"+strconv.FormatInt(t.ID, 10))
	c.JSON(http.StatusCreated, gin.H{"id": t.ID, "token": secret, "name": t.Name, "read_only": t.ReadOnly,
		"created_at": t.CreatedAt, "expires_at": t.ExpiresAt})
}

func (s *Server) listTokens(c *gin.Context) {
	ts, err := s.Auth.AccessTokens(c.Request.Context(), currentUser(c))
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"tokens": ts})
}

func (s *Server) revokeToken(c *gin.Context) {
	id, err := parseID(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	if err := s.Auth.RevokeAccessToken(c.Request.Context(), currentUser(c), id); err != nil {
		s.fail(c, err)
		return
	}
	c.Status(http.StatusNoContent)
}
