package api_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"mime/multipart"
	"net/url"
	"regexp"
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

// A multipart body's text fields (a proposal's JSON, an import's options)
// pass the same rule as a JSON body: a NUL or bytes that are not UTF-8 are
// a 400 naming the field, and nothing is written (issue #15, finding 6).
func TestNULAndInvalidUTF8InMultipartTextFieldsAreRefusedNamingTheField(t *testing.T) {
	e := newEnv(t)
	send := func(user, path string, fields [][2]string, file bool) (int, apiError) {
		t.Helper()
		var b bytes.Buffer
		mw := multipart.NewWriter(&b)
		for _, f := range fields {
			_ = mw.WriteField(f[0], f[1])
		}
		if file {
			fw, _ := mw.CreateFormFile("file", "现场.png")
			_, _ = fw.Write(pngBytes(t, 3))
		}
		_ = mw.Close()
		var er apiError
		res := e.do("POST", path, user, b.Bytes(), &er, "Content-Type", mw.FormDataContentType())
		return res.StatusCode, er
	}
	field := func(er apiError) string {
		if len(er.Error.Details) == 0 {
			return ""
		}
		return er.Error.Details[0].Field
	}
	doc := func(name string) string {
		return `{"id":"5b0c7a52-3c1e-4d6a-9f57-0a1b2c3d4e5f","layer":"risk_points","reason":"新建工地边坡","feature":{"type":"Feature",
		"geometry":{"type":"Point","coordinates":[115.21,23.01]},"properties":{"name":"` + name + `","category":"construction","risk_level":2}}}`
	}
	for _, name := range []string{`工地\u0000边坡`, "工地\xff边坡", "工地\xe5\x90"} {
		code, er := send("worker1", "/api/v1/proposals", [][2]string{{"proposal", doc(name)}}, true)
		if code != 400 || field(er) != "proposal.feature.properties.name" {
			t.Errorf("proposal named %q: %d %+v, want 400 naming proposal.feature.properties.name", name, code, er)
		}
	}
	var list struct {
		Proposals []proposal `json:"proposals"`
	}
	if res := e.do("GET", "/api/v1/proposals?state=pending", "worker1", nil, &list); res.StatusCode != 200 || len(list.Proposals) != 0 {
		t.Errorf("after refused proposals: %d %s, want none stored", res.StatusCode, res.Body)
	}
	// the same proposal, clean, is taken
	if code, er := send("worker1", "/api/v1/proposals", [][2]string{{"proposal", doc("工地边坡")}}, true); code != 201 {
		t.Errorf("a clean proposal: %d %+v", code, er)
	}
	for _, note := range []string{`巡查\u0000`, "巡查\xff"} {
		code, er := send("worker1", "/api/v1/patrols", [][2]string{{"patrol", `{"type":"Feature","properties":{"note":"` + note + `"}}`}}, false)
		if code != 400 || field(er) != "patrol.properties.note" {
			t.Errorf("patrol noted %q: %d %+v, want 400 naming patrol.properties.note", note, code, er)
		}
	}
	for _, v := range []string{"risk\x00_points", "risk_points\xff"} {
		code, er := send("admin", "/api/v1/imports", [][2]string{{"layer", v}}, true)
		if code != 400 || field(er) != "layer" {
			t.Errorf("import layer %q: %d %+v, want 400 naming layer", v, code, er)
		}
	}
}

// Numbers no handler expects (NaN, infinities, overflow, huge counts) in
// every query value of every matrix route and in every number of its JSON
// body answer a 4xx with the JSON error body, never a 5xx (finding 8,
// probed on every route, new ones included once they have their row).
func TestOddNumbersInEveryInputAreNever5xx(t *testing.T) {
	e := newEnv(t)
	s := seed(t, e)
	odd := []string{"NaN", "Inf", "-Inf", "1e309", "-1", "99999999999999999999", "0x10", "1_000"}
	check := func(name, method, path, body string) {
		t.Helper()
		res := e.doToken(method, path, e.token["admin"], body)
		var er apiError
		if res.StatusCode >= 500 || (res.StatusCode >= 400 && (json.Unmarshal(res.Body, &er) != nil || er.Error.Code == "")) {
			t.Errorf("%s: %s %s: %d %.200s, want no 5xx and a JSON error body", name, method, path, res.StatusCode, res.Body)
		}
	}
	for _, spec := range allSpecs() {
		r, ok := spec.build(s, "admin", true)
		if !ok || r.path == "/api/v1/events" {
			continue
		}
		u, _ := url.Parse(r.path)
		for k := range u.Query() {
			for _, v := range odd {
				q := u.Query()
				q.Set(k, v)
				check("query "+k+"="+v, r.method, u.Path+"?"+q.Encode(), r.body)
			}
		}
		// every number in a JSON body, one at a time, as raw JSON
		if !strings.ContainsAny(r.body, "0123456789") || (r.body[0] != '{' && r.body[0] != '[') {
			continue
		}
		for _, loc := range numberRE.FindAllStringIndex(r.body, -1) {
			for _, v := range []string{"1e309", "-1e309", "99999999999999999999", "-0", "1.5"} {
				check(fmt.Sprintf("body number at %d = %s", loc[0], v), r.method, r.path, r.body[:loc[0]+1]+v+r.body[loc[1]:])
			}
		}
	}
}

// numberRE finds JSON numbers that follow a colon, a comma or a bracket
// (the match keeps that character first).
var numberRE = regexp.MustCompile(`[:,\[]\s*-?\d+(\.\d+)?([eE][-+]?\d+)?`)
