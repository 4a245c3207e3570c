package api_test

import (
	"net/http"
	"testing"
)

type assigneesReply struct {
	Assignees []struct {
		ID       int64    `json:"id"`
		Username string   `json:"username"`
		Role     string   `json:"role"`
		Grids    []string `json:"grids"`
		OwnGrid  bool     `json:"own_grid"`
	} `json:"assignees"`
}

func TestAssigneesAreWhoTheAssignActionAccepts(t *testing.T) {
	e := newCaseEnv(t)
	d := e.newCase("worker1", 115.2, 23.0, nil) // grid 441502001001001 of 新港
	e.mustAct("xingang", d.ID, map[string]any{"action": "register", "version": d.version()})
	var r assigneesReply
	if res := e.do("GET", "/api/v1/cases/"+d.ID+"/assignees", "xingang", nil, &r); res.StatusCode != http.StatusOK {
		t.Fatalf("assignees: %d %s", res.StatusCode, res.Body)
	}
	var names []string
	for _, a := range r.Assignees {
		names = append(names, a.Username)
	}
	// the worker of the case's own grid first, then the other worker of the
	// township, then the offices whose area holds the case; not worker3 (香洲),
	// xiangzhou, haifeng, the planner or the admin
	want := []string{"worker1", "worker2", "xingang", "xingang2", "chengqu", "chengqu2", "city"}
	if len(names) != len(want) {
		t.Fatalf("assignees %v, want %v", names, want)
	}
	for i := range want {
		if names[i] != want[i] {
			t.Fatalf("assignees %v, want %v", names, want)
		}
	}
	if !r.Assignees[0].OwnGrid || r.Assignees[1].OwnGrid || len(r.Assignees[0].Grids) != 1 || r.Assignees[0].Grids[0] != "441502001001001" {
		t.Errorf("first assignee %+v: want worker1 of the case's own grid", r.Assignees[0])
	}
	// every listed user is accepted by assign (on a fresh case each time)
	for _, a := range r.Assignees {
		c := e.newCase("xingang", 115.2, 23.0, map[string]any{"description": "assignee " + a.Username})
		c = e.mustAct("xingang", c.ID, map[string]any{"action": "register", "version": c.version()})
		e.mustAct("xingang", c.ID, map[string]any{"action": "assign", "version": c.version(), "assignee": a.ID, "deadline": future(7)})
	}
	// one not listed is refused
	c := e.newCase("xingang", 115.2, 23.0, map[string]any{"description": "worker3"})
	c = e.mustAct("xingang", c.ID, map[string]any{"action": "register", "version": c.version()})
	if res, _ := e.act("xingang", c.ID, map[string]any{"action": "assign", "version": c.version(), "assignee": e.ids["worker3"], "deadline": future(7)}); res.StatusCode != http.StatusUnprocessableEntity {
		t.Errorf("assign to worker3 of another township: %d, want 422", res.StatusCode)
	}
}

func TestAssigneesAreForTheOfficesThatSeeTheCase(t *testing.T) {
	e := newCaseEnv(t)
	d := e.newCase("worker1", 115.2, 23.0, nil)
	for _, c := range []struct {
		user string
		want int
	}{
		{"xingang", 200}, {"chengqu", 200}, {"city", 200},
		{"xiangzhou", 404}, // another township: the case does not exist for it
		{"haifeng", 404},
		{"worker1", 403}, {"planner", 403}, {"admin", 403}, // roles that do not assign
	} {
		if res := e.do("GET", "/api/v1/cases/"+d.ID+"/assignees", c.user, nil, nil); res.StatusCode != c.want {
			t.Errorf("%s: %d, want %d (%s)", c.user, res.StatusCode, c.want, res.Body)
		}
	}
	if res := e.do("GET", "/api/v1/cases/not-a-uuid/assignees", "xingang", nil, nil); res.StatusCode != 404 {
		t.Errorf("bad id: %d, want 404", res.StatusCode)
	}
}
