package patrols

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"riskmap"
	"riskmap/postgres"
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

// The figures' SQL: $1 from, $2 the last due date judged, $3 to (dates),
// $4 and $5 the period as instants; %[1]s the unit column, %[2]s, %[3]s,
// %[4]s and %[5]s the area and scope filters on patrols (p), risk points
// (t), cases (c) and the counters (k). Each table is read once: the
// patrols made and the due dates they answered in one scan (figuresScan),
// or from the per-township daily counters (figuresCounted, migration
// 633); the due dates still open from the risk points, their interval
// joined (DueOnJoinedSQL); the hazards patrols found from the cases.

// figuresScan counts the patrols of the period.
const figuresScan = `
patrolled AS (
	SELECT p.%[1]s AS unit,
		count(*) FILTER (WHERE p.due_on >= $1::date AND p.due_on <= $2::date) AS due,
		count(*) FILTER (WHERE p.due_on >= $1::date AND p.due_on <= $2::date AND p.patrol_day <= p.due_on) AS on_time,
		count(*) FILTER (WHERE p.due_on >= $1::date AND p.due_on <= $2::date AND p.patrol_day > p.due_on AND p.patrol_day <= $3::date) AS late,
		count(*) FILTER (WHERE p.patrol_day >= $1::date AND p.patrol_day <= $3::date) AS patrols,
		count(*) FILTER (WHERE p.patrol_day >= $1::date AND p.patrol_day <= $3::date AND p.off_site) AS off_site,
		count(*) FILTER (WHERE p.patrol_day >= $1::date AND p.patrol_day <= $3::date AND p.result = 'problem') AS problems
	  FROM patrols p
	 WHERE ((p.due_on >= $1::date AND p.due_on <= $2::date) OR (p.patrol_day >= $1::date AND p.patrol_day <= $3::date)) AND %[2]s
	 GROUP BY 1),`

// figuresCounted reads the counters; a late patrol made after the period's
// end (of a due date in it) is no patrol of the period: taken out of late
// (its due date stays overdue), found by patrols_day_idx (none when the
// period ends today or later).
const figuresCounted = `
patrolled AS (
	SELECT unit, sum(due) AS due, sum(on_time) AS on_time, sum(late) AS late,
		sum(patrols) AS patrols, sum(off_site) AS off_site, sum(problems) AS problems
	  FROM (SELECT k.%[1]s AS unit,
			coalesce(sum(k.due) FILTER (WHERE k.day <= $2::date), 0) AS due,
			coalesce(sum(k.on_time) FILTER (WHERE k.day <= $2::date), 0) AS on_time,
			coalesce(sum(k.late) FILTER (WHERE k.day <= $2::date), 0) AS late,
			sum(k.patrols) AS patrols, sum(k.off_site) AS off_site, sum(k.problems) AS problems
		  FROM patrol_day_counts k
		 WHERE k.day >= $1::date AND k.day <= $3::date AND %[5]s
		 GROUP BY 1
		UNION ALL
		SELECT p.%[1]s, 0, 0, -count(*), 0, 0, 0
		  FROM patrols p
		 WHERE p.patrol_day > $3::date AND p.due_on >= $1::date AND p.due_on <= $2::date AND %[2]s
		 GROUP BY 1) x
	 GROUP BY unit),`

// figuresRest counts the open due dates and the hazards, and sums.
const figuresRest = `
open AS (
	SELECT t.%[1]s AS unit, count(*) AS due
	  FROM risk_points t JOIN patrol_intervals i ON i.risk_level = t.risk_level
	 WHERE t.status = 'active' AND ` + "%[6]s" + ` BETWEEN $1::date AND $2::date AND %[3]s
	 GROUP BY 1),
hazards AS (
	SELECT c.%[1]s AS unit, count(*) AS hazards
	  FROM cases c
	 WHERE c.patrol_id IS NOT NULL AND c.state NOT IN ('void', 'duplicate')
	   AND c.reported_at >= $4 AND c.reported_at < $5 AND %[4]s
	 GROUP BY 1)
SELECT unit, sum(due)::int, sum(on_time)::int, sum(late)::int, sum(patrols)::int, sum(off_site)::int, sum(problems)::int, sum(hazards)::int
  FROM (SELECT unit, due, on_time, late, patrols, off_site, problems, 0 AS hazards FROM patrolled
        UNION ALL SELECT unit, due, 0, 0, 0, 0, 0, 0 FROM open
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
	scope := u.Scope()
	patrolled, cols := figuresScan, []string{"p.grid_code", "t.grid_code", "c.grid_code"}
	if q.Unit != "grid_code" && riskmap.TownshipsOrMore(riskmap.AreaPrefix(q.Area)) && scope.WholeTownships() {
		patrolled, cols = figuresCounted, append(cols, "k.township_code")
	}
	filters := make([]string, 4) // the counters' stays empty when they are not read
	for i, col := range cols {
		pred, a := scope.SQL(col, len(args)+1)
		args = append(args, a...)
		filters[i] = pred
		if q.Area != "" {
			args = append(args, riskmap.AreaPrefix(q.Area)+"%")
			filters[i] += fmt.Sprintf(" AND %s LIKE $%d", col, len(args))
		}
	}
	sql := fmt.Sprintf("WITH "+patrolled+figuresRest, q.Unit, filters[0], filters[1], filters[2], filters[3], DueOnJoinedSQL("t", "i"))
	out := map[string]Figures{}
	err := postgres.Statistics(ctx, s.reads, sql, args, func(rows pgx.Rows) error {
		var unit string
		var f Figures
		if err := rows.Scan(&unit, &f.Due, &f.OnTime, &f.Late, &f.Patrols, &f.OffSite, &f.Problems, &f.Hazards); err != nil {
			return err
		}
		f.Overdue = f.Due - f.OnTime - f.Late
		out[unit] = f
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("patrol figures: %w", err)
	}
	return out, nil
}
