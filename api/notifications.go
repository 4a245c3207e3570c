package api

import (
	"net/http"
	"strconv"

	"github.com/gin-gonic/gin"

	"riskmap/notify"
)

// parsePage reads limit (default def, at most max) and cursor.
func parsePage(c *gin.Context, def, max int) (limit int, after int64, err error) {
	limit = def
	if v, ok := c.GetQuery("limit"); ok {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > max {
			return 0, 0, badParam("limit", "want a whole number from 1 to %d, got %q", max, v)
		}
		limit = n
	}
	if v, ok := c.GetQuery("cursor"); ok {
		id, ok := decodeCursor(v)
		if !ok {
			return 0, 0, badParam("cursor", "not a cursor this server issued")
		}
		after = id
	}
	return limit, after, nil
}

// listNotifications: GET /api/v1/notifications?unread=true&limit=&cursor=
// — the user's inbox, newest first, with the unread count.
func (s *Server) listNotifications(c *gin.Context) {
	limit, before, err := parsePage(c, 50, 500)
	if err != nil {
		s.fail(c, err)
		return
	}
	q := notify.InboxQuery{Limit: limit, Before: before}
	if v, ok := c.GetQuery("unread"); ok {
		if q.Unread, err = strconv.ParseBool(v); err != nil {
			s.fail(c, badParam("unread", "want true or false, got %q", v))
			return
		}
	}
	in, err := s.Notify.Inbox(c.Request.Context(), currentUser(c), q)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.Header("Cache-Control", "no-store")
	c.JSON(http.StatusOK, gin.H{"notifications": in.Notifications, "unread": in.Unread,
		"numberReturned": len(in.Notifications), "links": pageLinks("", c.Request.URL, in.Next, 0)})
}

// readNotifications: POST /api/v1/notifications/read {"ids":[…]} or
// {"all":true}.
func (s *Server) readNotifications(c *gin.Context) {
	var in struct {
		IDs []int64 `json:"ids"`
		All bool    `json:"all"`
	}
	if err := decodeStrict(c, &in); err != nil {
		s.fail(c, err)
		return
	}
	marked, left, err := s.Notify.MarkRead(c.Request.Context(), currentUser(c), in.IDs, in.All)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"read": marked, "unread": left})
}

// notificationRoutes registers the inbox, the channels and the rules.
func (s *Server) notificationRoutes(authed *gin.RouterGroup) {
	authed.GET("/notifications", s.strictQuery("unread", "limit", "cursor"), s.listNotifications)
	authed.POST("/notifications/read", s.readNotifications)
	authed.GET("/notification-channels", s.strictQuery(), s.listChannels)
	authed.POST("/notification-channels", s.createChannel)
	// PATCH and DELETE on the collection name the channel by the body's
	// "id" (or ?id=), as well as on the channel's own path
	authed.PATCH("/notification-channels", s.patchChannel)
	authed.DELETE("/notification-channels", s.strictQuery("id"), s.deleteChannel)
	authed.GET("/notification-channels/:id", s.strictQuery(), s.getChannel)
	authed.PATCH("/notification-channels/:id", s.patchChannel)
	authed.DELETE("/notification-channels/:id", s.deleteChannel)
	authed.POST("/notification-channels/:id/test", s.testChannel)
	authed.GET("/notification-channels/:id/deliveries", s.strictQuery("state", "limit", "cursor"), s.listDeliveries)
	authed.POST("/notification-channels/:id/deliveries/:delivery/retry", s.retryDelivery)
	authed.GET("/notification-rules", s.strictQuery("area"), s.listRules)
	authed.PUT("/notification-rules", s.putRule)
	authed.DELETE("/notification-rules", s.strictQuery("kind", "area"), s.deleteRule)
}
