package inspections

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"slices"
	"strings"
	"time"

	"riskmap"
	"riskmap/cases"
	"riskmap/geo"
)

// Kinds of inspection: 日常 routine, 双随机 random, 专项 special, 复查 follow-up.
func Kinds() []string { return []string{"routine", "random", "special", "follow_up"} }

// Levels of the inspecting office: "市局检查" counts level city.
func Levels() []string {
	return []string{riskmap.RoleTownship, riskmap.RoleCounty, riskmap.RoleCity}
}

// Input is an inspection as the office sent it, checked for form.
type Input struct {
	ID             string // client-made UUID, lower case; "" = the server makes one
	HazardSourceID int64
	InspectedOn    time.Time // a date (midnight in Asia/Shanghai)
	Kind           string
	Inspectors     []int64 // user ids, at least two, in the order named
	Findings       []cases.Finding
	Penalty        *Penalty
	PlanID         int64
	Note           string
}

// Penalty is an administrative penalty (行政处罚): the decision's number and
// the fine in fen (hundredths of a yuan), counted exactly.
type Penalty struct {
	DecisionNo string `json:"decision_no"`
	AmountFen  int64  `json:"amount_fen"`
}

// Yuan is the fine in yuan, as the database keeps it (numeric(14, 2)).
func (p Penalty) Yuan() string { return fmt.Sprintf("%d.%02d", p.AmountFen/100, p.AmountFen%100) }

var fields = []string{"id", "hazard_source_id", "inspected_on", "kind", "inspectors", "findings", "penalty", "plan_id", "note"}

// Parse checks the body of POST /api/v1/inspections: every problem is named
// in one 422. Finding locations are in crs (converted to WGS84), inside
// bounds when it is non-nil.
func Parse(body []byte, crs geo.CRS, bounds *geo.Bounds) (*Input, error) {
	var raw map[string]json.RawMessage
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(&raw); err != nil || raw == nil {
		return nil, riskmap.Errorf(riskmap.EINVALID, "body is not a JSON object: %v", err)
	}
	if dec.More() {
		return nil, riskmap.Errorf(riskmap.EINVALID, "body has data after the object")
	}
	var problems []riskmap.Detail
	bad := func(field, format string, args ...any) {
		problems = append(problems, riskmap.Detail{Field: field, Message: fmt.Sprintf(format, args...)})
	}
	in := &Input{}
	for _, name := range slices.Sorted(maps.Keys(raw)) {
		v := raw[name]
		if string(v) == "null" {
			continue
		}
		switch name {
		case "id":
			var id string
			if json.Unmarshal(v, &id) != nil || !cases.ValidID(id) {
				bad(name, "want a UUID made by the client, got %s", v)
			} else {
				in.ID = strings.ToLower(id)
			}
		case "hazard_source_id":
			if json.Unmarshal(v, &in.HazardSourceID) != nil || in.HazardSourceID < 1 {
				bad(name, "want the id of a hazard source (an enterprise of the registry), got %s", v)
			}
		case "inspected_on":
			var s string
			var err error
			if err = json.Unmarshal(v, &s); err == nil {
				in.InspectedOn, err = time.ParseInLocation("2006-01-02", s, cases.Shanghai())
			}
			if err != nil {
				bad(name, "want a date YYYY-MM-DD, got %s", v)
			}
		case "kind":
			in.Kind = cases.EnumValue(v, Kinds(), name, bad)
		case "inspectors":
			var ids []int64
			if err := json.Unmarshal(v, &ids); err != nil {
				bad(name, "want a list of user ids (the enforcement officers), got %s", v)
				break
			}
			for i, id := range ids {
				if id < 1 {
					bad(fmt.Sprintf("inspectors[%d]", i), "want a user id, got %d", id)
				} else if slices.Contains(ids[:i], id) {
					bad(fmt.Sprintf("inspectors[%d]", i), "user %d is named twice", id)
				}
			}
			in.Inspectors = ids
		case "findings":
			in.Findings = cases.ParseFindings(v, name, crs, bounds, bad)
		case "penalty":
			in.Penalty = parsePenalty(v, bad)
		case "plan_id":
			if json.Unmarshal(v, &in.PlanID) != nil || in.PlanID < 1 {
				bad(name, "want the id of an inspection plan, got %s", v)
			}
		case "note":
			var s string
			if json.Unmarshal(v, &s) != nil || len([]rune(s)) > 2000 {
				bad(name, "want a string of at most 2000 characters")
			} else {
				in.Note = strings.TrimSpace(s)
			}
		default:
			bad(name, "unknown field of an inspection (allowed: %s)", strings.Join(fields, ", "))
		}
	}
	if in.PlanID > 0 && in.Kind == "" {
		in.Kind = "random" // a planned unit is a 双随机 inspection
	}
	for _, req := range []struct {
		name string
		set  bool
	}{{"hazard_source_id", in.HazardSourceID > 0}, {"inspected_on", !in.InspectedOn.IsZero()}, {"kind", in.Kind != ""}, {"inspectors", in.Inspectors != nil}} {
		if v, sent := raw[req.name]; !req.set && (!sent || string(v) == "null") {
			bad(req.name, "required")
		}
	}
	if in.Inspectors != nil && len(in.Inspectors) < 2 {
		bad("inspectors", "at least two enforcement officers inspect together (two are required by law), got %d", len(in.Inspectors))
	}
	if in.PlanID > 0 && in.Kind != "" && in.Kind != "random" {
		bad("kind", "an inspection of a planned 双随机 unit is of kind random, got %q", in.Kind)
	}
	if len(problems) > 0 {
		return nil, cases.Unprocessable(problems)
	}
	return in, nil
}

func parsePenalty(v json.RawMessage, bad func(string, string, ...any)) *Penalty {
	var p struct {
		DecisionNo *string          `json:"decision_no"`
		AmountYuan *json.RawMessage `json:"amount_yuan"`
	}
	dec := json.NewDecoder(bytes.NewReader(v))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p); err != nil {
		bad("penalty", `want {"decision_no": "...", "amount_yuan": N}: %v`, err)
		return nil
	}
	out := &Penalty{}
	if p.DecisionNo == nil || strings.TrimSpace(*p.DecisionNo) == "" {
		bad("penalty.decision_no", "required: the number of the penalty decision (处罚决定书文号)")
	} else if s := strings.TrimSpace(*p.DecisionNo); len([]rune(s)) > 100 {
		bad("penalty.decision_no", "longer than 100 characters")
	} else {
		out.DecisionNo = s
	}
	if p.AmountYuan == nil {
		bad("penalty.amount_yuan", "required: the fine in yuan (0 for a penalty without a fine)")
		return out
	}
	fen, err := parseYuan(*p.AmountYuan)
	if err != nil {
		bad("penalty.amount_yuan", "%v", err)
	}
	out.AmountFen = fen
	return out
}

// parseYuan reads an amount in yuan with at most two decimals, exactly (no
// float rounding): 4218600.5 is 421860050 fen.
func parseYuan(raw json.RawMessage) (int64, error) {
	s := strings.TrimSpace(string(raw))
	if unq, err := unquote(s); err == nil {
		s = unq
	}
	whole, frac, _ := strings.Cut(s, ".")
	if whole == "" || len(frac) > 2 || strings.ContainsAny(whole+frac, "+-eE") {
		return 0, fmt.Errorf("want an amount in yuan with at most two decimals, such as 12000 or 3500.50, got %s", raw)
	}
	for len(frac) < 2 {
		frac += "0"
	}
	var w, f int64
	for _, c := range whole {
		if c < '0' || c > '9' {
			return 0, fmt.Errorf("want an amount in yuan, got %s", raw)
		}
		if w > (math.MaxInt64/100-9)/10 {
			return 0, fmt.Errorf("amount %s is too large", raw)
		}
		w = w*10 + int64(c-'0')
	}
	for _, c := range frac {
		if c < '0' || c > '9' {
			return 0, fmt.Errorf("want an amount in yuan, got %s", raw)
		}
		f = f*10 + int64(c-'0')
	}
	if w >= 1e12 {
		return 0, fmt.Errorf("amount %s is more than the 999,999,999,999.99 yuan a record holds", raw)
	}
	return w*100 + f, nil
}

func unquote(s string) (string, error) {
	var out string
	err := json.Unmarshal([]byte(s), &out)
	return out, err
}

// fingerprint identifies an inspection's content, so a resend is told
// apart from another inspection reusing an id.
func (in *Input) fingerprint() []byte {
	c := *in
	c.ID = ""
	b, _ := json.Marshal(c)
	h := sha256.Sum256(b)
	return h[:]
}
