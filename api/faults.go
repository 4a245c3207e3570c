package api

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync"

	"github.com/gin-gonic/gin"

	"riskmap"
	"riskmap/postgres"
)

// How the API answers faults of the moment rather than bugs: the database
// away or not answering (503 with Retry-After, never a hang), and a
// client whose body was cut off or did not arrive in time (400).

// retryAfter is the Retry-After (seconds) sent with a 503: about how long a
// database restart takes; the pool reconnects by itself.
const retryAfter = "5"

const bodyKey = "request_body"

// deadline bounds every request by RequestTimeout, so that a database that
// stops answering (frozen, or its host cut off) turns into 503s instead of
// requests that hang and pile up. Long-lived routes are exempt: the live
// feed, uploads (a phone's photo on a slow network), attachment downloads
// and streamed exports; they end with their client. It also notes the
// error reading the body ends with, to tell the client's faults from the
// database's.
func (s *Server) deadline() gin.HandlerFunc {
	return func(c *gin.Context) {
		if c.Request.Body != nil && c.Request.Body != http.NoBody {
			b := &recordingBody{ReadCloser: c.Request.Body}
			c.Request.Body = b
			c.Set(bodyKey, b)
		}
		if s.RequestTimeout <= 0 || longLived(c) {
			c.Next()
			return
		}
		ctx, cancel := context.WithTimeout(c.Request.Context(), s.RequestTimeout)
		defer cancel()
		c.Request = c.Request.WithContext(ctx)
		c.Next()
	}
}

func longLived(c *gin.Context) bool {
	p := c.FullPath()
	switch {
	case p == "/api/v1/events", p == attachmentsRoute, p == "/api/v1/attachments/:id", strings.HasSuffix(p, "/export"):
		return true
	case p == importsRoute && c.Request.Method == http.MethodPost:
		return true
	}
	return false
}

// recordingBody remembers the error a read of the request body failed with.
type recordingBody struct {
	io.ReadCloser
	mu  sync.Mutex
	err error
}

func (b *recordingBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if err != nil && err != io.EOF {
		b.mu.Lock()
		b.err = err
		b.mu.Unlock()
	}
	return n, err
}

func (b *recordingBody) failed() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.err
}

// classifyFault turns an internal error that is really a fault of the
// moment into its answer: the client's body cut off or late (400), the
// database away or not answering within the request's deadline (503). Any
// 503 tells the client when to retry.
func (s *Server) classifyFault(r *http.Request, body *recordingBody, h http.Header, err error) error {
	if riskmap.ErrorCode(err) == riskmap.EINTERNAL {
		var bodyErr error
		if body != nil {
			bodyErr = body.failed()
		}
		switch {
		case bodyErr != nil && errors.Is(err, bodyErr):
			err = &riskmap.Error{Code: riskmap.EINVALID, Err: err,
				Message: "the request body was cut off or did not arrive within the server's read timeout: " + bodyErr.Error()}
		case postgres.Unavailable(err):
			err = &riskmap.Error{Code: riskmap.EUNAVAILABLE, Err: err, Message: "the database is unavailable; try again shortly"}
		case errors.Is(err, context.DeadlineExceeded) && r.Context().Err() != nil:
			err = &riskmap.Error{Code: riskmap.EUNAVAILABLE, Err: err,
				Message: "no answer within " + s.RequestTimeout.String() + ": the database is overloaded or unavailable; try again shortly"}
		}
	}
	if riskmap.ErrorCode(err) == riskmap.EUNAVAILABLE {
		h.Set("Retry-After", retryAfter)
	}
	return err
}
