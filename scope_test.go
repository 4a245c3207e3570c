package riskmap_test

import (
	"context"
	"slices"
	"testing"

	"github.com/jackc/pgx/v5"

	"riskmap"
	"riskmap/internal/dbtest"
)

func TestScopeContainsCodesByPrefix(t *testing.T) {
	county := riskmap.Scope{Areas: []string{"441502000000"}}
	township := riskmap.Scope{Areas: []string{"441502001000"}}
	worker := riskmap.Scope{Grids: []string{"441502001001001"}}
	for _, c := range []struct {
		name  string
		scope riskmap.Scope
		code  string
		want  bool
	}{
		{"everything holds any code", riskmap.Scope{All: true}, "441581105203001", true},
		{"a county holds its township", county, "441502001000", true},
		{"a county holds a grid of its township", county, "441502001001001", true},
		{"a county holds itself", county, "441502000000", true},
		{"a county does not hold the city", county, "441500000000", false},
		{"a county does not hold another county", county, "441581000000", false},
		{"a township holds its village", township, "441502001001", true},
		{"a township does not hold its sibling", township, "441502002000", false},
		{"a grid worker holds their grid", worker, "441502001001001", true},
		{"a grid worker does not hold the next grid", worker, "441502001001002", false},
		{"a grid worker does not hold their village", worker, "441502001001", false},
		{"an empty scope holds nothing", riskmap.Scope{}, "441502001001001", false},
	} {
		if got := c.scope.Contains(c.code); got != c.want {
			t.Errorf("%s: %+v.Contains(%s) = %v, want %v", c.name, c.scope, c.code, got, c.want)
		}
	}
}

func TestScopeOverlapsAreasNestingEitherWay(t *testing.T) {
	township := riskmap.Scope{Areas: []string{"441502001000"}}
	worker := riskmap.Scope{Grids: []string{"441502001001001"}}
	for _, c := range []struct {
		name  string
		scope riskmap.Scope
		area  string
		want  bool
	}{
		{"a township meets its county", township, "441502000000", true},
		{"a township meets the city", township, "441500000000", true},
		{"a township meets its village", township, "441502001001", true},
		{"a township does not meet its sibling", township, "441502002000", false},
		{"a grid meets its village", worker, "441502001001", true},
		{"a grid meets its township", worker, "441502001000", true},
		{"a grid does not meet the next village", worker, "441502001002", false},
		{"everything meets any area", riskmap.Scope{All: true}, "441581000000", true},
	} {
		if got := c.scope.Overlaps(c.area); got != c.want {
			t.Errorf("%s: %+v.Overlaps(%s) = %v, want %v", c.name, c.scope, c.area, got, c.want)
		}
	}
}

// The SQL predicates keep exactly the rows the Go rules keep, over every
// area and grid of the demo city, for scopes of every kind.
func TestScopeSQLKeepsWhatGoKeeps(t *testing.T) {
	pool := dbtest.New(t, dbtest.Demo)
	ctx := context.Background()
	codes := func(sql string, args ...any) []string {
		t.Helper()
		rows, err := pool.Query(ctx, sql, args...)
		if err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
		out, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
		return out
	}
	areas := codes("SELECT code FROM areas ORDER BY code")
	grids := codes("SELECT code FROM grids ORDER BY code")
	first := func(level string) string {
		return codes("SELECT code FROM areas WHERE level = $1 ORDER BY code LIMIT 1", level)[0]
	}
	scopes := map[string]riskmap.Scope{
		"all":            {All: true},
		"county":         {Areas: []string{first("county")}},
		"township":       {Areas: []string{first("township")}},
		"village":        {Areas: []string{first("village")}},
		"two townships":  {Areas: codes("SELECT code FROM areas WHERE level = 'township' ORDER BY code DESC LIMIT 2")},
		"grid worker":    {Grids: grids[:1]},
		"two-grid owner": {Grids: []string{grids[0], grids[len(grids)-1]}},
		"nothing":        {},
	}
	filter := func(all []string, keep func(string) bool) []string {
		out := []string{}
		for _, c := range all {
			if keep(c) {
				out = append(out, c)
			}
		}
		return out
	}
	for name, sc := range scopes {
		cond, args := sc.SQL("t.code", 1)
		if got, want := codes("SELECT t.code FROM grids t WHERE "+cond+" ORDER BY t.code", args...), filter(grids, sc.Contains); !slices.Equal(got, want) {
			t.Errorf("%s: SQL keeps grids %v, Contains keeps %v", name, got, want)
		}
		if got, want := codes("SELECT t.code FROM areas t WHERE "+cond+" ORDER BY t.code", args...), filter(areas, sc.Contains); !slices.Equal(got, want) {
			t.Errorf("%s: SQL keeps areas %v, Contains keeps %v", name, got, want)
		}
		cond, args = sc.AreaSQL("t.code", 1)
		if got, want := codes("SELECT t.code FROM areas t WHERE "+cond+" ORDER BY t.code", args...), filter(areas, sc.Overlaps); !slices.Equal(got, want) {
			t.Errorf("%s: AreaSQL keeps areas %v, Overlaps keeps %v", name, got, want)
		}
		if name != "all" && name != "nothing" && len(filter(grids, sc.Contains)) == 0 {
			t.Errorf("%s: the scope holds no grid of the demo city: the test proves nothing", name)
		}
	}
}
