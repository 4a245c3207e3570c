// Package cases is the closed loop of hidden hazards (隐患): reporting with
// offline-safe client ids, the workflow of docs/domain.md applied under row
// locks and optimistic versions, the append-only event history, evidence
// files, duplicates, deadlines and escalation, the live feed and the
// rectification statistics.
package cases

import (
	"slices"
	"time"

	"riskmap"
)

// States of docs/domain.md.
const (
	Reported   = "reported"
	Registered = "registered"
	Assigned   = "assigned"
	Rectifying = "rectifying"
	Submitted  = "submitted"
	Closed     = "closed"
	Void       = "void"
	Duplicate  = "duplicate"
	Suspended  = "suspended"
)

// OpenStates still need work: they can be overdue, merged, and are what
// duplicates are looked for among.
func OpenStates() []string {
	return []string{Reported, Registered, Assigned, Rectifying, Submitted, Suspended}
}

// IsOpen reports whether state still needs work.
func IsOpen(state string) bool { return slices.Contains(OpenStates(), state) }

// Grades and categories.
var (
	Grades     = []string{"general", "major"}
	Categories = []string{"geological", "flood", "reservoir", "coastal", "forest_fire",
		"crowded_place", "construction", "road_traffic", "fire", "other"}
)

// CategoryName and GradeName are the Chinese names of the codes, for
// messages people read.
func CategoryName(code string) string {
	if n, ok := map[string]string{"geological": "地质灾害隐患点", "flood": "山洪/内涝易涝点", "reservoir": "水库山塘",
		"coastal": "海堤/台风", "forest_fire": "森林火险区", "crowded_place": "人员密集场所", "construction": "建筑施工",
		"road_traffic": "道路交通", "fire": "消防", "other": "其他"}[code]; ok {
		return n
	}
	return code
}

// GradeName: see CategoryName.
func GradeName(code string) string {
	if code == "major" {
		return "重大隐患"
	}
	return "一般隐患"
}

// ReopenWindow is how long after closing a case may be reopened (docs/domain.md).
const ReopenWindow = 90 * 24 * time.Hour

// Who may take an action.
type Who int

const (
	// AreaOffice: township, county and city users with the case in scope.
	AreaOffice Who = iota
	// CountyOffice: county and city users with the case in scope.
	CountyOffice
	// TheAssignee: the user the case is assigned to, whatever the role.
	TheAssignee
	// Approver: township for a general case, county or city for either
	// grade; never the user who submitted it.
	Approver
)

// Rule is one row of docs/domain.md's closed-loop table.
type Rule struct {
	Action string
	From   []string
	To     string
	Who    Who
	// Required are the body fields the action needs; MajorRequired are
	// needed in addition for a major hazard (the 五落实 on assignment).
	Required      []string
	MajorRequired []string
	// Allowed are the optional fields the action accepts besides note,
	// reason, attachments and location, which every action accepts.
	Allowed []string
	// MajorOnly: only a major hazard (suspension).
	MajorOnly bool
	// Within: only this long after closing (reopen).
	Within time.Duration
}

// Rules is the closed loop, action by action, as in docs/domain.md. Reporting
// (new → reported) is Store.Report.
func Rules() []Rule {
	open := OpenStates()
	return []Rule{
		{Action: "register", From: []string{Reported}, To: Registered, Who: AreaOffice},
		{Action: "void", From: []string{Reported}, To: Void, Who: AreaOffice, Required: []string{"reason"}},
		{Action: "merge", From: open, To: Duplicate, Who: AreaOffice, Required: []string{"duplicate_of"}},
		{Action: "assign", From: []string{Registered}, To: Assigned, Who: AreaOffice,
			Required: []string{"assignee", "deadline"}, MajorRequired: []string{"measures", "funds", "plan"},
			Allowed: []string{"responsibility", "measures", "funds", "plan"}},
		{Action: "return", From: []string{Assigned}, To: Registered, Who: TheAssignee, Required: []string{"reason"}},
		{Action: "start", From: []string{Assigned}, To: Rectifying, Who: TheAssignee},
		{Action: "extend", From: []string{Rectifying}, To: Rectifying, Who: AreaOffice, Required: []string{"deadline", "reason"}},
		{Action: "suspend", From: []string{Rectifying}, To: Suspended, Who: CountyOffice, MajorOnly: true,
			Required: []string{"reason", "interim_controls"}},
		{Action: "resume", From: []string{Suspended}, To: Rectifying, Who: CountyOffice},
		{Action: "submit", From: []string{Rectifying}, To: Submitted, Who: TheAssignee, Required: []string{"attachments"}},
		{Action: "approve", From: []string{Submitted}, To: Closed, Who: Approver, Required: []string{"note"}},
		{Action: "reject", From: []string{Submitted}, To: Rectifying, Who: Approver, Required: []string{"reason"}},
		{Action: "reopen", From: []string{Closed}, To: Rectifying, Who: CountyOffice, Within: ReopenWindow, Required: []string{"reason"}},
	}
}

// RuleFor returns the rule of an action.
func RuleFor(action string) (Rule, bool) {
	for _, r := range Rules() {
		if r.Action == action {
			return r, true
		}
	}
	return Rule{}, false
}

// ActionNames lists the actions of the workflow.
func ActionNames() []string {
	var out []string
	for _, r := range Rules() {
		out = append(out, r.Action)
	}
	return out
}

// Situation is what an action is decided on: who acts and the case as it
// stands.
type Situation struct {
	User        *riskmap.User
	InScope     bool // the case lies in the user's areas (or grids)
	State       string
	Grade       string
	AssigneeID  *int64
	SubmittedBy *int64
	ClosedAt    *time.Time
	Now         time.Time
}

func isArea(role string) bool {
	return role == riskmap.RoleTownship || role == riskmap.RoleCounty || role == riskmap.RoleCity
}

func isCounty(role string) bool { return role == riskmap.RoleCounty || role == riskmap.RoleCity }

// MayEver reports whether role can take the action on some case: a role
// that never may is refused (403) before the case is looked at further.
func (r Rule) MayEver(role string) bool {
	switch r.Who {
	case AreaOffice, Approver:
		return isArea(role)
	case CountyOffice:
		return isCounty(role)
	case TheAssignee:
		return role != riskmap.RolePlanner && role != riskmap.RoleAdmin
	}
	return false
}

// Check decides whether the action may be taken in situation s: nil, or a
// *riskmap.Error — EFORBIDDEN when this user may not, ECONFLICT when the
// case is not in a state (or grade, or time) that allows it. Required
// fields are checked separately (RequiredMissing).
func (r Rule) Check(s Situation) error {
	u := s.User
	if !r.MayEver(u.Role) {
		return riskmap.Errorf(riskmap.EFORBIDDEN, "role %s may not %s a case", u.Role, r.Action)
	}
	if !slices.Contains(r.From, s.State) {
		return riskmap.Errorf(riskmap.ECONFLICT, "cannot %s a case that is %s (allowed from: %s)", r.Action, s.State, joinStates(r.From)).
			WithDetails(riskmap.Detail{Field: "state", Value: s.State, Message: "illegal move"})
	}
	switch r.Who {
	case AreaOffice, CountyOffice:
		if !s.InScope {
			return riskmap.Errorf(riskmap.EFORBIDDEN, "the case is not in your area")
		}
	case TheAssignee:
		if s.AssigneeID == nil || *s.AssigneeID != u.ID {
			return riskmap.Errorf(riskmap.EFORBIDDEN, "only the assignee may %s this case", r.Action)
		}
	case Approver:
		if !s.InScope {
			return riskmap.Errorf(riskmap.EFORBIDDEN, "the case is not in your area")
		}
		if s.Grade == "major" && !isCounty(u.Role) {
			return riskmap.Errorf(riskmap.EFORBIDDEN, "a major hazard is approved or rejected by the county or the city, not by role %s", u.Role)
		}
		if s.SubmittedBy != nil && *s.SubmittedBy == u.ID {
			return riskmap.Errorf(riskmap.EFORBIDDEN, "you submitted this case: someone else must %s it", r.Action)
		}
	}
	if r.MajorOnly && s.Grade != "major" {
		return riskmap.Errorf(riskmap.ECONFLICT, "only a major hazard can be %sed; this case is %s", r.Action, s.Grade).
			WithDetails(riskmap.Detail{Field: "grade", Value: s.Grade, Message: "major only"})
	}
	if r.Within > 0 && s.ClosedAt != nil && s.Now.Sub(*s.ClosedAt) > r.Within {
		return riskmap.Errorf(riskmap.ECONFLICT, "the case was closed on %s, more than %d days ago: it can no longer be %sed",
			s.ClosedAt.In(shanghai).Format("2006-01-02"), int(r.Within.Hours()/24), r.Action).
			WithDetails(riskmap.Detail{Field: "closed_at", Value: s.ClosedAt, Message: "reopen window passed"})
	}
	return nil
}

func joinStates(s []string) string {
	out := ""
	for i, x := range s {
		if i > 0 {
			out += ", "
		}
		out += x
	}
	return out
}
