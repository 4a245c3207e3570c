package api_test

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"testing"
)

// badTexts are what PostgreSQL cannot take as text or a client cannot have
// meant: a NUL, bytes that are not UTF-8, a character cut in two.
var badTexts = []string{"\x00", "a\x00b", "\xff", "名\xe5\x90", "\xc3"}

// Every route of the security matrix, its query values and JSON strings
// replaced one at a time by bad text, answers a 4xx with the JSON error
// body, never a 5xx or a dropped connection (issue #15, findings 6 and 8).
func TestNULAndInvalidUTF8InEveryInputAreRefusedWith4xx(t *testing.T) {
	e := newEnv(t)
	s := seed(t, e)
	check := func(name, method, path, body string) {
		t.Helper()
		res := e.doToken(method, path, e.token["admin"], body)
		var er apiError
		if res.StatusCode < 400 || res.StatusCode >= 500 || json.Unmarshal(res.Body, &er) != nil || er.Error.Code == "" {
			t.Errorf("%s: %s %s: %d %q, want a 4xx with a JSON error", name, method, path, res.StatusCode, res.Body)
		}
	}
	requests := []request{
		{"GET", "/ogc/collections/risk_points/items?name=%FF", ""},
		{"GET", "/api/v1/risk_points/export?format=csv&name=%FF", ""},
		{"GET", "/api/v1/coverage?facility=stations&max_distance_m=NaN", ""},
		{"GET", "/api/v1/coverage?facility=stations&max_distance_m=Inf", ""},
		{"GET", "/api/v1/coverage?facility=stations&max_minutes=-Inf", ""},
		{"GET", "/api/v1/coverage/siting?k=1&facility=stations&max_distance_m=NaN", ""},
		{"GET", "/tiles/coverage/12/3339/1780.mvt?facility=stations&max_distance_m=NaN", ""},
		{"GET", "/tiles/coverage.json?facility=stations&max_minutes=Inf", ""},
	}
	for _, spec := range allSpecs() {
		if r, ok := spec.build(s, "admin", true); ok {
			requests = append(requests, r)
		}
	}
	for _, r := range requests {
		if r.path == "/api/v1/events" {
			continue // a stream (its query has nothing to spoil)
		}
		u, _ := url.Parse(r.path)
		q := u.Query()
		for k := range q {
			for _, b := range badTexts {
				q2 := u.Query()
				q2.Set(k, b)
				check("query "+k, r.method, u.Path+"?"+q2.Encode(), r.body)
			}
		}
		if len(q) == 0 && r.method == "GET" {
			check("a query value", r.method, u.Path+"?"+url.Values{"x": {"\xff"}}.Encode(), "")
		}
		// every string in a JSON body, one at a time
		var doc any
		if json.Unmarshal([]byte(r.body), &doc) != nil {
			continue
		}
		n := countStrings(doc)
		for i := range n {
			for _, b := range badTexts {
				spoilt := replaceString(doc, i, b)
				check(fmt.Sprintf("body string %d", i), r.method, r.path, spoilt)
			}
		}
	}
	// the login, no token needed
	for _, b := range badTexts {
		for _, body := range []string{rawJSON(map[string]string{"username": b, "password": "x"}), rawJSON(map[string]string{"username": "admin", "password": b})} {
			check("login", "POST", "/api/v1/auth/login", body)
		}
	}
}

// rawJSON writes v as JSON but keeps bytes that are not UTF-8 as they are
// (encoding/json would replace them with U+FFFD, as a careless client would
// not).
func rawJSON(v any) string {
	var b strings.Builder
	var write func(any)
	write = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			b.WriteByte('{')
			i := 0
			for k, val := range x {
				if i > 0 {
					b.WriteByte(',')
				}
				i++
				write(k)
				b.WriteByte(':')
				write(val)
			}
			b.WriteByte('}')
		case map[string]string:
			m := map[string]any{}
			for k, v := range x {
				m[k] = v
			}
			write(m)
		case []any:
			b.WriteByte('[')
			for i, val := range x {
				if i > 0 {
					b.WriteByte(',')
				}
				write(val)
			}
			b.WriteByte(']')
		case string:
			b.WriteByte('"')
			for i := 0; i < len(x); i++ {
				switch c := x[i]; {
				case c == '"' || c == '\\':
					b.WriteByte('\\')
					b.WriteByte(c)
				case c < 0x20:
					fmt.Fprintf(&b, "\\u%04x", c)
				default:
					b.WriteByte(c)
				}
			}
			b.WriteByte('"')
		default:
			j, _ := json.Marshal(x)
			b.Write(j)
		}
	}
	write(v)
	return b.String()
}

func countStrings(v any) int {
	switch x := v.(type) {
	case map[string]any:
		n := 0
		for _, val := range x {
			n += countStrings(val)
		}
		return n
	case []any:
		n := 0
		for _, val := range x {
			n += countStrings(val)
		}
		return n
	case string:
		return 1
	}
	return 0
}

// replaceString writes doc with its i-th string (in walk order) replaced.
func replaceString(doc any, i int, with string) string {
	n := 0
	var walk func(any) any
	walk = func(v any) any {
		switch x := v.(type) {
		case map[string]any:
			m := map[string]any{}
			for _, k := range sortedKeys(x) {
				m[k] = walk(x[k])
			}
			return m
		case []any:
			out := make([]any, len(x))
			for j, val := range x {
				out[j] = walk(val)
			}
			return out
		case string:
			n++
			if n-1 == i {
				return with
			}
		}
		return v
	}
	return rawJSON(walk(doc))
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	for a := range keys {
		for b := a + 1; b < len(keys); b++ {
			if keys[b] < keys[a] {
				keys[a], keys[b] = keys[b], keys[a]
			}
		}
	}
	return keys
}
