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

// Gzip returns data gzipped (nil below GzipMinSize): what Tile.Gzip holds
// for a cached tile, and what a tile made uncached or elsewhere (coverage)
// is sent as to a client that accepts gzip.
func (s *Service) Gzip(data []byte) []byte { return s.gzip.compress(data) }

// GzipMinSize is the smallest tile that is gzipped: below it the bytes
// saved do not pay for the answer's extra header (a small tile's header
// map would outgrow its first group), as the API's other answers
// (api/compress.go: gzhttp.MinSize).
const GzipMinSize = 1024

func (g *gzipper) compress(data []byte) []byte {
	if len(data) < GzipMinSize {
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
