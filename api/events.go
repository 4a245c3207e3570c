package api

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"riskmap"
	"riskmap/cases"
)

// recheckEvery bounds how long a stream goes without checking its token,
// should an account change go unannounced.
const recheckEvery = time.Minute

// revokedEvent ends a stream whose token no longer holds: log in again.
const revokedEvent = "event: revoked\ndata: {\"reason\":\"token expired or revoked: log in again\"}\n\n"

// caseEvents: GET /api/v1/events, a Server-Sent Events stream of what the
// user may see: case changes in scope (event "case", data: cases.Change),
// their own new notifications (event "notification") and inbox changes
// (event "inbox"). Every event carries its number as id; a client that
// reconnects with Last-Event-ID (the header, or the query parameter
// last_event_id) is first sent the events it missed, from the stored feed,
// or event "resync" when they are no longer all stored. Comment lines keep
// the connection alive; "resync" is sent too when changes may have been
// missed (the client fell too far behind and the stream ends).
func (s *Server) caseEvents(c *gin.Context) {
	if s.CaseFeed == nil {
		s.fail(c, riskmap.Errorf(riskmap.EUNAVAILABLE, "the live feed is not running"))
		return
	}
	u := currentUser(c)
	ctx := c.Request.Context()
	// The stream outlives the server's write timeout.
	_ = http.NewResponseController(c.Writer).SetWriteDeadline(time.Time{})
	// subscribe first, then read what was missed: an event committed in
	// between comes both ways and is sent once (by number)
	sub := s.CaseFeed.Subscribe(u)
	defer s.CaseFeed.Unsubscribe(sub)
	last, resume := lastEventID(c)
	var missed []cases.Change
	replayed := true
	if resume {
		var err error
		if missed, replayed, err = s.CaseFeed.Replay(ctx, u, last); err != nil {
			s.fail(c, err)
			return
		}
	}
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
	// the number of the last event sent: live events up to it came in the
	// replay (after a resync, the client's number means nothing here)
	sent := last
	if !replayed {
		sent = 0
	}
	emit := func(ch cases.Change) bool {
		if ch.Seq == 0 {
			return send(fmt.Sprintf("event: %s\ndata: %s\n\n", ch.Event(), ch.Payload()))
		}
		if ch.Seq <= sent {
			return true
		}
		sent = ch.Seq
		return send(fmt.Sprintf("id: %d\nevent: %s\ndata: %s\n\n", ch.Seq, ch.Event(), ch.Payload()))
	}
	if !replayed {
		if !send("event: resync\ndata: {\"reason\":\"missed events are no longer stored\"}\n\n") {
			return
		}
	}
	for _, ch := range missed {
		if !emit(ch) {
			return
		}
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
			// an account change heard before this change is checked first
			select {
			case <-sub.Recheck:
				if !recheck() {
					return
				}
			default:
			}
			if !emit(ch) {
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

// lastEventID reads the number of the last event a reconnecting client saw:
// the Last-Event-ID header (sent by EventSource), or the query parameter
// last_event_id. An id that is not one of ours (an older server's
// "uuid:version") reads as -1, which replays nothing and asks for a resync.
func lastEventID(c *gin.Context) (int64, bool) {
	v := strings.TrimSpace(c.GetHeader("Last-Event-ID"))
	if v == "" {
		v = strings.TrimSpace(c.Query("last_event_id"))
	}
	if v == "" {
		return 0, false
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 0 {
		return -1, true
	}
	return n, true
}
