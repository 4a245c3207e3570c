package features

import (
	"fmt"

	"riskmap"
)

// scopeFilter is the SQL predicate (with its arguments) that keeps a query
// inside the user's scope. col is a fixed column name from the layer spec.
// Codes nest by prefix (docs/domain.md), so "inside an area" is a prefix match on
// the 15-digit grid code, or the 12-digit area code for areas.
type scopeFilter struct {
	sql  string
	args []any
}

// filterFor builds the predicate for layer l; args are numbered from next.
func filterFor(l *Layer, s riskmap.Scope, next int) scopeFilter {
	if s.All {
		return scopeFilter{sql: "true"}
	}
	prefixes := make([]string, 0, len(s.Areas))
	for _, a := range s.Areas {
		prefixes = append(prefixes, riskmap.AreaPrefix(a)+"%")
	}
	if l.Name == "areas" {
		// an area is visible when it lies inside the scope, or contains
		// part of it (so a worker sees the village and township of a grid)
		codes := append(append([]string{}, s.Areas...), s.Grids...)
		return scopeFilter{
			sql:  fmt.Sprintf("(t.code LIKE ANY($%d::text[]) OR EXISTS (SELECT 1 FROM unnest($%d::text[]) s WHERE s LIKE riskmap_area_prefix(t.code) || '%%'))", next, next+1),
			args: []any{prefixes, codes},
		}
	}
	return scopeFilter{
		sql:  fmt.Sprintf("(t.%s = ANY($%d::text[]) OR t.%s LIKE ANY($%d::text[]))", l.ScopeColumn, next, l.ScopeColumn, next+1),
		args: []any{nonNil(s.Grids), prefixes},
	}
}

// ScopeSQL is filterFor for SQL written outside this package (the tile
// queries): the predicate over the table alias t and its arguments, numbered
// from next.
func ScopeSQL(l *Layer, s riskmap.Scope, next int) (string, []any) {
	f := filterFor(l, s, next)
	return f.sql, f.args
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// InScope reports whether a code (12-digit area or 15-digit grid) lies in s.
func InScope(s riskmap.Scope, code string) bool {
	if s.All {
		return true
	}
	for _, g := range s.Grids {
		if g == code {
			return true
		}
	}
	for _, a := range s.Areas {
		p := riskmap.AreaPrefix(a)
		if len(code) >= len(p) && code[:len(p)] == p {
			return true
		}
	}
	return false
}
