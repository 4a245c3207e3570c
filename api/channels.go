package api

import (
	"io"
	"net/http"
	"strconv"

	"github.com/gin-gonic/gin"

	"riskmap"
	"riskmap/notify"
)

// listChannels: GET /api/v1/notification-channels — the robots of the
// user's areas, secrets never shown, with their delivery figures (dead
// letters and the last error among them).
func (s *Server) listChannels(c *gin.Context) {
	list, err := s.Notify.Channels(c.Request.Context(), currentUser(c))
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"channels": list})
}

// createChannel: POST /api/v1/notification-channels {"area","kind","url",
// "secret","name","kinds","digest_at","enabled"}.
func (s *Server) createChannel(c *gin.Context) {
	in, err := readChannel(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	ch, err := s.Notify.CreateChannel(c.Request.Context(), currentUser(c), in)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.Header("Location", "/api/v1/notification-channels/"+strconv.FormatInt(ch.ID, 10))
	c.Header("ETag", etag(ch.Version))
	c.JSON(http.StatusCreated, ch)
}

func readChannel(c *gin.Context) (*notify.ChannelInput, error) {
	body, err := io.ReadAll(c.Request.Body)
	if err != nil {
		return nil, err
	}
	return notify.ParseChannel(body)
}

// channelTarget is the channel a write names — the path's id, or on the
// collection the body's "id" (PATCH) or the query's id (DELETE) — and the
// version it expects (If-Match).
func channelTarget(c *gin.Context, body *notify.ChannelInput) (int64, *int, error) {
	var id int64
	var err error
	switch v := c.Query("id"); {
	case c.Param("id") != "":
		id, err = parseID(c)
	case body != nil && body.ID != nil:
		id = *body.ID
	case v != "":
		if id, err = strconv.ParseInt(v, 10, 64); err != nil || id < 1 {
			err = badParam("id", "want a positive whole number, got %q", v)
		}
	default:
		err = riskmap.Errorf(riskmap.EUNPROCESSABLE, "id: required: the channel to change").
			WithDetails(riskmap.Detail{Field: "id", Message: "required"})
	}
	if err != nil {
		return 0, nil, err
	}
	m, err := parseIfMatch(c)
	switch {
	case err != nil || m == nil:
		return id, nil, err
	case len(m) == 0:
		never := -1 // valid tags, none of a version: 412
		return id, &never, nil
	}
	return id, &m[0], nil
}

// getChannel: GET /api/v1/notification-channels/{id}.
func (s *Server) getChannel(c *gin.Context) {
	id, err := parseID(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	ch, err := s.Notify.Channel(c.Request.Context(), currentUser(c), id)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.Header("ETag", etag(ch.Version))
	c.JSON(http.StatusOK, ch)
}

// patchChannel: PATCH /api/v1/notification-channels/{id} (or the
// collection with "id" in the body), If-Match optional.
func (s *Server) patchChannel(c *gin.Context) {
	in, err := readChannel(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	id, version, err := channelTarget(c, in)
	if err != nil {
		s.fail(c, err)
		return
	}
	ch, err := s.Notify.UpdateChannel(c.Request.Context(), currentUser(c), id, in, version)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.Header("ETag", etag(ch.Version))
	c.JSON(http.StatusOK, ch)
}

// deleteChannel: DELETE /api/v1/notification-channels/{id} (or ?id=).
func (s *Server) deleteChannel(c *gin.Context) {
	id, version, err := channelTarget(c, nil)
	if err != nil {
		s.fail(c, err)
		return
	}
	if err := s.Notify.DeleteChannel(c.Request.Context(), currentUser(c), id, version); err != nil {
		s.fail(c, err)
		return
	}
	c.Status(http.StatusNoContent)
}

// testChannel: POST /api/v1/notification-channels/{id}/test sends a test
// message now and answers whether the robot took it.
func (s *Server) testChannel(c *gin.Context) {
	id, err := parseID(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	res, err := s.Notify.TestChannel(c.Request.Context(), currentUser(c), id)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, res)
}

// listDeliveries: GET /api/v1/notification-channels/{id}/deliveries
// ?state=pending|delivered|dead&limit=&cursor=
func (s *Server) listDeliveries(c *gin.Context) {
	id, err := parseID(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	limit, before, err := parsePage(c, 50, 500)
	if err != nil {
		s.fail(c, err)
		return
	}
	list, next, err := s.Notify.Deliveries(c.Request.Context(), currentUser(c), id, c.Query("state"), limit, before)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"deliveries": list, "numberReturned": len(list), "links": pageLinks("", c.Request.URL, next, 0)})
}

// retryDelivery: POST /api/v1/notification-channels/{id}/deliveries/{delivery}/retry
// puts a dead message back in the outbox.
func (s *Server) retryDelivery(c *gin.Context) {
	id, err := parseID(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	did, err := strconv.ParseInt(c.Param("delivery"), 10, 64)
	if err != nil || did < 1 {
		s.fail(c, badParam("delivery", "want a positive whole number, got %q", c.Param("delivery")))
		return
	}
	d, err := s.Notify.Retry(c.Request.Context(), currentUser(c), id, did)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, d)
}

// listRules: GET /api/v1/notification-rules[?area=CODE] — who receives
// each kind there.
func (s *Server) listRules(c *gin.Context) {
	rules, err := s.Notify.Rules(c.Request.Context(), currentUser(c), c.Query("area"))
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"area": c.Query("area"), "rules": rules, "audiences": notify.Audiences()})
}

// putRule: PUT /api/v1/notification-rules {"kind","area","audiences":[…]}.
func (s *Server) putRule(c *gin.Context) {
	var in struct {
		Kind      string   `json:"kind"`
		Area      string   `json:"area"`
		Audiences []string `json:"audiences"`
	}
	if err := decodeStrict(c, &in); err != nil {
		s.fail(c, err)
		return
	}
	r, err := s.Notify.SetRule(c.Request.Context(), currentUser(c), in.Kind, in.Area, in.Audiences)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, r)
}

// deleteRule: DELETE /api/v1/notification-rules?kind=&area= — the area
// above's rule applies again.
func (s *Server) deleteRule(c *gin.Context) {
	if err := s.Notify.ResetRule(c.Request.Context(), currentUser(c), c.Query("kind"), c.Query("area")); err != nil {
		s.fail(c, err)
		return
	}
	c.Status(http.StatusNoContent)
}
