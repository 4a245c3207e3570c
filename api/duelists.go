package api

import (
	"bytes"
	"net/http"
	"strconv"
	"sync"

	"github.com/cespare/xxhash/v2"
	"github.com/gin-gonic/gin"
	"github.com/klauspost/compress/gzip"

	"riskmap/internal/lru"
	"riskmap/tiles"
)

// dueAnswers keeps the encoded answers of the due list: a phone asks again
// and again from where the worker stands, and the list's answer, about
// 200 kB of JSON for 300 points, costs more to write and gzip than to
// look up. An answer is kept under everything it depends on: the
// asker's scope, the query as sent (area, overdue, days, near, paging),
// the day it was judged on (UTC+8: a list of yesterday is never served
// today) and patrols.Store.DueVersion, which changes whenever a risk point
// changes on any replica (a patrol moves its point's due date), so a kept
// answer is never older than the store's kept lists. Its ETag is a hash of
// the body, the same on every replica: a client revalidating gets 304.
type dueAnswers struct {
	mu      sync.Mutex
	answers *lru.Cache[string, *dueAnswer]
	// gzips are gzip writers to reuse: a new one allocated (and zeroed)
	// its tables for every answer made
	gzips sync.Pool
}

type dueAnswer struct {
	today string
	body  []byte
	gzip  []byte
	etag  string
}

// maxDueAnswers bounds the kept answers' bytes (plain and gzipped).
const maxDueAnswers = 64 << 20

func newDueAnswers(max int) *dueAnswers {
	return &dueAnswers{answers: lru.New[string, *dueAnswer](max), gzips: sync.Pool{New: func() any {
		w, _ := gzip.NewWriterLevel(nil, gzip.BestSpeed) // a fixed level: no error
		return w
	}}}
}

// dueAnswerKey names an answer; version is patrols.Store.DueVersion.
func dueAnswerKey(version uint64, scope, today, query string) string {
	return strconv.FormatUint(version, 10) + "\x00" + scope + "\x00" + today + "\x00" + query
}

func (d *dueAnswers) get(key string) *dueAnswer {
	d.mu.Lock()
	defer d.mu.Unlock()
	a, _ := d.answers.Get(key)
	return a
}

// put keeps an answer, forgetting the least recently asked beyond the
// bound (answers of an older version are never asked again: they go
// first).
func (d *dueAnswers) put(key string, a *dueAnswer) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.answers.Put(key, a, len(key)+len(a.body)+len(a.gzip)+128)
}

// encode makes an answer once: its body, its gzip and its ETag. The gzip
// is the fastest level (a walking worker's every answer is made anew:
// ~19 kB for 300 points where the default level makes ~16 kB at about
// twice the CPU).
func (d *dueAnswers) encode(today string, body []byte) *dueAnswer {
	var gz bytes.Buffer
	gz.Grow(len(body) / 6)
	w := d.gzips.Get().(*gzip.Writer)
	w.Reset(&gz)
	_, _ = w.Write(body) // to memory: no error
	_ = w.Close()
	d.gzips.Put(w)
	return &dueAnswer{today: today, body: body, gzip: gz.Bytes(),
		etag: `"` + strconv.FormatUint(xxhash.Sum64(body), 36) + `"`}
}

// serve answers with a kept answer: 304 when the client holds it, its
// gzip when the client takes gzip (the compression wrapper leaves an
// answer that has its encoding alone).
func (a *dueAnswer) serve(c *gin.Context) {
	h := c.Writer.Header()
	h.Set("X-Riskmap-Today", a.today)
	h.Set("Content-Type", "application/geo+json")
	h.Add("Vary", "Accept-Encoding")
	body, etag := a.body, a.etag
	if acceptsGzip(c.Request.Header["Accept-Encoding"]) {
		body, etag = a.gzip, tiles.GzipETag(a.etag)
		h.Set("Content-Encoding", "gzip")
	}
	h.Set("ETag", etag)
	if etagMatches(c.GetHeader("If-None-Match"), a.etag) {
		h.Del("Content-Encoding")
		c.Status(http.StatusNotModified)
		return
	}
	h.Set("Content-Length", strconv.Itoa(len(body)))
	c.Status(http.StatusOK)
	_, _ = c.Writer.Write(body) // a client gone
}
