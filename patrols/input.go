package patrols

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"riskmap"
	"riskmap/cases"
	"riskmap/geo"
)

// Input is a patrol as the phone sent it, checked for form (the checks
// against the risk point and the clock come when it is recorded).
type Input struct {
	ID          string // the phone's UUID, lower case; "" = the server makes one
	Lon, Lat    float64
	RiskPointID int64
	DeviceTime  time.Time
	AccuracyM   *float64
	Checklist   Answers
	Result      string
	Note        string
	Findings    []cases.Finding
}

// Answers are a checklist's answers: the version of the list and the
// answer (AnswerOK, AnswerProblem, AnswerNA) to each item by key.
type Answers struct {
	Version int               `json:"version"`
	Answers map[string]string `json:"answers"`
}

type rawFeature struct {
	Type       string                     `json:"type"`
	ID         json.RawMessage            `json:"id"`
	Geometry   json.RawMessage            `json:"geometry"`
	Properties map[string]json.RawMessage `json:"properties"`
}

// properties names the patrol properties a phone may send.
var properties = []string{"risk_point_id", "device_time", "accuracy_m", "checklist", "result", "findings", "note"}

// Parse checks the patrol field: a GeoJSON Feature whose id is the
// phone's UUID, whose geometry is where the phone was (in crs, converted
// to WGS84; bounds, when non-nil, the city's box) and whose properties are
// the patrol's. Every problem is named in one 422.
func Parse(body []byte, crs geo.CRS, bounds *geo.Bounds) (*Input, error) {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	var f rawFeature
	if err := dec.Decode(&f); err != nil {
		return nil, riskmap.Errorf(riskmap.EINVALID, "patrol: not a valid GeoJSON Feature: %v", err)
	}
	if dec.More() {
		return nil, riskmap.Errorf(riskmap.EINVALID, "patrol: data after the Feature")
	}
	var problems []riskmap.Detail
	bad := func(field, format string, args ...any) {
		problems = append(problems, riskmap.Detail{Field: field, Message: fmt.Sprintf(format, args...)})
	}
	if f.Type != "Feature" {
		bad("type", "want \"Feature\", got %q", f.Type)
	}
	in := &Input{}
	if len(f.ID) > 0 && string(f.ID) != "null" {
		var id string
		if err := json.Unmarshal(f.ID, &id); err != nil || !cases.ValidID(id) {
			bad("id", "want a UUID made by the phone (e.g. 0b6f1c52-8a3e-4d0e-9b7a-2f5e1c9d4a10), got %s", f.ID)
		} else {
			in.ID = strings.ToLower(id)
		}
	}
	if len(f.Geometry) == 0 || string(f.Geometry) == "null" {
		bad("geometry", "required: the phone's position as a Point")
	} else if p, err := cases.ParsePoint(f.Geometry, "geometry", crs, bounds); err != nil {
		problems = append(problems, riskmap.ErrorDetails(err)...)
	} else {
		in.Lon, in.Lat = p[0], p[1]
	}
	for _, name := range slices.Sorted(maps.Keys(f.Properties)) {
		raw := f.Properties[name]
		field := "properties." + name
		if string(raw) == "null" {
			continue
		}
		switch name {
		case "risk_point_id":
			if json.Unmarshal(raw, &in.RiskPointID) != nil || in.RiskPointID < 1 {
				bad(field, "want a risk point id (a positive whole number), got %s", raw)
			}
		case "device_time":
			var s string
			t, err := time.Time{}, json.Unmarshal(raw, &s)
			if err == nil {
				t, err = time.Parse(time.RFC3339, s)
			}
			if err != nil {
				bad(field, "want the phone's time in RFC 3339, such as 2021-06-01T09:30:00+08:00, got %s", raw)
			} else {
				in.DeviceTime = t
			}
		case "accuracy_m":
			var a float64
			if json.Unmarshal(raw, &a) != nil || a < 0 || a > 100000 {
				bad(field, "want the position's accuracy in metres (0 to 100000), got %s", raw)
			} else {
				in.AccuracyM = &a
			}
		case "checklist":
			parseChecklist(raw, field, in, bad)
		case "result":
			in.Result = cases.EnumValue(raw, []string{Normal, Problem}, field, bad)
		case "note":
			var s string
			if json.Unmarshal(raw, &s) != nil || len([]rune(s)) > 2000 {
				bad(field, "want a string of at most 2000 characters")
			} else {
				in.Note = strings.TrimSpace(s)
			}
		case "findings":
			in.Findings = cases.ParseFindings(raw, field, crs, bounds, bad)
		default:
			bad(field, "unknown property of a patrol (allowed: %s)", strings.Join(properties, ", "))
		}
	}
	for _, req := range []struct {
		name string
		set  bool
	}{{"risk_point_id", in.RiskPointID > 0}, {"device_time", !in.DeviceTime.IsZero()}, {"checklist", in.Checklist.Answers != nil},
		{"result", in.Result != ""}} {
		if raw, sent := f.Properties[req.name]; !req.set && (!sent || string(raw) == "null") {
			bad("properties."+req.name, "required")
		}
	}
	switch {
	case in.Result == Problem && len(in.Findings) == 0 && !hasProblem(problems, "properties.findings"):
		bad("properties.findings", "required when the result is problem: at least one hidden hazard with its description")
	case in.Result == Normal && len(in.Findings) > 0:
		bad("properties.findings", "a normal patrol finds no hidden hazard: send result problem, or no findings")
	}
	if in.Result == Normal {
		for _, k := range slices.Sorted(maps.Keys(in.Checklist.Answers)) {
			if in.Checklist.Answers[k] == AnswerProblem {
				bad("properties.checklist.answers."+k, "answered problem, but the result is normal")
			}
		}
	}
	if len(problems) > 0 {
		return nil, cases.Unprocessable(problems)
	}
	return in, nil
}

func hasProblem(problems []riskmap.Detail, field string) bool {
	for _, p := range problems {
		if strings.HasPrefix(p.Field, field) {
			return true
		}
	}
	return false
}

func parseChecklist(raw json.RawMessage, field string, in *Input, bad func(string, string, ...any)) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	var c Answers
	if err := dec.Decode(&c); err != nil {
		bad(field, `want {"version": N, "answers": {"item": "ok|problem|na", ...}}: %v`, err)
		return
	}
	if c.Version < 1 {
		bad(field+".version", "required: the version of the checklist answered")
	}
	if c.Answers == nil {
		bad(field+".answers", "required")
		return
	}
	for _, k := range slices.Sorted(maps.Keys(c.Answers)) {
		if !slices.Contains(AnswerValues(), c.Answers[k]) {
			bad(field+".answers."+k, "want ok, problem or na, got %q", c.Answers[k])
		}
	}
	in.Checklist = c
}

// fingerprint identifies a patrol's content (photos included, by their
// hashes), so a resend is told apart from another patrol reusing an id.
func (in *Input) fingerprint(photos []Photo) []byte {
	c := *in
	c.ID = ""
	c.DeviceTime = c.DeviceTime.UTC()
	b, _ := json.Marshal(struct {
		Input  Input
		Photos []string
	}{c, photoSums(photos)})
	h := sha256.Sum256(b)
	return h[:]
}
