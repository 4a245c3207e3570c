package postgres

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"time"
)

// Where builds the WHERE clause of a list: conditions joined by AND, every
// value a numbered parameter ($1, $2, … in the order added). Conditions and
// column names are the caller's fixed SQL; values only ever go through Arg
// or And's args.
type Where struct {
	conds []string
	args  []any
}

// Arg adds a value and returns its placeholder.
func (w *Where) Arg(v any) string {
	w.args = append(w.args, v)
	return "$" + strconv.Itoa(len(w.args))
}

// Next is the number the next value gets, for predicates made elsewhere
// (riskmap.Scope.SQL) whose values And then adds.
func (w *Where) Next() int { return len(w.args) + 1 }

// And adds a condition; args are the values of its placeholders, numbered
// from Next.
func (w *Where) And(cond string, args ...any) {
	w.conds = append(w.conds, cond)
	w.args = append(w.args, args...)
}

// Days keeps col (a date) within [from, to], whole days, each bound only
// when set.
func (w *Where) Days(col string, from, to time.Time) {
	if !from.IsZero() {
		w.And(col + " >= " + w.Arg(from.Format("2006-01-02")) + "::date")
	}
	if !to.IsZero() {
		w.And(col + " <= " + w.Arg(to.Format("2006-01-02")) + "::date")
	}
}

// Newest returns a page of documents newest first: sql is
// "SELECT seq, doc FROM …" without its WHERE, seq the insertion order
// column (fixed SQL); after is the cursor (the seq the page starts below,
// 0 for the newest). As QueryPage, next is 0 on the last page.
func (w *Where) Newest(ctx context.Context, q Querier, sql, seq string, after int64, limit int) ([]json.RawMessage, int64, error) {
	if after > 0 {
		w.And(seq + " < " + w.Arg(after))
	}
	where := "true"
	if len(w.conds) > 0 {
		where = strings.Join(w.conds, " AND ")
	}
	return QueryPage(ctx, q, limit, sql+" WHERE "+where+" ORDER BY "+seq+" DESC LIMIT "+w.Arg(limit+1), w.args...)
}
