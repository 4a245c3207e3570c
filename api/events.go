package api

import (
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"riskmap"
)

// recheckEvery bounds how long a stream goes without checking its token,
// should an account change go unannounced.
const recheckEvery = time.Minute

// revokedEvent ends a stream whose token no longer holds: log in again.
const revokedEvent = "event: revoked\ndata: {\"reason\":\"token expired or revoked: log in again\"}\n\n"

// caseEvents: GET /api/v1/events, a Server-Sent Events stream of the case
// changes in the user's scope (event "case", data: cases.Change). Comment
// lines keep the connection alive; event "resync" asks the client to
// reload, since changes may have been missed (the database connection was
// re-established, or the client fell too far behind and the stream ends).
func (s *Server) caseEvents(c *gin.Context) {
	if s.CaseFeed == nil {
		s.fail(c, riskmap.Errorf(riskmap.EUNAVAILABLE, "the live feed is not running"))
		return
	}
	u := currentUser(c)
	ctx := c.Request.Context()
	// The stream outlives the server's write timeout.
	_ = http.NewResponseController(c.Writer).SetWriteDeadline(time.Time{})
	sub := s.CaseFeed.Subscribe(u)
	defer s.CaseFeed.Unsubscribe(sub)
	h := c.Writer.Header()
	h.Set("Content-Type", "text/event-stream; charset=utf-8")
	h.Set("Cache-Control", "no-cache, no-store")
	h.Set("X-Accel-Buffering", "no")
	c.Status(http.StatusOK)
	w := c.Writer
	send := func(s string) bool {
		if _, err := w.WriteString(s); err != nil {
			return false
		}
		w.Flush()
		return true
	}
	if !send(": connected\nretry: 3000\n\n") {
		return
	}
	every := s.Heartbeat
	if every <= 0 {
		every = 15 * time.Second
	}
	tick := time.NewTicker(every)
	defer tick.Stop()
	// The stream ends when its token stops holding (logout, a disabled
	// account, a new password, role or scope, expiry): checked again on every
	// account change announced by any replica, after a reconnect, and at
	// least every recheckEvery as a net.
	token := bearer(c)
	_, until, err := s.Auth.AuthenticateUntil(ctx, token)
	if err != nil {
		send(revokedEvent)
		return
	}
	expire := time.NewTimer(time.Until(until))
	defer expire.Stop()
	net := time.NewTicker(recheckEvery)
	defer net.Stop()
	recheck := func() bool {
		u, _, err := s.Auth.AuthenticateUntil(ctx, token)
		if riskmap.ErrorCode(err) == riskmap.EUNAUTHORIZED {
			send(revokedEvent)
			return false
		}
		if err == nil {
			s.CaseFeed.SetUser(sub, u)
		}
		// a database away: the feed reconnects and rechecks then
		return true
	}
	for {
		select {
		case <-ctx.Done():
			return
		case <-sub.Recheck:
			if !recheck() {
				return
			}
		case <-net.C:
			if !recheck() {
				return
			}
		case <-expire.C:
			send(revokedEvent)
			return
		case ch := <-sub.C:
			// an account change heard before this case change is checked first
			select {
			case <-sub.Recheck:
				if !recheck() {
					return
				}
			default:
			}
			data, _ := json.Marshal(ch)
			if !send(fmt.Sprintf("id: %s:%d\nevent: case\ndata: %s\n\n", ch.ID, ch.Version, data)) {
				return
			}
		case <-sub.Resync:
			if !send("event: resync\ndata: {}\n\n") {
				return
			}
		case <-sub.Lost:
			send("event: resync\ndata: {\"reason\":\"stream closed\"}\n\n")
			return
		case <-tick.C:
			if !send(": heartbeat\n\n") {
				return
			}
		}
	}
}
