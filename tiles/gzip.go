package tiles

import (
	"bytes"
	"strings"
	"sync"

	"github.com/klauspost/compress/gzip"
)

// gzipper gzips tiles once, when they are made, so a client that accepts
// gzip gets the cached compressed bytes at no cost per request. Its
// writers are pooled: one holds about 1 MB of state.
type gzipper struct{ pool sync.Pool }

// Gzip returns data gzipped (nil for no data): what Tile.Gzip holds, and
// what a tile made elsewhere (coverage) is sent as.
func (s *Service) Gzip(data []byte) []byte { return s.gzip.compress(data) }

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

// GzipETag is the entity tag of the gzip of a representation tagged etag:
// another encoding is another representation (RFC 9110), so its tag
// differs, by the suffix the API's other gzipped answers carry too.
func GzipETag(etag string) string { return strings.TrimSuffix(etag, `"`) + `-gzip"` }

// IsGzipETag says whether tag is GzipETag(etag), without making it.
func IsGzipETag(tag, etag string) bool {
	base, ok := strings.CutSuffix(tag, `-gzip"`)
	return ok && len(etag) > 0 && base == etag[:len(etag)-1]
}
