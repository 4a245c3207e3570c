package tiles

import (
	"bytes"
	"sync"

	"github.com/klauspost/compress/gzip"
)

// gzipper compresses tiles once, when they are made, so a client that
// accepts gzip gets the cached compressed bytes at no cost per request.
// Its writers are pooled: one holds about 1 MB of state.
type gzipper struct{ pool sync.Pool }

func (g *gzipper) compress(data []byte) []byte {
	if len(data) == 0 {
		return nil
	}
	var buf bytes.Buffer
	buf.Grow(len(data)/2 + 64)
	w, _ := g.pool.Get().(*gzip.Writer)
	if w == nil {
		w, _ = gzip.NewWriterLevel(&buf, gzip.DefaultCompression)
	} else {
		w.Reset(&buf)
	}
	_, _ = w.Write(data) // writes to a bytes.Buffer never fail
	_ = w.Close()
	g.pool.Put(w)
	return buf.Bytes()
}
