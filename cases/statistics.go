package cases

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"riskmap"
	"riskmap/postgres"
)

// StatsQuery asks for the rectification statistics of an area over a
// period of whole days [From, To] in Asia/Shanghai.
type StatsQuery struct {
	Area    string // 12-digit area code; "" = the user's whole scope
	From    time.Time
	To      time.Time
	GroupBy string // county, township or grid
	// Origin keeps to the cases found by inspections (OriginInspection) or
	// by patrols (OriginPatrol); "" counts every case.
	Origin string
}

// Origins of cases the statistics can keep to.
const (
	OriginInspection = "inspection"
	OriginPatrol     = "patrol"
)

// originFilter is the predicate on cases (alias c) of an origin.
func originFilter(origin string) (string, error) {
	switch origin {
	case "":
		return "", nil
	case OriginInspection:
		return " AND c.inspection_id IS NOT NULL", nil
	case OriginPatrol:
		return " AND c.patrol_id IS NOT NULL", nil
	}
	return "", fmt.Errorf("stats: unknown origin %q", origin)
}

// StatsRow is one area's figures (docs/domain.md "Statistics"). Rate and
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
	// Escalated: found cases escalated (overdue beyond the grace, see
	// Escalate) by the period's end.
	Escalated int `json:"escalated"`
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

// scopeName names the part of the city u sees, for titles and file names:
// the city for everyone's scope, the user's areas, or a grid worker's
// townships.
func scopeName(ctx context.Context, q queryRower, u *riskmap.User) (string, error) {
	sc := u.Scope()
	var name *string
	var err error
	switch {
	case sc.All:
		err = q.QueryRow(ctx, "SELECT min(name) FROM areas WHERE level = 'city'").Scan(&name)
	case len(sc.Areas) > 0:
		err = q.QueryRow(ctx, "SELECT string_agg(name, '、' ORDER BY code) FROM areas WHERE code = ANY($1)", sc.Areas).Scan(&name)
	default:
		err = q.QueryRow(ctx, `SELECT string_agg(DISTINCT a.name, '、') FROM areas a
			WHERE a.code IN (SELECT left(g, 9) || '000' FROM unnest($1::text[]) g)`, sc.Grids).Scan(&name)
	}
	if err != nil {
		return "", fmt.Errorf("stats: name of the scope: %w", err)
	}
	if name == nil {
		return "", nil
	}
	return *name, nil
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

// Percent formats n/d as docs/domain.md shows rates: one decimal, "98.6%".
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

// Statistics at the period's end E read each case's standing then: closed
// or not (closed_e, the time of the close standing at E) and the deadline
// in force. For almost every case the current row tells: unless it was
// reopened after E, it stood closed at E exactly when closed_at < E; unless
// its deadline was changed after E, the deadline is the current one (a
// first deadline set after E lies after E, so it cannot count). The few
// others — reopened_at or deadline_changed_at after E — are read from the
// event history.
//
// Two ways to the same figures:
//   - counted (county or township rows, scopes of whole townships or more):
//     the per-day counters of case_day_counts (migration 202) give each
//     case as it will finally stand; the cases whose standing at E may
//     differ — a close, reopening or deadline change at or after E, or,
//     not closed, a deadline at or after E — are found through
//     cases_stats_pending_idx, taken out as counted and put back as they
//     stood at E (history from the spans tables). One statement, one
//     snapshot, no table scan.
//   - scanned (grid rows, or scopes of villages or grids): one parallel
//     scan of plain columns counts what the row tells; the history query
//     returns the rest case by case.

// statsCountedSQL: the counters of the period's days ($1, $2 dates), then,
// for each pending case (reported in [$3, $4) with something of it at or
// after $4, see migration 202), its standing at $4 less its standing as
// counted. For span class k (riskmap_case_span_class: under 2^k days from
// the report to the last of those times; 16: unbounded) only reports within
// 2^k days before E can reach it. A case reopened or given a new deadline
// after E takes its close and deadline then from its spans. %[1]s is the
// unit column, %[2]s and %[3]s the area and scope filters on
// k.township_code and c.township_code. Columns as mainCounts reads them.
const statsCountedSQL = `
WITH counted AS (
	SELECT k.%[1]s AS unit, sum(k.found) AS found, sum(k.to_rectify) AS to_rectify, sum(k.closed) AS rectified,
		sum(k.on_time) AS on_time, sum(k.major_found) AS major_found, sum(k.major_closed) AS major_rectified
	  FROM case_day_counts k
	 WHERE k.day >= $1::date AND k.day <= $2::date AND %[2]s
	 GROUP BY 1),
pending AS (
	SELECT c.%[1]s AS unit, c.id, c.grade, c.closed_at, c.deadline,
		coalesce(c.reopened_at >= $E, false) AS reopened_after, coalesce(c.deadline_changed_at >= $E, false) AS changed_after
	  FROM generate_series(0, 16) s(k)
	 CROSS JOIN LATERAL (
		SELECT * FROM cases c
		 WHERE c.state NOT IN ('void', 'duplicate')
		   AND riskmap_case_span_class(c.reported_at, c.closed_at, c.deadline, c.reopened_at, c.deadline_changed_at) = s.k
		   AND c.reported_at > CASE WHEN s.k < 16 THEN $E - (86400 * (1::bigint << s.k)) * interval '1 second' ELSE '-infinity' END
		   AND c.reported_at >= $3::timestamptz AND c.reported_at < $E
		   AND greatest(coalesce(c.closed_at, c.deadline), c.reopened_at, c.deadline_changed_at) >= $E) c
	 WHERE %[3]s),
standing AS (
	SELECT p.unit, p.grade, p.closed_at, p.deadline,
		CASE WHEN p.reopened_after THEN s.closed_from WHEN p.closed_at < $E THEN p.closed_at END AS closed_e,
		CASE WHEN p.changed_after THEN d.deadline ELSE p.deadline END AS deadline_e
	  FROM pending p
	  LEFT JOIN case_closed_spans s
	    ON p.reopened_after AND s.case_id = p.id AND s.closed_from < $E AND (s.closed_until IS NULL OR $E <= s.closed_until)
	  LEFT JOIN case_deadline_spans d
	    ON p.changed_after AND d.case_id = p.id AND d.set_at < $E AND (d.until IS NULL OR $E <= d.until)),
corrections AS (
	SELECT unit, 0 AS found,
		sum(coalesce(closed_e IS NOT NULL OR deadline_e < $E, false)::int - (closed_at IS NOT NULL OR deadline IS NOT NULL)::int) AS to_rectify,
		sum((closed_e IS NOT NULL)::int - (closed_at IS NOT NULL)::int) AS rectified,
		sum(coalesce(closed_e <= deadline_e, false)::int - coalesce(closed_at <= deadline, false)::int) AS on_time,
		0 AS major_found,
		sum(CASE WHEN grade = 'major' THEN (closed_e IS NOT NULL)::int - (closed_at IS NOT NULL)::int ELSE 0 END) AS major_rectified
	  FROM standing
	 GROUP BY unit)
SELECT unit, sum(found), sum(to_rectify), sum(rectified), sum(on_time), sum(major_found), sum(major_rectified)
  FROM (SELECT * FROM counted UNION ALL SELECT * FROM corrections) x
 GROUP BY unit`

// statsUnitsSQL lists the areas (or grids) of the grouping level; %[1]s is
// the table, %[2]s the level predicate, %[3]s the scope predicate.
const statsUnitsSQL = `SELECT u.code, u.name FROM %[1]s u WHERE %[2]s AND u.code LIKE $1 AND %[3]s ORDER BY u.code`

// statsMainSQL counts the cases whose standing at E ($2) the row tells;
// %[1]s is the unit column, %[2]s the case filter.
const statsMainSQL = `
SELECT c.%[1]s, count(*),
	count(*) FILTER (WHERE c.closed_at < $2 OR c.deadline < $2),
	count(*) FILTER (WHERE c.closed_at < $2),
	count(*) FILTER (WHERE c.closed_at < $2 AND c.closed_at <= c.deadline),
	count(*) FILTER (WHERE c.grade = 'major'),
	count(*) FILTER (WHERE c.grade = 'major' AND c.closed_at < $2)
  FROM cases c
 WHERE %[2]s AND NOT coalesce(c.reopened_at >= $2, false) AND NOT coalesce(c.deadline_changed_at >= $2, false)
 GROUP BY 1`

// statsHistorySQL returns the other cases with their standing at E from
// the event history.
const statsHistorySQL = `
SELECT c.%[1]s, c.grade,
	CASE WHEN c.reopened_at IS NULL OR c.reopened_at < $2 THEN
		CASE WHEN c.closed_at < $2 THEN c.closed_at END
	ELSE (SELECT CASE WHEN e.to_state = 'closed' THEN e.at END FROM case_events e
		   WHERE e.case_id = c.id AND e.at < $2 AND (e.to_state = 'closed' OR e.from_state = 'closed')
		   ORDER BY e.at DESC, e.id DESC LIMIT 1)
	END,
	CASE WHEN c.deadline_changed_at IS NULL OR c.deadline_changed_at < $2 THEN c.deadline
	ELSE (SELECT e.deadline FROM case_events e
		   WHERE e.case_id = c.id AND e.at < $2 AND e.deadline IS NOT NULL
		   ORDER BY e.at DESC, e.id DESC LIMIT 1)
	END
  FROM cases c
 WHERE %[2]s AND (c.reopened_at >= $2 OR c.deadline_changed_at >= $2)`

// Rectification computes the statistics of docs/domain.md for q, within the
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
//   - on_time: rectified cases closed on or before their deadline;
//   - escalated: found cases escalated to the county (or city) by the
//     period's end.
//
// The period's end is the first instant of the day after To.
func (s *Store) Rectification(ctx context.Context, u *riskmap.User, q StatsQuery) (Stats, error) {
	var table, level, col string
	switch q.GroupBy {
	case "county", "township":
		table, level, col = "areas", "u.level = '"+q.GroupBy+"'", q.GroupBy+"_code"
	case "grid":
		table, level, col = "grids", "true", "grid_code"
	default:
		return Stats{}, riskmap.Errorf(riskmap.EINVALID, "group_by: want county, township or grid, got %q", q.GroupBy)
	}
	from := time.Date(q.From.Year(), q.From.Month(), q.From.Day(), 0, 0, 0, 0, shanghai)
	to := time.Date(q.To.Year(), q.To.Month(), q.To.Day(), 0, 0, 0, 0, shanghai)
	if to.Before(from) {
		return Stats{}, riskmap.Errorf(riskmap.EINVALID, "from %s is after to %s", from.Format("2006-01-02"), to.Format("2006-01-02"))
	}
	end := to.AddDate(0, 0, 1)
	origin, err := originFilter(q.Origin)
	if err != nil {
		return Stats{}, err
	}
	out := Stats{Area: q.Area, From: from.Format("2006-01-02"), To: to.Format("2006-01-02"), GroupBy: q.GroupBy, Rows: []StatsRow{}}

	scope := u.Scope()
	areaPrefix := "%"
	if q.Area != "" {
		err := s.reads.QueryRow(ctx, "SELECT name FROM areas WHERE code = $1", q.Area).Scan(&out.AreaName)
		if errors.Is(err, pgx.ErrNoRows) {
			return Stats{}, riskmap.Errorf(riskmap.ENOTFOUND, "area %s not found", q.Area)
		}
		if err != nil {
			return Stats{}, fmt.Errorf("stats: area %s: %w", q.Area, err)
		}
		if !scope.Overlaps(q.Area) {
			return Stats{}, riskmap.Errorf(riskmap.EFORBIDDEN, "area %s is outside your area", q.Area)
		}
		areaPrefix = riskmap.AreaPrefix(q.Area) + "%"
	} else {
		name, err := scopeName(ctx, s.pool, u)
		if err != nil {
			return Stats{}, err
		}
		out.AreaName = name
	}

	// units: the areas of the level in the area that overlap the scope
	// (grids: the grids in it)
	unitScope, scopeArgs := scope.AreaSQL("u.code", 2)
	if table == "grids" {
		unitScope, scopeArgs = scope.SQL("u.code", 2)
	}
	rows, err := s.reads.Query(ctx, fmt.Sprintf(statsUnitsSQL, table, level, unitScope), append([]any{areaPrefix}, scopeArgs...)...)
	if err != nil {
		return Stats{}, fmt.Errorf("stats: units: %w", err)
	}
	index := map[string]int{}
	for rows.Next() {
		var r StatsRow
		if err := rows.Scan(&r.AreaCode, &r.AreaName); err != nil {
			rows.Close()
			return Stats{}, fmt.Errorf("stats: units: %w", err)
		}
		index[r.AreaCode] = len(out.Rows)
		out.Rows = append(out.Rows, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return Stats{}, fmt.Errorf("stats: units: %w", err)
	}

	// the counters count every case: cases of one origin are scanned (an
	// index holds those of inspections and patrols)
	if q.GroupBy != "grid" && origin == "" && riskmap.TownshipsOrMore(strings.TrimSuffix(areaPrefix, "%")) && scope.WholeTownships() {
		err = s.countedStats(ctx, col, from, to, end, areaPrefix, scope, index, out.Rows)
	} else {
		err = s.scannedStats(ctx, col, from, end, areaPrefix, scope, origin, index, out.Rows)
	}
	if err != nil {
		return Stats{}, err
	}
	if err := s.escalatedCounts(ctx, col, from, end, areaPrefix, scope, index, out.Rows); err != nil {
		return Stats{}, err
	}

	t := &out.Total
	for i := range out.Rows {
		r := &out.Rows[i]
		r.finish()
		t.Found += r.Found
		t.ToRectify += r.ToRectify
		t.Rectified += r.Rectified
		t.Overdue += r.Overdue
		t.OnTime += r.OnTime
		t.MajorFound += r.MajorFound
		t.MajorRectified += r.MajorRectified
		t.Escalated += r.Escalated
	}
	out.Total.AreaCode, out.Total.AreaName = q.Area, out.AreaName
	if out.Total.AreaName == "" {
		out.Total.AreaName = "合计"
	}
	out.Total.finish()
	out.Sentence = Sentence(out.Total)
	return out, nil
}

// scannedStats counts by scanning the cases of the period (any unit, any
// scope): the main query counts what each row tells, the history query
// returns the cases reopened or re-deadlined after the period's end.
func (s *Store) scannedStats(ctx context.Context, col string, from, end time.Time, areaPrefix string, scope riskmap.Scope, origin string,
	index map[string]int, rows []StatsRow) error {
	filter := "c.reported_at >= $1 AND c.reported_at < $2 AND c.state NOT IN ('void', 'duplicate')" + origin
	args := []any{from, end}
	if areaPrefix != "%" {
		args = append(args, areaPrefix)
		filter += fmt.Sprintf(" AND c.grid_code LIKE $%d", len(args))
	}
	if !scope.All {
		cond, a := scope.SQL("c.grid_code", len(args)+1)
		args = append(args, a...)
		filter += " AND " + cond
	}
	// The history query reads a few cases by index while the main query
	// scans: run them side by side.
	type histResult struct {
		rows []histRow
		err  error
	}
	hist := make(chan histResult, 1)
	go func() {
		r, err := s.historyRows(ctx, fmt.Sprintf(statsHistorySQL, col, filter), args)
		hist <- histResult{r, err}
	}()
	mainErr := s.mainCounts(ctx, fmt.Sprintf(statsMainSQL, col, filter), args, index, rows)
	h := <-hist
	if mainErr != nil {
		return mainErr
	}
	if h.err != nil {
		return h.err
	}
	for _, c := range h.rows {
		i, ok := index[c.unit]
		if !ok {
			continue
		}
		r := &rows[i]
		due := c.deadline != nil && c.deadline.Before(end)
		r.Found++
		if c.closed != nil || due {
			r.ToRectify++
		}
		if c.closed != nil {
			r.Rectified++
			if c.deadline != nil && !c.closed.After(*c.deadline) {
				r.OnTime++
			}
		} else if due {
			r.Overdue++
		}
		if c.grade == "major" {
			r.MajorFound++
			if c.closed != nil {
				r.MajorRectified++
			}
		}
	}

	return nil
}

// escalatedCounts counts, per unit, the found cases of the period first
// escalated before its end: few cases, found by cases_first_escalated_idx.
func (s *Store) escalatedCounts(ctx context.Context, col string, from, end time.Time, areaPrefix string, scope riskmap.Scope,
	index map[string]int, rows []StatsRow) error {
	filter := "c.first_escalated_at < $2 AND c.reported_at >= $1 AND c.reported_at < $2 AND c.state NOT IN ('void', 'duplicate') AND c.grid_code LIKE $3"
	args := []any{from, end, areaPrefix}
	if !scope.All {
		cond, a := scope.SQL("c.grid_code", len(args)+1)
		args = append(args, a...)
		filter += " AND " + cond
	}
	err := postgres.Statistics(ctx, s.reads, fmt.Sprintf(`SELECT c.%s, count(*) FROM cases c WHERE %s GROUP BY 1`, col, filter), args, func(r pgx.Rows) error {
		var unit string
		var n int
		if err := r.Scan(&unit, &n); err != nil {
			return err
		}
		if i, ok := index[unit]; ok {
			rows[i].Escalated += n
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("stats: escalated: %w", err)
	}
	return nil
}

// countedStats counts from the per-day counters and the pending cases
// (statsCountedSQL); county or township units only, and area and scope
// prefixes of whole townships or more (riskmap.Scope.WholeTownships).
func (s *Store) countedStats(ctx context.Context, col string, from, to, end time.Time, areaPrefix string, scope riskmap.Scope,
	index map[string]int, rows []StatsRow) error {
	args := []any{from.Format("2006-01-02"), to.Format("2006-01-02"), from, end}
	counted, pending := "true", "true"
	if areaPrefix != "%" {
		args = append(args, areaPrefix)
		counted = fmt.Sprintf("k.township_code LIKE $%d", len(args))
		pending = fmt.Sprintf("c.township_code LIKE $%d", len(args))
	}
	if !scope.All {
		k, a := scope.SQL("k.township_code", len(args)+1)
		c, _ := scope.SQL("c.township_code", len(args)+1)
		args = append(args, a...)
		counted += " AND " + k
		pending += " AND " + c
	}
	sql := strings.ReplaceAll(fmt.Sprintf(statsCountedSQL, col, counted, pending), "$E", "$4::timestamptz")
	return s.mainCounts(ctx, sql, args, index, rows)
}

// mainCounts adds the main query's counts to the rows of their units.
func (s *Store) mainCounts(ctx context.Context, sql string, args []any, index map[string]int, out []StatsRow) error {
	err := postgres.Statistics(ctx, s.reads, sql, args, func(rows pgx.Rows) error {
		var unit string
		var found, toRectify, rectified, onTime, majorFound, majorRectified int
		if err := rows.Scan(&unit, &found, &toRectify, &rectified, &onTime, &majorFound, &majorRectified); err != nil {
			return err
		}
		i, ok := index[unit]
		if !ok {
			return nil // codes nest, so this cannot be; never count a case outside the rows
		}
		r := &out[i]
		r.Found += found
		r.ToRectify += toRectify
		r.Rectified += rectified
		r.Overdue += toRectify - rectified
		r.OnTime += onTime
		r.MajorFound += majorFound
		r.MajorRectified += majorRectified
		return nil
	})
	if err != nil {
		return fmt.Errorf("stats: %w", err)
	}
	return nil
}

// histRow is one case whose standing at the period's end came from its
// history.
type histRow struct {
	unit, grade      string
	closed, deadline *time.Time
}

func (s *Store) historyRows(ctx context.Context, sql string, args []any) ([]histRow, error) {
	var out []histRow
	err := postgres.Statistics(ctx, s.reads, sql, args, func(rows pgx.Rows) error {
		var h histRow
		if err := rows.Scan(&h.unit, &h.grade, &h.closed, &h.deadline); err != nil {
			return err
		}
		out = append(out, h)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("stats: history: %w", err)
	}
	return out, nil
}
