package cases

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/paulmach/orb"

	"riskmap"
	"riskmap/geo"
)

// Finding is one hidden hazard a patrol or an inspection found: it
// becomes a case (Store.OpenIn). Grade defaults to general; Category, when
// empty, is the finder's default (a patrolled point's category); Location,
// when nil, the place of what was patrolled or inspected.
type Finding struct {
	Description string     `json:"description"`
	Grade       string     `json:"grade"`
	Category    string     `json:"category,omitempty"`
	Location    *orb.Point `json:"location,omitempty"`
}

// ParseFindings reads a list of findings ({description, grade, category,
// location}); categories are those of risk points (the cases' list).
func ParseFindings(raw json.RawMessage, field string, crs geo.CRS, bounds *geo.Bounds, bad func(string, string, ...any)) []Finding {
	var items []map[string]json.RawMessage
	if err := json.Unmarshal(raw, &items); err != nil {
		bad(field, "want a list of hidden hazards, each {\"description\", \"grade\", \"category\"}: %v", err)
		return nil
	}
	if len(items) > 50 {
		bad(field, "at most 50 hidden hazards at once, got %d", len(items))
		return nil
	}
	out := make([]Finding, 0, len(items))
	for i, it := range items {
		f := Finding{Grade: "general"}
		at := fmt.Sprintf("%s[%d]", field, i)
		for _, k := range sortedKeys(it) {
			v := it[k]
			if string(v) == "null" {
				continue
			}
			switch k {
			case "description":
				var s string
				if json.Unmarshal(v, &s) != nil {
					bad(at+".description", "want a string")
				} else if s = strings.TrimSpace(s); s == "" {
					bad(at+".description", "may not be empty")
				} else if len([]rune(s)) > 2000 {
					bad(at+".description", "longer than 2000 characters")
				} else {
					f.Description = s
				}
			case "grade":
				f.Grade = EnumValue(v, Grades, at+".grade", bad)
			case "category":
				f.Category = EnumValue(v, Categories, at+".category", bad)
			case "location":
				p, err := ParsePoint(v, at+".location", crs, bounds)
				if err != nil {
					for _, d := range riskmap.ErrorDetails(err) {
						bad(d.Field, "%s", d.Message)
					}
				} else {
					f.Location = &p
				}
			default:
				bad(at+"."+k, "unknown property of a hidden hazard (allowed: description, grade, category, location)")
			}
		}
		if d, sent := it["description"]; !sent || string(d) == "null" {
			bad(at+".description", "required: what is wrong")
		}
		out = append(out, f)
	}
	return out
}
