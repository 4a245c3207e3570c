package api_test

import (
	"encoding/json"
	"strings"
	"testing"

	"riskmap"
)

// Free text has a length cap everywhere (issue #15, finding 9): an action's
// note or reason of 100,000 characters (in the issue) went into the append-only history.
func TestFreeTextLongerThanItsCapIsRefusedNamingTheField(t *testing.T) {
	e := newCaseEnv(t)
	c := e.newCase("worker1", 115.2, 23.0, nil)
	long := strings.Repeat("长", 20_000) // (the test server takes 64 KiB bodies)
	for _, body := range []map[string]any{
		{"action": "register", "version": 1, "note": long},
		{"action": "void", "version": 1, "reason": long},
		{"action": "register", "version": 1, "note": strings.Repeat("x", 2001)},
	} {
		res, _ := e.act("xingang", c.ID, body)
		var er apiError
		_ = json.Unmarshal(res.Body, &er)
		field := "note"
		if _, ok := body["reason"]; ok {
			field = "reason"
		}
		if res.StatusCode != 422 || len(er.Error.Details) == 0 || er.Error.Details[0].Field != field {
			t.Errorf("%s of %d characters: %d %s", field, len([]rune(body[field].(string))), res.StatusCode, res.Body[:min(len(res.Body), 200)])
		}
	}
	if d := e.get("xingang", c.ID); len(d.Events) != 1 || d.Properties["version"] != float64(1) {
		t.Errorf("the case moved: %d events, version %v", len(d.Events), d.Properties["version"])
	}
	// 2,000 characters are taken
	e.mustAct("xingang", c.ID, map[string]any{"action": "register", "version": 1, "note": strings.Repeat("长", 2000)})
	for _, r := range []struct{ path, body, field string }{
		{"/api/v1/auth/login", `{"username":"` + strings.Repeat("u", 101) + `","password":"whatever-1"}`, "username"},
		{"/api/v1/auth/login", `{"username":"admin","password":"` + strings.Repeat("p", 1025) + `"}`, "password"},
	} {
		res := e.do("POST", r.path, "", r.body, nil)
		var er apiError
		_ = json.Unmarshal(res.Body, &er)
		if res.StatusCode != 400 || len(er.Error.Details) == 0 || er.Error.Details[0].Field != r.field {
			t.Errorf("%s with a long %s: %d %s", r.path, r.field, res.StatusCode, res.Body)
		}
	}
	res := e.do("POST", "/api/v1/users", "admin", map[string]any{"username": "new", "role": "city", "areas": []string{"441500000000"},
		"password": "long-enough-1", "display_name": strings.Repeat("名", 101)}, nil)
	if res.StatusCode != 422 || !strings.Contains(string(res.Body), "display_name") {
		t.Errorf("a display name of 101 characters: %d %s", res.StatusCode, res.Body)
	}
}

// No route takes a text longer than its cap: every string of every JSON
// body in the security matrix, replaced in turn by 2,001 characters (past
// MaxLongText, the largest cap on free text), is refused with a 4xx and
// the JSON error body, never stored (issue #15, finding 9; a new route's
// fields are probed as soon as it has its matrix row).
func TestNoRouteTakesTextLongerThanTheLargestCap(t *testing.T) {
	e := newEnv(t)
	s := seed(t, e)
	long := strings.Repeat("长", riskmap.MaxLongText+1)
	for _, spec := range allSpecs() {
		r, ok := spec.build(s, "admin", true)
		if !ok || r.path == "/api/v1/events" {
			continue
		}
		var doc any
		if json.Unmarshal([]byte(r.body), &doc) != nil {
			continue
		}
		for i := range countStrings(doc) {
			res := e.doToken(r.method, r.path, e.token["admin"], replaceString(doc, i, long))
			var er apiError
			if res.StatusCode < 400 || res.StatusCode >= 500 || json.Unmarshal(res.Body, &er) != nil || er.Error.Code == "" {
				t.Errorf("%s %s, string %d of %s made 2,001 characters long: %d %.200s, want a 4xx", r.method, r.path, i, r.body, res.StatusCode, res.Body)
			}
		}
	}
}
