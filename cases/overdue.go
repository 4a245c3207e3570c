package cases

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"riskmap"
	"riskmap/postgres"
)

// ListQuery selects cases for the case board. Zero values match everything.
//
// Overdue is derived, not a state: an open case (not closed, void or
// duplicate) whose deadline has passed. Escalated narrows that to the open
// cases Escalate has escalated for their current deadline (overdue by more
// than Config.Grace, 3 days by default): the county's overdue list. The township's list is Overdue; both are
// filtered by the user's scope like every read, so a county user asking
// for escalated=true sees the escalated cases of all its townships.
type ListQuery struct {
	States    []string
	Overdue   bool
	Escalated bool
	Area      string // 12-digit area code or 15-digit grid code
	Grade     string
	Category  string
	Assignee  int64 // cases assigned to this user
	BBox      *[4]float64
	Limit     int
	After     int64 // cursor: cases listed after this one (newest first)
}

// Page is one page of cases as GeoJSON Features; Next is the cursor of the
// following page, or 0.
type Page struct {
	Features []json.RawMessage
	Next     int64
}

// List returns cases the user may see, newest first.
func (s *Store) List(ctx context.Context, u *riskmap.User, q ListQuery) (Page, error) {
	if q.Limit <= 0 {
		q.Limit = 100
	}
	where, args := listWhere(u, q, []any{q.Limit + 1})
	sql := "SELECT c.seq, " + caseJSON(u) + "::text FROM cases c WHERE " + strings.Join(where, " AND ") + " ORDER BY c.seq DESC LIMIT $1"
	var p Page
	var err error
	if p.Features, p.Next, err = postgres.QueryPage(ctx, s.reads, q.Limit, sql, args...); err != nil {
		return Page{}, fmt.Errorf("list cases: %w", postgres.Translate(err))
	}
	return p, nil
}

// listWhere is the WHERE of a case list for u and q (alias c), its
// arguments appended to args. The list and the ledger share it, so they
// select the same cases.
func listWhere(u *riskmap.User, q ListQuery, args []any) ([]string, []any) {
	where := []string{}
	arg := func(v any) string {
		args = append(args, v)
		return fmt.Sprintf("$%d", len(args))
	}
	vis, vargs := visibleSQL(u, len(args)+1)
	args = append(args, vargs...)
	where = append(where, vis)
	if q.After > 0 {
		where = append(where, "c.seq < "+arg(q.After))
	}
	if len(q.States) > 0 {
		where = append(where, "c.state = ANY("+arg(q.States)+"::text[])")
	}
	if q.Overdue || q.Escalated {
		where = append(where, "riskmap_case_open(c.state) AND c.deadline < now()")
	}
	if q.Escalated {
		where = append(where, "c.escalation_level > 0")
	}
	if q.Area != "" {
		where = append(where, "c.grid_code LIKE "+arg(riskmap.AreaPrefix(q.Area)+"%"))
	}
	if q.Grade != "" {
		where = append(where, "c.grade = "+arg(q.Grade))
	}
	if q.Category != "" {
		where = append(where, "c.category = "+arg(q.Category))
	}
	if q.Assignee != 0 {
		where = append(where, "c.assignee_id = "+arg(q.Assignee))
	}
	if b := q.BBox; b != nil {
		where = append(where, fmt.Sprintf("c.geom && ST_MakeEnvelope(%s, %s, %s, %s, 4326)", arg(b[0]), arg(b[1]), arg(b[2]), arg(b[3])))
	}
	return where, args
}
