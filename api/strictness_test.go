package api_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
)

// Lenient parsing tightened, and said so in the errors (issue #15,
// finding 10); HEAD answers on GET routes; authenticated answers are kept
// out of caches.
func TestLenientInputIsRefusedNamingWhatWasWrong(t *testing.T) {
	e := newEnv(t)
	s := seed(t, e)
	cases := []struct {
		method, path, body string
		status             int
		field              string
	}{
		{"POST", "/api/v1/risk_points", `{"type":"Feature","geometry":{"type":"Point","coordinates":[115.3,23]},"properties":{"name":"x","category":"fire","risk_level":"2"}}`, 422, "properties.risk_level"},
		{"GET", "/tiles/risk_points/012/3339/1780.mvt", "", 400, "z"},
		{"GET", "/tiles/risk_points/12/03339/1780.mvt", "", 400, "x"},
		{"GET", "/api/v1/risk_points?limit=5&stat=closed", "", 400, "stat"},
		{"GET", "/api/v1/cases?stat=closed", "", 400, "stat"},
		{"GET", "/api/v1/audit?tabel=risk_points", "", 400, "tabel"},
		{"GET", "/api/v1/stats/rectification?grup_by=grid", "", 400, "grup_by"},
		{"POST", "/api/v1/cases", `{"type":"Feature","id":"00000000-0000-0000-0000-000000000000","geometry":{"type":"Point","coordinates":[115.25,23]},"properties":{"grade":"general","category":"fire","description":"x"}}`, 422, "id"},
		{"GET", "/api/v1/cases/00000000-0000-0000-0000-000000000000", "", 404, ""},
	}
	for _, c := range cases {
		res := e.doToken(c.method, c.path, e.token["city"], c.body)
		var er apiError
		_ = json.Unmarshal(res.Body, &er)
		named := c.field == ""
		for _, d := range er.Error.Details {
			named = named || d.Field == c.field
		}
		if res.StatusCode != c.status || !named {
			t.Errorf("%s %s: %d %s, want %d naming %s", c.method, c.path, res.StatusCode, res.Body, c.status, c.field)
		}
	}
	// HEAD works wherever GET does, without a body
	for _, p := range []string{"/healthz", "/api/v1/risk_points?limit=1", "/api/v1/cases/" + s.cases["g001"], "/api/v1/attachments/" + s.attachments["g001"], "/tiles/risk_points.json", "/ogc/collections"} {
		// asked alike: Go's client asks GETs for gzip by itself, never HEADs,
		// and a gzipped answer's ETag is the gzip's
		for _, enc := range []string{"identity", "gzip"} {
			get := e.doToken("GET", p, e.token["city"], "", "Accept-Encoding", enc)
			head := e.doToken("HEAD", p, e.token["city"], "", "Accept-Encoding", enc)
			if head.StatusCode != get.StatusCode || len(head.Body) != 0 || head.Header.Get("ETag") != get.Header.Get("ETag") {
				t.Errorf("HEAD %s (%s): %d with %d bytes, ETag %q; GET: %d, ETag %q", p, enc, head.StatusCode, len(head.Body), head.Header.Get("ETag"), get.StatusCode, get.Header.Get("ETag"))
			}
		}
	}
	// caching: nothing a user may see stays in a cache, unless it can be
	// revalidated
	for _, c := range []struct{ path, want string }{
		{"/api/v1/auth/me", "private, no-store"},
		{"/api/v1/risk_points?limit=1", "private, no-store"},
		{fmt.Sprintf("/api/v1/risk_points/%d", s.ids["g001"]), "private, no-cache"},
		{"/api/v1/cases/" + s.cases["g001"], "private, no-cache"},
		{"/api/v1/attachments/" + s.attachments["g001"], "private, no-cache"},
	} {
		res := e.doToken("GET", c.path, e.token["city"], "")
		if got := res.Header.Get("Cache-Control"); res.StatusCode != 200 || got != c.want {
			t.Errorf("%s: %d Cache-Control %q, want %q", c.path, res.StatusCode, got, c.want)
		}
	}
	if res := e.doToken("GET", "/api/v1/auth/me", e.token["city"], ""); strings.Contains(res.Header.Get("Cache-Control"), "max-age") {
		t.Errorf("me: %s", res.Header.Get("Cache-Control"))
	}
}

// Every uploaded photo (a case's evidence, a patrol's, a proposal's) is
// served by one rule: revalidated on each view ("private, no-cache" with
// its hash as ETag, sandboxed), never kept a day in the browser's cache
// where it outlives a logout or a change of scope (finding 10).
func TestUploadedPhotosAreRevalidatedNeverCachedForADay(t *testing.T) {
	e := newEnv(t)
	s := seed(t, e)
	c := placeCoords["g001"]
	res := e.doToken("POST", "/api/v1/patrols", e.token["city"], patrolMultipart(s.ids["g001"], c[0], c[1]),
		"Content-Type", "multipart/form-data; boundary="+matrixBoundary)
	var p struct{ Photos []struct{ URL string } }
	if res.StatusCode != 201 || json.Unmarshal(res.Body, &p) != nil || len(p.Photos) != 1 {
		t.Fatalf("patrol: %d %s", res.StatusCode, res.Body)
	}
	code, pr := e.propose("worker1", `{"id":"5b0c7a52-3c1e-4d6a-9f57-0a1b2c3d4e5f","layer":"risk_points","reason":"新建工地边坡","feature":{"type":"Feature",
		"geometry":{"type":"Point","coordinates":[115.21,23.01]},"properties":{"name":"工地边坡","category":"construction","risk_level":2}}}`, true)
	if code != 201 || len(pr.Photos) != 1 {
		t.Fatalf("proposal: %d %+v", code, pr)
	}
	for _, u := range []struct{ user, path string }{
		{"city", "/api/v1/attachments/" + s.attachments["g001"]},
		{"city", p.Photos[0].URL},
		{"worker1", pr.Photos[0].URL},
	} {
		res := e.doToken("GET", u.path, e.token[u.user], "")
		h := res.Header
		if res.StatusCode != 200 || h.Get("Cache-Control") != "private, no-cache" || !strings.HasPrefix(h.Get("ETag"), `"`) ||
			!strings.Contains(h.Get("Content-Security-Policy"), "sandbox") {
			t.Errorf("%s: %d Cache-Control %q, ETag %q, CSP %q; want private, no-cache with an ETag, sandboxed", u.path, res.StatusCode,
				h.Get("Cache-Control"), h.Get("ETag"), h.Get("Content-Security-Policy"))
		}
	}
}
