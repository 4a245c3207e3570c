package api

import (
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"riskmap/features"
)

// parseAsOf reads ?as_of=RFC3339: the layer as it stood then.
func parseAsOf(c *gin.Context) (time.Time, bool, error) {
	v, ok := c.GetQuery("as_of")
	if !ok {
		return time.Time{}, false, nil
	}
	t, err := time.Parse(time.RFC3339Nano, v)
	if err != nil {
		return time.Time{}, false, badParam("as_of", "want an RFC 3339 time such as 2026-11-01T08:00:00+08:00, got %q", v)
	}
	if t.After(time.Now().Add(time.Minute)) {
		return time.Time{}, false, badParam("as_of", "%s is in the future", v)
	}
	return t, true, nil
}

// featureHistory answers GET /api/v1/{layer}/{id}/history: every logged
// version of the feature with who, when, how, the fields changed and the
// geometry before and after, oldest first.
func (s *Server) featureHistory(l *features.Layer) gin.HandlerFunc {
	return func(c *gin.Context) {
		id, err := parseID(c)
		if err != nil {
			s.fail(c, err)
			return
		}
		vs, err := s.Features.History(c.Request.Context(), l, currentUser(c).Scope(), id)
		if err != nil {
			s.fail(c, err)
			return
		}
		since, err := s.Features.HistorySince(c.Request.Context(), l)
		if err != nil {
			s.fail(c, err)
			return
		}
		c.JSON(http.StatusOK, gin.H{"layer": l.Name, "id": id, "versions": vs, "history_since": since})
	}
}
