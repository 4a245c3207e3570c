package api

import (
	"net/http"
	"strings"

	"github.com/klauspost/compress/gzhttp"
)

// compressible are the media types answers are gzipped in when the client
// accepts gzip: text and JSON of every kind, CSV, GeoPackages (SQLite pages
// shrink well) and tiles made without a cached gzip (coverage). Workbooks
// (already zip), images and the live feed (event-stream) never are.
var compressible = []string{"application/json", "application/geo+json", "application/vnd.oai.openapi+json",
	"application/schema+json", "text/csv", "text/html", "text/plain", "text/css", "text/javascript", "application/javascript",
	"application/geopackage+sqlite3", mvtType, "image/svg+xml", "application/xml"}

func isCompressible(ct string) bool {
	ct = strings.ToLower(strings.TrimSpace(ct))
	for _, t := range compressible {
		if strings.HasPrefix(ct, t) {
			return true
		}
	}
	return false
}

// compress gzips answers for clients that ask (Accept-Encoding: gzip),
// with gzhttp: Vary: Accept-Encoding on every answer, bodies under 1 KB
// sent as they are, an answer that already has a Content-Encoding (a tile
// from the cache's gzip) left alone, and the ETag of a gzipped answer
// suffixed -gzip (another encoding is another representation, RFC 9110),
// which etagMatches and parseIfMatch take for the same version.
func compress(h http.Handler) http.Handler {
	wrap, err := gzhttp.NewWrapper(gzhttp.EnableZstd(false), gzhttp.MinSize(1024), gzhttp.SuffixETag("-gzip"),
		gzhttp.ContentTypeFilter(isCompressible))
	if err != nil {
		panic(err) // fixed options: they always hold
	}
	return wrap(h)
}
