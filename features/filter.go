package features

import (
	"fmt"
	"strings"
	"time"

	"riskmap"
	"riskmap/internal/cql2"
)

// Queryable is a property a request may filter a layer on (OGC API -
// Features Part 3 queryables): the layer's fields, where a feature lies
// (grid, village, township and county codes) and when it last changed.
type Queryable struct {
	Name string
	Kind Kind // Text for codes
	// Time marks updated_at, a timestamp
	Time bool
}

// Queryables lists the properties of l a filter may name.
func (l *Layer) Queryables() []Queryable {
	var out []Queryable
	for _, f := range l.Fields {
		out = append(out, Queryable{Name: f.Name, Kind: f.Kind})
	}
	for _, d := range []string{"grid_code", "village_code", "township_code", "county_code"} {
		if l.Filterable(d) {
			out = append(out, Queryable{Name: d, Kind: Text})
		}
	}
	return append(out, Queryable{Name: "updated_at", Time: true})
}

func (l *Layer) queryable(name string) (Queryable, bool) {
	for _, q := range l.Queryables() {
		if q.Name == name {
			return q, true
		}
	}
	return Queryable{}, false
}

// filterSQL turns a CQL2 expression over l (alias t) into SQL; its
// arguments are appended to args and numbered after them. Property names
// come from the layer's queryables only, literals are always parameters,
// and a literal must fit the property (a number for a number, a date for
// a date), so what reaches PostgreSQL never fails on a cast.
func filterSQL(l *Layer, e *cql2.Expr, args []any) (string, []any, error) {
	arg := func(v any, typ string) string {
		args = append(args, v)
		return fmt.Sprintf("$%d::%s", len(args), typ)
	}
	var walk func(e *cql2.Expr) (string, error)
	walk = func(e *cql2.Expr) (string, error) {
		switch {
		case e.And != nil || e.Or != nil:
			op, xs := " AND ", e.And
			if e.Or != nil {
				op, xs = " OR ", e.Or
			}
			parts := make([]string, len(xs))
			for i, x := range xs {
				s, err := walk(x)
				if err != nil {
					return "", err
				}
				parts[i] = s
			}
			return "(" + strings.Join(parts, op) + ")", nil
		case e.Not != nil:
			s, err := walk(e.Not)
			return "NOT " + s, err // SQL's three values, as OGR's own filters
		}
		q, ok := l.queryable(e.Property)
		if !ok {
			return "", filterError("property %q is not a queryable of %s (see /ogc/collections/%s/queryables)", e.Property, l.Name, l.Name)
		}
		col := "t." + q.Name // from the allow-list above
		if strings.HasPrefix(e.Op, "IS") {
			return "(" + col + " " + e.Op + ")", nil
		}
		v := e.Value
		want := func(what string) error {
			return filterError("%s %s: want %s", e.Property, e.Op, what)
		}
		var lit string
		switch {
		case q.Time:
			if v.Kind != cql2.Timestamp && v.Kind != cql2.Date {
				return "", want("TIMESTAMP('…') or DATE('…')")
			}
			lit = arg(v.Time, "timestamptz")
		case q.Kind == Int || q.Kind == IntEnum || q.Kind == Numeric:
			if v.Kind != cql2.Number {
				return "", want("a number")
			}
			lit = arg(v.Num, "numeric")
		case q.Kind == Bool:
			if v.Kind != cql2.Boolean {
				return "", want("TRUE or FALSE")
			}
			if e.Op != "=" && e.Op != "<>" {
				return "", want("= or <> for a boolean")
			}
			lit = arg(v.Bool, "boolean")
		case q.Kind == Date:
			switch v.Kind {
			case cql2.Date:
				lit = arg(v.Time.Format(time.DateOnly), "date")
			case cql2.String:
				d, err := time.Parse(time.DateOnly, v.Text)
				if err != nil {
					return "", want("DATE('YYYY-MM-DD')")
				}
				lit = arg(d.Format(time.DateOnly), "date")
			default:
				return "", want("DATE('YYYY-MM-DD')")
			}
		default:
			if v.Kind != cql2.String {
				return "", want("a 'string'")
			}
			lit = arg(v.Text, "text")
		}
		return "(" + col + " " + e.Op + " " + lit + ")", nil
	}
	s, err := walk(e)
	return s, args, err
}

func filterError(format string, a ...any) error {
	e := riskmap.Errorf(riskmap.EINVALID, "filter: "+format, a...)
	return e.WithDetails(riskmap.Detail{Field: "filter", Message: e.Message})
}
