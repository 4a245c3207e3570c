package cases_test

import (
	"testing"

	"riskmap"
	"riskmap/cases"
)

func TestAChangeIsVisibleToItsAreaAndItsAssignees(t *testing.T) {
	id := func(n int64) *int64 { return &n }
	grid := func(s string) *string { return &s }
	worker := &riskmap.User{ID: 7, Role: riskmap.RoleWorker, Grids: []string{"441502001001001"}}
	township := &riskmap.User{ID: 8, Role: riskmap.RoleTownship, Areas: []string{"441502001000"}}
	county := &riskmap.User{ID: 9, Role: riskmap.RoleCounty, Areas: []string{"441521000000"}}
	admin := &riskmap.User{ID: 10, Role: riskmap.RoleAdmin}
	for _, c := range []struct {
		name string
		ch   cases.Change
		u    *riskmap.User
		want bool
	}{
		{"worker, own grid", cases.Change{GridCode: "441502001001001"}, worker, true},
		{"worker, other grid", cases.Change{GridCode: "441502001001002"}, worker, false},
		{"worker, assigned elsewhere", cases.Change{GridCode: "441502001001002", Assignee: id(7)}, worker, true},
		{"worker, taken away", cases.Change{GridCode: "441502001001002", PreviousAssignee: id(7)}, worker, true},
		{"township, inside", cases.Change{GridCode: "441502001001002"}, township, true},
		{"township, other township", cases.Change{GridCode: "441502002001001"}, township, false},
		{"township, moved out by a grid redraw", cases.Change{GridCode: "441502002001001", PreviousGridCode: grid("441502001001002")}, township, true},
		{"county, other county", cases.Change{GridCode: "441502001001001"}, county, false},
		{"admin", cases.Change{GridCode: "441502001001001"}, admin, true},
	} {
		if got := c.ch.VisibleTo(c.u); got != c.want {
			t.Errorf("%s: %v, want %v", c.name, got, c.want)
		}
	}
}

func TestASlowSubscriberIsDroppedNotWaitedFor(t *testing.T) {
	f := cases.NewFeed(newPool(t), nil)
	u := &riskmap.User{ID: 1, Role: riskmap.RoleAdmin}
	slow := f.Subscribe(u)
	fast := f.Subscribe(u)
	for i := range 300 {
		f.Publish(cases.Change{ID: "x", Version: i, GridCode: "441502001001001"})
		select {
		case <-fast.C:
		default:
			t.Fatalf("the fast subscriber missed change %d", i)
		}
	}
	select {
	case <-slow.Lost:
	default:
		t.Fatal("the slow subscriber was not dropped")
	}
	if f.Subscribers() != 1 {
		t.Errorf("%d subscribers", f.Subscribers())
	}
}
