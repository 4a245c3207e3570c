package api

import (
	"net/http"

	"github.com/gin-gonic/gin"
)

// caseAssignees: GET /api/v1/cases/{id}/assignees, who the office may
// assign the case to (the assign form's choices; the action checks again).
func (s *Server) caseAssignees(c *gin.Context) {
	list, err := s.Cases.Assignees(c.Request.Context(), currentUser(c), c.Param("id"))
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"assignees": list})
}
