package patrols

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"riskmap"
)

// Figures are the patrol figures of an area over a period [from, to]
// (whole days in UTC+8), for the statistics and the offices' completion
// view. A patrol is due on its point's due date; each patrol answers the
// due date that stood when it was made (patrols.due_on), so the due dates
// of a period are those answered by a patrol and those still open:
//
//   - due 应巡查: due dates in the period that have passed (before today);
//   - on_time 按期: those met by a patrol on or before the due date;
//   - late 超期完成: met after it, by the period's end;
//   - overdue 逾期未巡: not met by the period's end (due = on_time + late + overdue);
//   - patrols 巡查次数, off_site 偏离, problems 发现问题: the patrols made in the
//     period, those off-site, those that found a problem;
//   - hazards 巡查发现隐患: the cases patrols opened in the period (not void
//     or duplicate).
type Figures struct {
	Due      int `json:"due"`
	OnTime   int `json:"on_time"`
	Late     int `json:"late"`
	Overdue  int `json:"overdue"`
	Patrols  int `json:"patrols"`
	OffSite  int `json:"off_site"`
	Problems int `json:"problems"`
	Hazards  int `json:"hazards"`
}

// Add adds o to f.
func (f *Figures) Add(o Figures) {
	f.Due += o.Due
	f.OnTime += o.OnTime
	f.Late += o.Late
	f.Overdue += o.Overdue
	f.Patrols += o.Patrols
	f.OffSite += o.OffSite
	f.Problems += o.Problems
	f.Hazards += o.Hazards
}

// FiguresQuery asks for the figures of the units of a level (the code
// column: county_code, township_code or grid_code) inside an area.
type FiguresQuery struct {
	Unit     string // county_code, township_code or grid_code
	Area     string // 12-digit code; "" = the scope
	From, To time.Time
}

// figuresSQL: $1 from, $2 the last due date judged, $3 to (dates), $4 and
// $5 the period as instants; %[1]s the unit column, %[2]s, %[3]s, %[4]s the
// area and scope filters on patrols (p), risk points (t) and cases (c).
const figuresSQL = `
WITH answered AS (
	SELECT p.%[1]s AS unit, count(*) AS due,
		count(*) FILTER (WHERE p.patrol_day <= p.due_on) AS on_time,
		count(*) FILTER (WHERE p.patrol_day > p.due_on AND p.patrol_day <= $3::date) AS late
	  FROM patrols p
	 WHERE p.due_on >= $1::date AND p.due_on <= $2::date AND %[2]s
	 GROUP BY 1),
open AS (
	SELECT t.%[1]s AS unit, count(*) AS due
	  FROM risk_points t
	 WHERE t.status = 'active' AND %[5]s BETWEEN $1::date AND $2::date AND %[3]s
	 GROUP BY 1),
made AS (
	SELECT p.%[1]s AS unit, count(*) AS patrols, count(*) FILTER (WHERE p.off_site) AS off_site,
		count(*) FILTER (WHERE p.result = 'problem') AS problems
	  FROM patrols p
	 WHERE p.patrol_day >= $1::date AND p.patrol_day <= $3::date AND %[2]s
	 GROUP BY 1),
hazards AS (
	SELECT c.%[1]s AS unit, count(*) AS hazards
	  FROM cases c
	 WHERE c.patrol_id IS NOT NULL AND c.state NOT IN ('void', 'duplicate')
	   AND c.reported_at >= $4 AND c.reported_at < $5 AND %[4]s
	 GROUP BY 1)
SELECT unit, sum(due)::int, sum(on_time)::int, sum(late)::int, sum(patrols)::int, sum(off_site)::int, sum(problems)::int, sum(hazards)::int
  FROM (SELECT unit, due, on_time, late, 0 AS patrols, 0 AS off_site, 0 AS problems, 0 AS hazards FROM answered
        UNION ALL SELECT unit, due, 0, 0, 0, 0, 0, 0 FROM open
        UNION ALL SELECT unit, 0, 0, 0, patrols, off_site, problems, 0 FROM made
        UNION ALL SELECT unit, 0, 0, 0, 0, 0, 0, hazards FROM hazards) x
 GROUP BY unit`

// Figures returns the patrol figures by unit in u's view.
func (s *Store) Figures(ctx context.Context, u *riskmap.User, q FiguresQuery) (map[string]Figures, error) {
	switch q.Unit {
	case "county_code", "township_code", "grid_code":
	default:
		return nil, fmt.Errorf("patrol figures: unknown unit %q", q.Unit)
	}
	today := Today(s.cfg.Now())
	from := Today(q.From)
	to := Today(q.To)
	judged := to
	if !judged.Before(today) {
		judged = today.AddDate(0, 0, -1)
	}
	day := func(t time.Time) string { return t.Format("2006-01-02") }
	args := []any{day(from), day(judged), day(to), from, to.AddDate(0, 0, 1)}
	filters := make([]string, 3)
	scope := u.Scope()
	for i, alias := range []string{"p", "t", "c"} {
		pred, a := scope.SQL(alias+".grid_code", len(args)+1)
		args = append(args, a...)
		filters[i] = pred
		if q.Area != "" {
			args = append(args, riskmap.AreaPrefix(q.Area)+"%")
			filters[i] += fmt.Sprintf(" AND %s.grid_code LIKE $%d", alias, len(args))
		}
	}
	out := map[string]Figures{}
	err := pgx.BeginTxFunc(ctx, s.reads, pgx.TxOptions{AccessMode: pgx.ReadOnly}, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, "SET LOCAL jit = off"); err != nil {
			return err
		}
		rows, err := tx.Query(ctx, fmt.Sprintf(figuresSQL, q.Unit, filters[0], filters[1], filters[2], DueOnSQL("t")), args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var unit string
			var f Figures
			if err := rows.Scan(&unit, &f.Due, &f.OnTime, &f.Late, &f.Patrols, &f.OffSite, &f.Problems, &f.Hazards); err != nil {
				return err
			}
			f.Overdue = f.Due - f.OnTime - f.Late
			out[unit] = f
		}
		return rows.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("patrol figures: %w", err)
	}
	return out, nil
}
