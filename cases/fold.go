package cases

import "time"

// Event is one step of a case's history as far as the case row is
// concerned: the action, the state it led to, when, by whom, and the
// values the action carries.
type Event struct {
	At           time.Time
	Action       string
	To           string // the state after the action
	ActorID      *int64
	Deadline     *time.Time        // assign, extend
	AssigneeID   *int64            // assign
	AssigneeName string            // assign
	Details      map[string]string // assign: the 五落实; suspend: interim_controls
	DuplicateOf  string            // merge
}

// Row is the part of a case row its history decides: the state and the
// columns the actions write. A case's row is its events folded by Apply,
// from the report's Row{State: Reported} on; Store.Act writes the fold of
// one more event, and the demo writes whole histories folded the same way.
type Row struct {
	State             string
	AssigneeID        *int64
	AssigneeName      *string
	SubmittedBy       *int64
	Deadline          *time.Time
	DeadlineChangedAt *time.Time
	ClosedAt          *time.Time
	ReopenedAt        *time.Time
	Responsibility    *string
	Measures          *string
	Funds             *string
	Plan              *string
	InterimControls   *string
	DuplicateOf       *string
}

// Apply folds e into r: the state it leads to and what its action writes.
func (r *Row) Apply(e Event) {
	r.State = e.To
	at := e.At
	detail := func(k string) *string {
		if v, ok := e.Details[k]; ok {
			return &v
		}
		return nil
	}
	switch e.Action {
	case "merge":
		dup := e.DuplicateOf
		r.DuplicateOf = &dup
	case "assign":
		name := e.AssigneeName
		r.AssigneeID, r.AssigneeName = e.AssigneeID, &name
		if r.Deadline != nil { // assigned again after a return: a new deadline
			r.DeadlineChangedAt = &at
		}
		r.Deadline = e.Deadline
		r.Responsibility, r.Measures, r.Funds, r.Plan = detail("responsibility"), detail("measures"), detail("funds"), detail("plan")
	case "return":
		r.AssigneeID, r.AssigneeName = nil, nil
	case "extend":
		r.Deadline, r.DeadlineChangedAt = e.Deadline, &at
	case "suspend":
		r.InterimControls = detail("interim_controls")
	case "submit":
		r.SubmittedBy = e.ActorID
	case "approve":
		r.ClosedAt = &at
	case "reopen":
		r.ClosedAt, r.ReopenedAt = nil, &at
	}
}
