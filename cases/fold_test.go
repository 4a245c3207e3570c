package cases_test

import (
	"testing"
	"time"

	"riskmap/cases"
)

// A history folded event by event gives the row Store.Act leaves: the
// columns each action writes, and nothing else.
func TestRowApplyFoldsAHistoryIntoTheCaseRow(t *testing.T) {
	t0 := time.Date(2021, 3, 1, 9, 0, 0, 0, cases.Shanghai())
	h := func(n int) time.Time { return t0.Add(time.Duration(n) * time.Hour) }
	worker, office, county := int64(7), int64(3), int64(2)
	d1, d2, d3 := h(100), h(200), h(300)
	major := map[string]string{"measures": "设置警戒区", "funds": "5万元", "plan": "一险一预案"}
	var r cases.Row
	steps := []struct {
		e     cases.Event
		check func() string
	}{
		{cases.Event{At: h(0), Action: "report", To: cases.Reported, ActorID: &worker}, func() string {
			if r.State != cases.Reported || r.AssigneeID != nil || r.Deadline != nil {
				return "a report sets the state only"
			}
			return ""
		}},
		{cases.Event{At: h(1), Action: "register", To: cases.Registered, ActorID: &office}, nil},
		{cases.Event{At: h(2), Action: "assign", To: cases.Assigned, ActorID: &county, Deadline: &d1, AssigneeID: &worker,
			AssigneeName: "张三", Details: major}, func() string {
			if *r.AssigneeID != worker || *r.AssigneeName != "张三" || !r.Deadline.Equal(d1) || r.DeadlineChangedAt != nil ||
				*r.Measures != "设置警戒区" || *r.Plan != "一险一预案" || r.Responsibility != nil {
				return "the first assignment sets assignee, deadline and the 五落实 sent, without a deadline change"
			}
			return ""
		}},
		{cases.Event{At: h(3), Action: "return", To: cases.Registered, ActorID: &worker}, func() string {
			if r.AssigneeID != nil || r.AssigneeName != nil || !r.Deadline.Equal(d1) {
				return "a return clears the assignee and keeps the deadline"
			}
			return ""
		}},
		{cases.Event{At: h(4), Action: "assign", To: cases.Assigned, ActorID: &office, Deadline: &d2, AssigneeID: &worker,
			AssigneeName: "张三"}, func() string {
			if !r.Deadline.Equal(d2) || !r.DeadlineChangedAt.Equal(h(4)) || r.Measures != nil {
				return "assigned again: the new deadline is a change, and the 五落实 not sent are cleared"
			}
			return ""
		}},
		{cases.Event{At: h(5), Action: "start", To: cases.Rectifying, ActorID: &worker}, nil},
		{cases.Event{At: h(6), Action: "extend", To: cases.Rectifying, ActorID: &office, Deadline: &d3}, func() string {
			if !r.Deadline.Equal(d3) || !r.DeadlineChangedAt.Equal(h(6)) {
				return "an extension moves the deadline and records the change"
			}
			return ""
		}},
		{cases.Event{At: h(7), Action: "submit", To: cases.Submitted, ActorID: &worker}, func() string {
			if r.SubmittedBy == nil || *r.SubmittedBy != worker {
				return "a submission records who submitted"
			}
			return ""
		}},
		{cases.Event{At: h(8), Action: "approve", To: cases.Closed, ActorID: &office}, func() string {
			if r.State != cases.Closed || !r.ClosedAt.Equal(h(8)) {
				return "an approval closes the case"
			}
			return ""
		}},
		{cases.Event{At: h(9), Action: "reopen", To: cases.Rectifying, ActorID: &county}, func() string {
			if r.ClosedAt != nil || !r.ReopenedAt.Equal(h(9)) || r.State != cases.Rectifying {
				return "a reopening clears the close and records when"
			}
			return ""
		}},
		{cases.Event{At: h(10), Action: "suspend", To: cases.Suspended, ActorID: &county,
			Details: map[string]string{"interim_controls": "设置围挡"}}, func() string {
			if r.InterimControls == nil || *r.InterimControls != "设置围挡" {
				return "a suspension records the interim controls"
			}
			return ""
		}},
		{cases.Event{At: h(11), Action: "merge", To: cases.Duplicate, ActorID: &office, DuplicateOf: "abc"}, func() string {
			if r.DuplicateOf == nil || *r.DuplicateOf != "abc" || r.State != cases.Duplicate {
				return "a merge names the case merged into"
			}
			return ""
		}},
	}
	for _, s := range steps {
		r.Apply(s.e)
		if r.State != s.e.To {
			t.Errorf("after %s: state %s, want %s", s.e.Action, r.State, s.e.To)
		}
		if s.check != nil {
			if msg := s.check(); msg != "" {
				t.Errorf("after %s: %s; row %+v", s.e.Action, msg, r)
			}
		}
	}
}
