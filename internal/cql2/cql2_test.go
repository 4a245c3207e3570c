package cql2

import (
	"fmt"
	"strings"
	"testing"
)

// show prints a tree compactly for comparison.
func show(e *Expr) string {
	switch {
	case e.And != nil || e.Or != nil:
		op, xs := "AND", e.And
		if e.Or != nil {
			op, xs = "OR", e.Or
		}
		parts := make([]string, len(xs))
		for i, x := range xs {
			parts[i] = show(x)
		}
		return "(" + strings.Join(parts, " "+op+" ") + ")"
	case e.Not != nil:
		return "NOT " + show(e.Not)
	case strings.HasPrefix(e.Op, "IS"):
		return e.Property + " " + e.Op
	}
	v := e.Value
	var s string
	switch v.Kind {
	case String:
		s = "'" + v.Text + "'"
	case Number:
		s = fmt.Sprint(v.Num)
	case Boolean:
		s = fmt.Sprint(v.Bool)
	default:
		s = v.Time.Format("2006-01-02T15:04:05Z07:00")
	}
	return e.Property + e.Op + s
}

func TestParseBasicCQL2(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"risk_level = 1", "risk_level=1"},
		{"risk_level=1 AND category='flood'", "(risk_level=1 AND category='flood')"},
		{"(risk_level = 1) AND (category = 'flood')", "(risk_level=1 AND category='flood')"},
		{"a=1 or b=2 and c=3", "(a=1 OR (b=2 AND c=3))"},
		{"NOT (a <> 'x''y')", "NOT a<>'x'y'"},
		{"3 < risk_level", "risk_level>3"},
		{"population_exposed >= 1e3", "population_exposed>=1000"},
		{"status IS NULL and phone is not null", "(status IS NULL AND phone IS NOT NULL)"},
		{`"名称" = '风险点'`, "名称='风险点'"},
		{"on_duty_24h = TRUE", "on_duty_24h=true"},
		{"last_inspection >= DATE('2026-01-01')", "last_inspection>=2026-01-01T00:00:00Z"},
		{"updated_at < TIMESTAMP('2026-01-01T08:00:00+08:00')", "updated_at<2026-01-01T08:00:00+08:00"},
		{"x = -2.5", "x=-2.5"},
	} {
		e, err := Parse(c.in)
		if err != nil {
			t.Errorf("%s: %v", c.in, err)
			continue
		}
		if got := show(e); got != c.want {
			t.Errorf("%s: %s, want %s", c.in, got, c.want)
		}
	}
}

func TestParseRefusesNamingWhereAndWhy(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"", "ends too soon"},
		{"risk_level", "want a comparison"},
		{"risk_level = ", "ends too soon"},
		{"name = 'open", "not closed"},
		{"a = b", "two properties"},
		{"1 = 2", "property name on one side"},
		{"a = 1 AND", "ends too soon"},
		{"(a = 1", "want )"},
		{"a = 1)", "unexpected"},
		{"a ~ 1", "unexpected"},
		{"a = DATE('2026-13-01')", "YYYY-MM-DD"},
		{"a LIKE 'x%'", "want a comparison"},
		{strings.Repeat("(", 30) + "a=1" + strings.Repeat(")", 30), "nested"},
		{strings.Repeat("a=1 AND ", 600) + "a=1", "longer than"},
	} {
		_, err := Parse(c.in)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: error %v, want one saying %q", c.in, err, c.want)
		}
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"a=1", "a='x' AND NOT (b<>2 OR c IS NULL)", "DATE('2026-01-01') < d"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		_, _ = Parse(s) // never panics
	})
}
