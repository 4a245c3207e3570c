package api_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
)

type assigneesReply struct {
	Assignees []struct {
		ID          int64    `json:"id"`
		Username    string   `json:"username"`
		Role        string   `json:"role"`
		Grids       []string `json:"grids"`
		GridNames   []string `json:"grid_names"`
		Communities []string `json:"communities"`
		OwnGrid     bool     `json:"own_grid"`
	} `json:"assignees"`
}

// assignees asks who user may assign case id to.
func (e *caseEnv) assignees(user, id string) assigneesReply {
	e.t.Helper()
	var r assigneesReply
	if res := e.do("GET", "/api/v1/cases/"+id+"/assignees", user, nil, &r); res.StatusCode != http.StatusOK {
		e.t.Fatalf("assignees: %d %s", res.StatusCode, res.Body)
	}
	return r
}

func TestAssigneesAreWhoTheAssignActionAccepts(t *testing.T) {
	e := newCaseEnv(t)
	d := e.newCase("worker1", 115.2, 23.0, nil) // grid 441502001001001 of 新港
	e.mustAct("xingang", d.ID, map[string]any{"action": "register", "version": d.version()})
	r := e.assignees("xingang", d.ID)
	var names []string
	for _, a := range r.Assignees {
		names = append(names, a.Username)
	}
	// the worker of the case's own grid first, then the other worker of the
	// township, then the township offices whose area holds the case; not
	// worker3 (香洲), xiangzhou, the county and city bureaus (they assign,
	// they do not rectify), haifeng, the planner or the admin
	want := []string{"worker1", "worker2", "xingang", "xingang2"}
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
	// those not listed are refused
	for _, who := range []string{"worker3", "chengqu", "city"} {
		c := e.newCase("xingang", 115.2, 23.0, map[string]any{"description": "not " + who})
		c = e.mustAct("xingang", c.ID, map[string]any{"action": "register", "version": c.version()})
		if res, _ := e.act("xingang", c.ID, map[string]any{"action": "assign", "version": c.version(), "assignee": e.ids[who], "deadline": future(7)}); res.StatusCode != http.StatusUnprocessableEntity {
			t.Errorf("assign to %s: %d, want 422", who, res.StatusCode)
		}
	}
}

func TestAssigneesNameTheirGridsAndCommunities(t *testing.T) {
	e := newCaseEnv(t)
	d := e.newCase("worker1", 115.2, 23.0, nil)
	r := e.assignees("xingang", d.ID)
	for _, a := range r.Assignees {
		if len(a.GridNames) != len(a.Grids) {
			t.Errorf("%s: grid names %v for grids %v", a.Username, a.GridNames, a.Grids)
		}
		if a.Role == "worker" && len(a.Communities) == 0 {
			t.Errorf("%s: no community named", a.Username)
		}
	}
	if w := r.Assignees[0]; len(w.GridNames) != 1 || w.GridNames[0] == w.Grids[0] || len(w.Communities) != 1 {
		t.Errorf("worker1: %+v, want the grid's name and its community", w)
	}
}

func TestAssigneesOfAGridWithoutItsOwnWorkerMarkNobodyAsOwn(t *testing.T) {
	e := newCaseEnv(t)
	// worker2 moves to worker1's grid: 立新第2网格 has no worker of its own
	if _, err := e.pool.Exec(context.Background(), "UPDATE user_grids SET grid_code = '441502001001001' WHERE grid_code = '441502001001002'"); err != nil {
		t.Fatal(err)
	}
	d := e.newCase("xingang", 115.7, 23.0, nil) // 立新第2网格
	r := e.assignees("xingang", d.ID)
	var names []string
	for _, a := range r.Assignees {
		names = append(names, a.Username)
		if a.OwnGrid {
			t.Errorf("%s is marked as the worker of the case's grid, which has none", a.Username)
		}
	}
	if want := "worker1 worker2 xingang xingang2"; strings.Join(names, " ") != want {
		t.Errorf("assignees %v, want %s", names, want)
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
