package cases

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/paulmach/orb"

	"riskmap"
	"riskmap/geo"
)

// shanghai is the statistics' and deadlines' zone (China has kept UTC+8
// without daylight saving since 1991).
var shanghai = time.FixedZone("CST", 8*3600)

// Shanghai returns the zone dates are read in.
func Shanghai() *time.Location { return shanghai }

var uuidRe = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

// ValidID reports whether s is a UUID in its text form.
func ValidID(s string) bool { return uuidRe.MatchString(s) && s != nilUUID }

// nilUUID is no one's id: a client that sends it made none.
const nilUUID = "00000000-0000-0000-0000-000000000000"

// Unprocessable is the 422 naming each problem.
func Unprocessable(problems []riskmap.Detail) error {
	msgs := make([]string, len(problems))
	for i, p := range problems {
		msgs[i] = p.Field + ": " + p.Message
	}
	return riskmap.Errorf(riskmap.EUNPROCESSABLE, "%s", strings.Join(msgs, "; ")).WithDetails(problems...)
}

// ReportInput is a validated report.
type ReportInput struct {
	ID             string // client-made UUID, lower case; "" = the server makes one
	Lon, Lat       float64
	HasLocation    bool // false: take the location of the risk point or hazard source
	Grade          string
	Category       string
	Description    string
	DeviceTime     *time.Time
	RiskPointID    *int64
	HazardSourceID *int64
}

// Fingerprint identifies the report's content, so a resend of the same
// report is told apart from a different report reusing an id.
func (in *ReportInput) Fingerprint() []byte {
	c := *in
	c.ID = ""
	c.DeviceTime = utc(c.DeviceTime)
	b, _ := json.Marshal(c)
	h := sha256.Sum256(b)
	return h[:]
}

type rawReport struct {
	Type       string                     `json:"type"`
	ID         json.RawMessage            `json:"id"`
	Geometry   json.RawMessage            `json:"geometry"`
	Properties map[string]json.RawMessage `json:"properties"`
}

// ParseReport checks a GeoJSON Feature reporting a case. Coordinates come in
// crs and are converted to WGS84; bounds, when non-nil, is the city's box.
func ParseReport(body []byte, crs geo.CRS, bounds *geo.Bounds) (*ReportInput, error) {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	var f rawReport
	if err := dec.Decode(&f); err != nil {
		return nil, riskmap.Errorf(riskmap.EINVALID, "body is not a valid GeoJSON Feature: %v", err)
	}
	if dec.More() {
		return nil, riskmap.Errorf(riskmap.EINVALID, "body has data after the Feature")
	}
	var problems []riskmap.Detail
	bad := func(field, format string, args ...any) {
		problems = append(problems, riskmap.Detail{Field: field, Message: fmt.Sprintf(format, args...)})
	}
	if f.Type != "Feature" {
		bad("type", "want \"Feature\", got %q", f.Type)
	}
	in := &ReportInput{}
	if len(f.ID) > 0 && string(f.ID) != "null" {
		var id string
		if err := json.Unmarshal(f.ID, &id); err != nil || !ValidID(id) {
			bad("id", "want a UUID made by the client (e.g. 0b6f1c52-8a3e-4d0e-9b7a-2f5e1c9d4a10), got %s", f.ID)
		} else {
			in.ID = strings.ToLower(id)
		}
	}
	if len(f.Geometry) > 0 && string(f.Geometry) != "null" {
		if g, err := ParsePoint(f.Geometry, "geometry", crs, bounds); err != nil {
			return nil, err
		} else {
			in.Lon, in.Lat, in.HasLocation = g[0], g[1], true
		}
	}
	for _, name := range sortedKeys(f.Properties) {
		raw := f.Properties[name]
		field := "properties." + name
		switch name {
		case "grade":
			in.Grade = EnumValue(raw, Grades, field, bad)
		case "category":
			in.Category = EnumValue(raw, Categories, field, bad)
		case "description":
			var s string
			if json.Unmarshal(raw, &s) != nil {
				bad(field, "want a string")
			} else if s = strings.TrimSpace(s); s == "" {
				bad(field, "may not be empty")
			} else if d := riskmap.CheckLength(field, s, riskmap.MaxLongText); d != nil {
				problems = append(problems, *d)
			} else {
				in.Description = s
			}
		case "device_time":
			if string(raw) == "null" {
				continue
			}
			var s string
			t, err := time.Time{}, error(nil)
			if err = json.Unmarshal(raw, &s); err == nil {
				t, err = time.Parse(time.RFC3339, s)
			}
			if err != nil {
				bad(field, "want an RFC 3339 time such as 2021-06-01T09:30:00+08:00, got %s", raw)
			} else {
				in.DeviceTime = &t
			}
		case "risk_point_id", "hazard_source_id":
			if string(raw) == "null" {
				continue
			}
			var id int64
			if err := json.Unmarshal(raw, &id); err != nil || id < 1 {
				bad(field, "want a positive whole number, got %s", raw)
			} else if name == "risk_point_id" {
				in.RiskPointID = &id
			} else {
				in.HazardSourceID = &id
			}
		default:
			bad(field, "unknown property for a case report (allowed: grade, category, description, device_time, risk_point_id, hazard_source_id)")
		}
	}
	for _, req := range []struct {
		name string
		set  bool
	}{{"grade", in.Grade != ""}, {"category", in.Category != ""}, {"description", in.Description != ""}} {
		if _, sent := f.Properties[req.name]; !sent && !req.set {
			bad("properties."+req.name, "required")
		}
	}
	if !in.HasLocation && in.RiskPointID == nil && in.HazardSourceID == nil {
		bad("geometry", "required: a Point (or a risk_point_id or hazard_source_id whose location is taken)")
	}
	if len(problems) > 0 {
		return nil, Unprocessable(problems)
	}
	return in, nil
}

// EnumValue reads a JSON string that must be one of allowed, telling bad
// (field, format, args) otherwise.
func EnumValue(raw json.RawMessage, allowed []string, field string, bad func(string, string, ...any)) string {
	var s string
	if json.Unmarshal(raw, &s) != nil {
		bad(field, "want a string")
		return ""
	}
	if !slices.Contains(allowed, s) {
		bad(field, "unknown value %q; allowed: %s", s, strings.Join(allowed, ", "))
		return ""
	}
	return s
}

// ParsePoint validates a GeoJSON Point in crs and returns it in WGS84;
// errors name field. Reports, actions, patrols and inspections read their
// positions with it.
func ParsePoint(raw json.RawMessage, field string, crs geo.CRS, bounds *geo.Bounds) (orb.Point, error) {
	g, err := geo.ParseGeometry(raw)
	if err == nil {
		err = geo.CheckType(g, "Point")
	}
	if err != nil {
		return orb.Point{}, geometryError(field, err)
	}
	p := g.(orb.Point)
	if crs != "" && crs != geo.CRSWGS84 && crs != geo.CRSCGCS2000 {
		p[0], p[1] = geo.ToWGS84(crs, p[0], p[1])
	}
	if bounds != nil {
		if err := geo.CheckWithin(p, *bounds); err != nil {
			return orb.Point{}, geometryError(field, err)
		}
	}
	return p, nil
}

func geometryError(field string, err error) error {
	msg := err.Error()
	var ie *geo.InvalidError
	if errors.As(err, &ie) && field != "geometry" {
		msg = field + strings.TrimPrefix(msg, "geometry")
	}
	if !strings.HasPrefix(msg, field) {
		msg = field + ": " + msg
	}
	return riskmap.Errorf(riskmap.EUNPROCESSABLE, "%s", msg).WithDetails(riskmap.Detail{Field: field, Message: msg})
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// ActionInput is the body of POST /api/v1/cases/{id}/actions.
type ActionInput struct {
	Action          string          `json:"action"`
	Version         *int            `json:"version"`
	Assignee        *int64          `json:"assignee"`
	Deadline        *string         `json:"deadline"`
	Note            string          `json:"note"`
	Reason          string          `json:"reason"`
	Attachments     []string        `json:"attachments"`
	DuplicateOf     *string         `json:"duplicate_of"`
	Responsibility  string          `json:"responsibility"`
	Measures        string          `json:"measures"`
	Funds           string          `json:"funds"`
	Plan            string          `json:"plan"`
	InterimControls string          `json:"interim_controls"`
	Location        json.RawMessage `json:"location"`
	// ClientID, a UUID made by the client for this one action, makes it
	// idempotent: sent again, it answers the first reply and changes nothing.
	ClientID string `json:"client_id"`

	// set by ParseAction
	deadline *time.Time
	location *orb.Point
}

// sent lists the fields present (non-empty) in the body.
func (a *ActionInput) sent() map[string]bool {
	return map[string]bool{
		"assignee":         a.Assignee != nil,
		"deadline":         a.Deadline != nil,
		"note":             strings.TrimSpace(a.Note) != "",
		"reason":           strings.TrimSpace(a.Reason) != "",
		"attachments":      len(a.Attachments) > 0,
		"duplicate_of":     a.DuplicateOf != nil,
		"responsibility":   strings.TrimSpace(a.Responsibility) != "",
		"measures":         strings.TrimSpace(a.Measures) != "",
		"funds":            strings.TrimSpace(a.Funds) != "",
		"plan":             strings.TrimSpace(a.Plan) != "",
		"interim_controls": strings.TrimSpace(a.InterimControls) != "",
	}
}

// maxActionAttachments bounds the photos one action names.
const maxActionAttachments = 50

// ParseAction decodes and checks an action body: the action must exist,
// the version be given, and every field sent be one the action uses (none
// is silently ignored). Required fields are checked against the case later,
// as they depend on its grade.
func ParseAction(body []byte, crs geo.CRS, bounds *geo.Bounds) (*ActionInput, error) {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	var a ActionInput
	if err := dec.Decode(&a); err != nil {
		return nil, riskmap.Errorf(riskmap.EINVALID, "body is not a valid action: %v", err)
	}
	if dec.More() {
		return nil, riskmap.Errorf(riskmap.EINVALID, "body has data after the action")
	}
	var problems []riskmap.Detail
	bad := func(field, format string, args ...any) {
		problems = append(problems, riskmap.Detail{Field: field, Message: fmt.Sprintf(format, args...)})
	}
	r, ok := RuleFor(a.Action)
	if !ok {
		bad("action", "unknown action %q; allowed: %s", a.Action, strings.Join(ActionNames(), ", "))
		return nil, Unprocessable(problems)
	}
	if a.Version == nil {
		bad("version", "required: the version of the case you read")
	}
	for _, f := range []struct {
		name, value string
	}{{"note", a.Note}, {"reason", a.Reason}, {"responsibility", a.Responsibility}, {"measures", a.Measures},
		{"funds", a.Funds}, {"plan", a.Plan}, {"interim_controls", a.InterimControls}} {
		if d := riskmap.CheckLength(f.name, f.value, riskmap.MaxLongText); d != nil {
			problems = append(problems, *d)
		}
	}
	if len(a.Attachments) > maxActionAttachments {
		bad("attachments", "at most %d attachments an action, got %d", maxActionAttachments, len(a.Attachments))
	}
	used := append(append([]string{"note", "reason", "attachments"}, r.Required...), r.Allowed...)
	sent := a.sent()
	for _, f := range sortedKeys(sent) {
		if sent[f] && !slices.Contains(used, f) {
			bad(f, "not used by action %s", a.Action)
		}
	}
	if a.Deadline != nil {
		t, err := ParseDeadline(*a.Deadline)
		if err != nil {
			bad("deadline", "%v", err)
		} else {
			a.deadline = &t
		}
	}
	for i, id := range a.Attachments {
		if !ValidID(id) {
			bad(fmt.Sprintf("attachments[%d]", i), "want an attachment id (a UUID), got %q", id)
		}
		a.Attachments[i] = strings.ToLower(id)
	}
	if a.DuplicateOf != nil && !ValidID(*a.DuplicateOf) {
		bad("duplicate_of", "want a case id (a UUID), got %q", *a.DuplicateOf)
	}
	if a.ClientID != "" && !ValidID(a.ClientID) {
		bad("client_id", "want a UUID made by the client for this action (e.g. 0b6f1c52-8a3e-4d0e-9b7a-2f5e1c9d4a10), got %q", a.ClientID)
	}
	a.ClientID = strings.ToLower(a.ClientID)
	if len(problems) > 0 {
		return nil, Unprocessable(problems)
	}
	if len(a.Location) > 0 && string(a.Location) != "null" {
		p, err := ParsePoint(a.Location, "location", crs, bounds)
		if err != nil {
			return nil, err
		}
		a.location = &p
	}
	return &a, nil
}

// fingerprint identifies what an action asks of case id, so a resend of
// the same action is told apart from another action reusing its client id.
// Values are compared as parsed (a deadline as an instant, a location as
// its point), not as the bytes that carried them.
func (a *ActionInput) fingerprint(caseID string) []byte {
	c := *a
	c.ClientID, c.Location, c.Deadline = "", nil, nil
	b, _ := json.Marshal(struct {
		Case     string
		Action   ActionInput
		Deadline *time.Time
		Location *orb.Point
	}{caseID, c, utc(a.deadline), a.location})
	h := sha256.Sum256(b)
	return h[:]
}

func utc(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}

// ParseDeadline reads an RFC 3339 time, or a date YYYY-MM-DD meaning the end
// of that day in Asia/Shanghai.
func ParseDeadline(s string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	if d, err := time.ParseInLocation("2006-01-02", s, shanghai); err == nil {
		return d.Add(24*time.Hour - time.Second), nil
	}
	return time.Time{}, fmt.Errorf("want an RFC 3339 time such as 2021-06-30T18:00:00+08:00 or a date 2021-06-30, got %q", s)
}

// missing lists the required fields of r not sent, for a case of grade.
func (a *ActionInput) missing(r Rule, grade string) []riskmap.Detail {
	req := r.Required
	if grade == "major" {
		req = append(append([]string{}, req...), r.MajorRequired...)
	}
	sent := a.sent()
	var out []riskmap.Detail
	for _, f := range req {
		if !sent[f] {
			msg := "required for " + a.Action
			if slices.Contains(r.MajorRequired, f) {
				msg += " of a major hazard (五落实)"
			}
			out = append(out, riskmap.Detail{Field: f, Message: msg})
		}
	}
	return out
}
