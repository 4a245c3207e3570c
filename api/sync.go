package api

import (
	"context"
	"net/http"
	"sync"

	"github.com/gin-gonic/gin"
)

// syncAfterWrites holds back the answer to a successful write until this
// replica's caches (tiles, coverage, remembered tokens) have applied every
// change committed so far and the standby reads' watermark has risen past
// it (syncCaches), so a tile or a read asked for after the answer shows
// the write. It syncs before the first byte of the answer is
// written, or after the handler when it wrote nothing.
func (s *Server) syncAfterWrites() gin.HandlerFunc {
	return func(c *gin.Context) {
		m := c.Request.Method
		if m == http.MethodGet || m == http.MethodHead || m == http.MethodOptions {
			c.Next()
			return
		}
		w := &syncWriter{ResponseWriter: c.Writer, sync: func(status int) {
			if status < 400 {
				s.syncCaches(c)
			}
		}}
		c.Writer = w
		c.Next()
		w.before()
	}
}

type syncWriter struct {
	gin.ResponseWriter
	sync   func(status int)
	synced bool
}

func (w *syncWriter) before() {
	if !w.synced {
		w.synced = true
		w.sync(w.Status())
	}
}

func (w *syncWriter) Write(b []byte) (int, error) {
	w.before()
	return w.ResponseWriter.Write(b)
}

func (w *syncWriter) WriteString(s string) (int, error) {
	w.before()
	return w.ResponseWriter.WriteString(s)
}

func (w *syncWriter) WriteHeaderNow() {
	w.before()
	w.ResponseWriter.WriteHeaderNow()
}

func (w *syncWriter) Flush() {
	w.before()
	w.ResponseWriter.Flush()
}

// syncCaches brings this replica's caches (tiles, coverage answers and
// tiles, remembered tokens) up to every change committed so far, and the
// standby reads' watermark (postgres.Reads.Wrote) to the primary's
// position after the write, all at once: it runs after a successful
// write, before its answer (see syncAfterWrites).
func (s *Server) syncCaches(c *gin.Context) {
	ctx := c.Request.Context()
	syncs := map[string]func(context.Context) error{"auth": s.Auth.Sync}
	if s.Tiles != nil {
		syncs["tiles"] = s.Tiles.Sync
	}
	if s.Coverage != nil {
		syncs["coverage"] = s.Coverage.Sync
	}
	if s.Reads != nil {
		syncs["reads"] = s.Reads.Wrote
	}
	var wg sync.WaitGroup
	for name, sync := range syncs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := sync(ctx); err != nil {
				s.Logger.Warn(name+": sync after write", "request_id", c.GetString(requestIDKey), "err", err)
			}
		}()
	}
	wg.Wait()
}
