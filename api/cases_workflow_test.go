package api_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
)

// The closed loop as docs/domain.md writes it, restated here independently of
// cases.Rules so the test checks the code against the spec, not itself.
var domainLoop = map[string]struct {
	from []string
	to   string
	who  string // office: township/county/city in scope; county: county/city in scope; assignee; approver
}{
	"register": {[]string{"reported"}, "registered", "office"},
	"void":     {[]string{"reported"}, "void", "office"},
	"merge":    {[]string{"reported", "registered", "assigned", "rectifying", "submitted", "suspended"}, "duplicate", "office"},
	"assign":   {[]string{"registered"}, "assigned", "office"},
	"return":   {[]string{"assigned"}, "registered", "assignee"},
	"start":    {[]string{"assigned"}, "rectifying", "assignee"},
	"extend":   {[]string{"rectifying"}, "rectifying", "office"},
	"suspend":  {[]string{"rectifying"}, "suspended", "county"},
	"resume":   {[]string{"suspended"}, "rectifying", "county"},
	"submit":   {[]string{"rectifying"}, "submitted", "assignee"},
	"approve":  {[]string{"submitted"}, "closed", "approver"},
	"reject":   {[]string{"submitted"}, "rectifying", "approver"},
	"reopen":   {[]string{"closed"}, "rectifying", "county"},
}

var allStates = []string{"reported", "registered", "assigned", "rectifying", "submitted", "closed", "void", "duplicate", "suspended"}

// actors of the matrix: the assignee (worker1, grid 001), another worker,
// offices in and out of scope, the city, the planner and the admin.
var matrixActors = []struct {
	user, role string
	sees       bool // the case (grid 441502001001001) is in scope or assigned to them
}{
	{"worker1", "worker", true},
	{"worker2", "worker", false},
	{"xingang", "township", true},
	{"xiangzhou", "township", false},
	{"chengqu", "county", true},
	{"haifeng", "county", false},
	{"city", "city", true},
	{"planner", "planner", true},
	{"admin", "admin", true},
}

// expected is the status docs/domain.md implies for actor doing action on a
// case of grade in state (assigned to and submitted by worker1).
func expected(action, state, grade, user, role string, sees bool) int {
	spec := domainLoop[action]
	office := role == "township" || role == "county" || role == "city"
	county := role == "county" || role == "city"
	var ever bool
	switch spec.who {
	case "office", "approver":
		ever = office
	case "county":
		ever = county
	case "assignee":
		ever = role != "planner" && role != "admin"
	}
	switch {
	case !ever:
		return 403
	case !sees:
		return 403
	case !slices.Contains(spec.from, state):
		return 409
	case spec.who == "assignee" && user != "worker1":
		return 403
	case spec.who == "approver" && grade == "major" && !county:
		return 403
	case action == "suspend" && grade != "major":
		return 409
	}
	return 200
}

func TestEveryTransitionForEveryRoleFollowsDomainMD(t *testing.T) {
	e := newCaseEnv(t)
	ctx := context.Background()
	w1 := e.ids["worker1"]
	n200 := 0
	for _, grade := range []string{"general", "major"} {
		// the case merges point at
		target := e.newCase("worker1", 115.25, 23.25, map[string]any{"grade": grade})
		for _, action := range []string{"register", "void", "merge", "assign", "return", "start", "extend", "suspend", "resume", "submit", "approve", "reject", "reopen"} {
			for _, state := range allStates {
				for _, a := range matrixActors {
					name := fmt.Sprintf("%s/%s/%s/%s", grade, action, state, a.user)
					var id string
					err := e.pool.QueryRow(ctx, `INSERT INTO cases (id, state, grade, category, description, reporter_id, reporter_name,
							assignee_id, assignee_name, deadline, submitted_by, closed_at, duplicate_of, geom)
						VALUES (gen_random_uuid(), $1, $2, 'flood', '矩阵', $3, 'worker1',
							CASE WHEN $1 IN ('reported', 'registered', 'void') THEN NULL ELSE $3::bigint END,
							CASE WHEN $1 IN ('reported', 'registered', 'void') THEN NULL ELSE 'worker1' END,
							now() + interval '10 days',
							CASE WHEN $1 IN ('submitted', 'closed') THEN $3::bigint END,
							CASE WHEN $1 = 'closed' THEN now() - interval '1 day' END,
							CASE WHEN $1 = 'duplicate' THEN $4::uuid END,
							ST_SetSRID(ST_MakePoint(115.2, 23.0), 4326))
						RETURNING id::text`, state, grade, w1, target.ID).Scan(&id)
					if err != nil {
						t.Fatalf("%s: setup: %v", name, err)
					}
					var photo string
					if err := e.pool.QueryRow(ctx, `INSERT INTO attachments (case_id, sha256, content_type, size, blob_key)
						VALUES ($1, repeat('a', 64), 'image/png', 10, 'sha256/aa/' || repeat('a', 64)) RETURNING id::text`, id).Scan(&photo); err != nil {
						t.Fatal(err)
					}
					body := map[string]any{"action": action, "version": 1}
					switch action {
					case "void", "return", "reject", "reopen":
						body["reason"] = "理由"
					case "merge":
						body["duplicate_of"] = target.ID
					case "assign":
						body["assignee"], body["deadline"] = w1, future(20)
						body["measures"], body["funds"], body["plan"] = "措施", "资金", "预案"
					case "extend":
						body["deadline"], body["reason"] = future(30), "天气"
					case "suspend":
						body["reason"], body["interim_controls"] = "停产整改", "围挡警示"
					case "submit":
						body["attachments"] = []string{photo}
					case "approve":
						body["note"] = "核查通过"
					}
					want := expected(action, state, grade, a.user, a.role, a.sees)
					res := e.do("POST", "/api/v1/cases/"+id+"/actions", a.user, body, nil)
					if res.StatusCode != want {
						t.Errorf("%s: status %d, want %d: %s", name, res.StatusCode, want, res.Body)
						continue
					}
					var gotState string
					var events int
					var last struct{ from, to, action, role string }
					queryRow(t, e.pool, `SELECT c.state, (SELECT count(*) FROM case_events WHERE case_id = c.id) FROM cases c WHERE c.id = $1`, id).Scan(&gotState, &events)
					if want != 200 {
						if gotState != state || events != 0 {
							t.Errorf("%s: refused, yet state %s and %d events", name, gotState, events)
						}
						continue
					}
					n200++
					e.pool.QueryRow(ctx, `SELECT coalesce(from_state, ''), to_state, action, role FROM case_events WHERE case_id = $1`, id).
						Scan(&last.from, &last.to, &last.action, &last.role)
					to := domainLoop[action].to
					if gotState != to || events != 1 || last.from != state || last.to != to || last.action != action || last.role != a.role {
						t.Errorf("%s: state %s, %d events, last %+v; want %s and one event %s→%s", name, gotState, events, last, to, state, to)
					}
				}
			}
		}
	}
	// every action is legal somewhere
	if n200 < 40 {
		t.Errorf("only %d moves succeeded", n200)
	}
}
