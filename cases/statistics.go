package cases

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"riskmap"
)

// StatsQuery asks for the rectification statistics of an area over a
// period of whole days [From, To] in Asia/Shanghai.
type StatsQuery struct {
	Area    string // 12-digit area code; "" = the user's whole scope
	From    time.Time
	To      time.Time
	GroupBy string // county, township or grid
}

// StatsRow is one area's figures (DOMAIN.md "Statistics"). Rate and
// OnTimeRate are fractions rounded to a tenth of a percent, nil when
// nothing was to be rectified.
type StatsRow struct {
	AreaCode       string   `json:"area_code"`
	AreaName       string   `json:"area_name"`
	Found          int      `json:"found"`
	ToRectify      int      `json:"to_rectify"`
	Rectified      int      `json:"rectified"`
	Rate           *float64 `json:"rate"`
	Overdue        int      `json:"overdue"`
	OnTime         int      `json:"on_time"`
	OnTimeRate     *float64 `json:"on_time_rate"`
	MajorFound     int      `json:"major_found"`
	MajorRectified int      `json:"major_rectified"`
}

// Stats is the reply: a row per area of the grouping level, the total and
// the annual report's sentence for the total.
type Stats struct {
	Area     string     `json:"area"`
	AreaName string     `json:"area_name"`
	From     string     `json:"from"`
	To       string     `json:"to"`
	GroupBy  string     `json:"group_by"`
	Rows     []StatsRow `json:"rows"`
	Total    StatsRow   `json:"total"`
	Sentence string     `json:"sentence"`
}

// GroupLevels are the allowed group_by values.
func GroupLevels() []string { return []string{"county", "township", "grid"} }

// permille is n/d in tenths of a percent, rounded half up, in integers so
// that 2255/2287 is exactly 986 (98.6 %).
func permille(n, d int) (int, bool) {
	if d == 0 {
		return 0, false
	}
	return (2000*n + d) / (2 * d), true
}

func fraction(n, d int) *float64 {
	p, ok := permille(n, d)
	if !ok {
		return nil
	}
	f := float64(p) / 1000
	return &f
}

// Percent formats n/d as DOMAIN.md shows rates: one decimal, "98.6%".
func Percent(n, d int) string {
	p, ok := permille(n, d)
	if !ok {
		return ""
	}
	return fmt.Sprintf("%d.%d%%", p/10, p%10)
}

func (r *StatsRow) finish() {
	r.Rate = fraction(r.Rectified, r.ToRectify)
	r.OnTimeRate = fraction(r.OnTime, r.ToRectify)
}

// Sentence is the annual report's line for a row:
// 发现隐患N处,应整改隐患M处,已整改隐患K处,整改率为R% (the rate is left out
// when nothing was to be rectified).
func Sentence(r StatsRow) string {
	s := fmt.Sprintf("发现隐患%d处,应整改隐患%d处,已整改隐患%d处", r.Found, r.ToRectify, r.Rectified)
	if p := Percent(r.Rectified, r.ToRectify); p != "" {
		s += ",整改率为" + p
	}
	return s
}

// statsSQL computes each case's standing at the period's end E ($2) from
// the current row when nothing changed after E, and from the event history
// only for the few cases reopened or given a new deadline after E:
//   - closed_e: the time it was closed, if it stood closed at E;
//   - deadline_e: the deadline in force at E.
//
// Units are listed from the areas (or grids) table so that areas without
// cases show zeros.
const statsSQL = `
WITH units AS (
	SELECT %[1]s AS code, %[2]s AS name FROM %[3]s u
	 WHERE %[4]s AND u.%[1]s LIKE $3
	   AND ($4 OR u.%[1]s LIKE ANY($5::text[])
	        OR EXISTS (SELECT 1 FROM unnest($5::text[]) x WHERE x LIKE riskmap_area_prefix(u.%[1]s) || '%%'))
), base AS (
	SELECT c.%[5]s AS unit, c.grade,
		CASE WHEN c.reopened_at IS NULL OR c.reopened_at < $2 THEN
			CASE WHEN c.closed_at < $2 THEN c.closed_at END
		ELSE (SELECT CASE WHEN e.to_state = 'closed' THEN e.at END FROM case_events e
			   WHERE e.case_id = c.id AND e.at < $2 AND (e.to_state = 'closed' OR e.from_state = 'closed')
			   ORDER BY e.at DESC, e.id DESC LIMIT 1)
		END AS closed_e,
		CASE WHEN c.deadline_set_at IS NULL OR c.deadline_set_at < $2 THEN c.deadline
		ELSE (SELECT e.deadline FROM case_events e
			   WHERE e.case_id = c.id AND e.at < $2 AND e.deadline IS NOT NULL
			   ORDER BY e.at DESC, e.id DESC LIMIT 1)
		END AS deadline_e
	  FROM cases c
	 WHERE c.reported_at >= $1 AND c.reported_at < $2 AND c.state NOT IN ('void', 'duplicate')
	   AND c.grid_code LIKE $3 AND ($4 OR c.grid_code LIKE ANY($5::text[]))
), counts AS (
	SELECT unit, count(*) AS found,
		count(*) FILTER (WHERE closed_e IS NOT NULL OR deadline_e < $2) AS to_rectify,
		count(*) FILTER (WHERE closed_e IS NOT NULL) AS rectified,
		count(*) FILTER (WHERE closed_e IS NULL AND deadline_e < $2) AS overdue,
		count(*) FILTER (WHERE closed_e IS NOT NULL AND closed_e <= deadline_e) AS on_time,
		count(*) FILTER (WHERE grade = 'major') AS major_found,
		count(*) FILTER (WHERE grade = 'major' AND closed_e IS NOT NULL) AS major_rectified
	  FROM base GROUP BY unit
)
SELECT u.code, u.name, coalesce(k.found, 0), coalesce(k.to_rectify, 0), coalesce(k.rectified, 0), coalesce(k.overdue, 0),
	coalesce(k.on_time, 0), coalesce(k.major_found, 0), coalesce(k.major_rectified, 0)
  FROM units u LEFT JOIN counts k ON k.unit = u.code
 ORDER BY u.code`

// Rectification computes the statistics of DOMAIN.md for q, within the
// user's scope.
//
//   - found: cases reported in the period (server time), except those that
//     are void or duplicate;
//   - to_rectify: found cases closed at the period's end, or whose deadline
//     (as it stood then) fell before the period's end;
//   - rectified: found cases standing closed at the period's end (a case
//     reopened and not closed again by then does not count);
//   - overdue: found cases not closed at the period's end whose deadline
//     fell before it (so to_rectify = rectified + overdue);
//   - on_time: rectified cases closed on or before their deadline.
//
// The period's end is the first instant of the day after To.
func (s *Store) Rectification(ctx context.Context, u *riskmap.User, q StatsQuery) (Stats, error) {
	var level, nameCol, table, col string
	switch q.GroupBy {
	case "county", "township":
		level, nameCol, table, col = "u.level = '"+q.GroupBy+"'", "u.name", "areas", q.GroupBy+"_code"
	case "grid":
		level, nameCol, table, col = "true", "u.name", "grids", "grid_code"
	default:
		return Stats{}, riskmap.Errorf(riskmap.EINVALID, "group_by: want county, township or grid, got %q", q.GroupBy)
	}
	from := time.Date(q.From.Year(), q.From.Month(), q.From.Day(), 0, 0, 0, 0, shanghai)
	to := time.Date(q.To.Year(), q.To.Month(), q.To.Day(), 0, 0, 0, 0, shanghai)
	if to.Before(from) {
		return Stats{}, riskmap.Errorf(riskmap.EINVALID, "from %s is after to %s", from.Format("2006-01-02"), to.Format("2006-01-02"))
	}
	end := to.AddDate(0, 0, 1)
	out := Stats{Area: q.Area, From: from.Format("2006-01-02"), To: to.Format("2006-01-02"), GroupBy: q.GroupBy, Rows: []StatsRow{}}

	scope := u.Scope()
	prefixes := []string{}
	for _, a := range scope.Areas {
		prefixes = append(prefixes, riskmap.AreaPrefix(a)+"%")
	}
	for _, g := range scope.Grids {
		prefixes = append(prefixes, g+"%")
	}
	areaPrefix := "%"
	if q.Area != "" {
		err := s.pool.QueryRow(ctx, "SELECT name FROM areas WHERE code = $1", q.Area).Scan(&out.AreaName)
		if errors.Is(err, pgx.ErrNoRows) {
			return Stats{}, riskmap.Errorf(riskmap.ENOTFOUND, "area %s not found", q.Area)
		}
		if err != nil {
			return Stats{}, fmt.Errorf("stats: area %s: %w", q.Area, err)
		}
		if !scope.All && !overlaps(q.Area, prefixes) {
			return Stats{}, riskmap.Errorf(riskmap.EFORBIDDEN, "area %s is outside your area", q.Area)
		}
		areaPrefix = riskmap.AreaPrefix(q.Area) + "%"
	}
	if q.GroupBy == "grid" {
		col = "grid_code"
	}
	unitCol := "code"
	sql := fmt.Sprintf(statsSQL, unitCol, nameCol, table, level, col)
	rows, err := s.pool.Query(ctx, sql, from, end, areaPrefix, scope.All, prefixes)
	if err != nil {
		return Stats{}, fmt.Errorf("stats: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var r StatsRow
		if err := rows.Scan(&r.AreaCode, &r.AreaName, &r.Found, &r.ToRectify, &r.Rectified, &r.Overdue, &r.OnTime, &r.MajorFound, &r.MajorRectified); err != nil {
			return Stats{}, fmt.Errorf("stats: %w", err)
		}
		r.finish()
		out.Rows = append(out.Rows, r)
		t := &out.Total
		t.Found += r.Found
		t.ToRectify += r.ToRectify
		t.Rectified += r.Rectified
		t.Overdue += r.Overdue
		t.OnTime += r.OnTime
		t.MajorFound += r.MajorFound
		t.MajorRectified += r.MajorRectified
	}
	if err := rows.Err(); err != nil {
		return Stats{}, fmt.Errorf("stats: %w", err)
	}
	out.Total.AreaCode, out.Total.AreaName = q.Area, out.AreaName
	if out.Total.AreaName == "" {
		out.Total.AreaName = "合计"
	}
	out.Total.finish()
	out.Sentence = Sentence(out.Total)
	return out, nil
}

// overlaps reports whether area (12 digits) and one of the scope prefixes
// (area prefixes or grid codes, each ending in %) nest either way.
func overlaps(area string, prefixes []string) bool {
	p := riskmap.AreaPrefix(area)
	for _, x := range prefixes {
		x = x[:len(x)-1]
		if len(x) >= len(p) && x[:len(p)] == p || len(p) >= len(x) && p[:len(x)] == x {
			return true
		}
	}
	return false
}
