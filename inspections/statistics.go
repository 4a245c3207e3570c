package inspections

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"golang.org/x/sync/errgroup"

	"riskmap"
	"riskmap/cases"
	"riskmap/patrols"
	"riskmap/postgres"
)

// StatsQuery asks for the inspection statistics of an area over whole days
// [From, To] in Asia/Shanghai.
type StatsQuery struct {
	Area    string // 12-digit code; "" = the user's scope (the city for an admin)
	From    time.Time
	To      time.Time
	GroupBy string // county, township or grid
}

// Fen is an amount in fen (hundredths of a yuan), written in JSON as yuan
// with two decimals.
type Fen int64

// MarshalJSON writes yuan with two decimals, exactly.
func (f Fen) MarshalJSON() ([]byte, error) { return []byte(f.Yuan()), nil }

// UnmarshalJSON reads yuan with at most two decimals, exactly.
func (f *Fen) UnmarshalJSON(b []byte) error {
	n, err := parseYuan(b)
	*f = Fen(n)
	return err
}

// Yuan is the amount in yuan with two decimals.
func (f Fen) Yuan() string {
	sign := ""
	if f < 0 {
		sign, f = "-", -f
	}
	return fmt.Sprintf("%s%d.%02d", sign, f/100, f%100)
}

// Wan is the amount in 万元 (ten thousand yuan) with two decimals, rounded
// half up, as the annual report writes fines: 6,019,800 yuan is "601.98".
func (f Fen) Wan() string {
	h := (int64(f) + 5000) / 10000 // hundredths of 万元
	return fmt.Sprintf("%d.%02d", h/100, h%100)
}

// Share is the inspecting office's own part of the figures (the report's
// "其中，市局…"): the inspections made by offices of the area's own level.
type Share struct {
	Enterprises int `json:"enterprises"`
	Inspections int `json:"inspections"`
	Penalties   int `json:"penalties"`
	Fines       Fen `json:"fines_yuan"`
}

// StatsRow is one area's figures.
type StatsRow struct {
	AreaCode    string   `json:"area_code"`
	AreaName    string   `json:"area_name"`
	Worker      string   `json:"worker,omitempty"` // a grid's worker (grid rows)
	Enterprises int      `json:"enterprises"`      // distinct enterprises inspected
	Inspections int      `json:"inspections"`
	Found       int      `json:"found"` // hidden hazards the inspections found
	ToRectify   int      `json:"to_rectify"`
	Rectified   int      `json:"rectified"`
	Rate        *float64 `json:"rate"`
	Overdue     int      `json:"overdue"`
	Penalties   int      `json:"penalties"`
	Fines       Fen      `json:"fines_yuan"`
	// Own: the same counted over the inspections of the own level
	Own     Share           `json:"own"`
	Patrols patrols.Figures `json:"patrols"`
}

// Stats is the reply: a row per area of the level, the total, the level
// whose inspections make the own share, and the report's paragraph.
type Stats struct {
	Area     string     `json:"area"`
	AreaName string     `json:"area_name"`
	From     string     `json:"from"`
	To       string     `json:"to"`
	GroupBy  string     `json:"group_by"`
	OwnLevel string     `json:"own_level"`
	OwnName  string     `json:"own_name"`
	Rows     []StatsRow `json:"rows"`
	Total    StatsRow   `json:"total"`
	Sentence string     `json:"sentence"`
}

// inspectionsSQL counts a period's inspections ($1, $2 dates) by unit
// (%[1]s; NULL in the total's row, whose distinct enterprises are not a
// sum), and those of the own level $3; %[2]s is the area and scope filter.
// The inspections are read once, hashed by unit and enterprise (a count of
// distinct enterprises over them sorted every row of a year, spilling to
// disk); the rows are then counted per unit and in all.
const inspectionsSQL = `
WITH units AS (
	SELECT i.%[1]s AS unit, i.hazard_source_id, count(*) AS inspections,
		count(*) FILTER (WHERE i.penalty_yuan IS NOT NULL) AS penalties, sum(i.penalty_yuan * 100) AS fines,
		count(*) FILTER (WHERE i.level = $3) AS own_inspections,
		count(*) FILTER (WHERE i.level = $3 AND i.penalty_yuan IS NOT NULL) AS own_penalties,
		sum(i.penalty_yuan * 100) FILTER (WHERE i.level = $3) AS own_fines
	  FROM inspections i
	 WHERE i.inspected_on >= $1::date AND i.inspected_on <= $2::date AND %[2]s
	 GROUP BY 1, 2)
SELECT CASE WHEN grouping(unit) = 0 THEN unit END,
	count(DISTINCT hazard_source_id), coalesce(sum(inspections), 0)::bigint, coalesce(sum(penalties), 0)::bigint,
	coalesce(sum(fines), 0)::bigint, count(DISTINCT hazard_source_id) FILTER (WHERE own_inspections > 0),
	coalesce(sum(own_inspections), 0)::bigint, coalesce(sum(own_penalties), 0)::bigint, coalesce(sum(own_fines), 0)::bigint
  FROM units
 GROUP BY GROUPING SETS ((unit), ())`

// Statistics counts, for q in u's view (docs/domain.md, "Inspections"):
// enterprises inspected (distinct), inspections, penalties and fines by
// inspection date; the hidden hazards inspections found, to rectify,
// rectified and the rate, as the rectification statistics count them
// (cases.Store.Rectification over the cases of inspections); the same
// inspection figures for the own level's inspections; the patrol figures;
// and the annual report's paragraph for the total.
func (s *Store) Statistics(ctx context.Context, u *riskmap.User, q StatsQuery) (Stats, error) {
	area, own, err := s.ownLevel(ctx, u, q.Area)
	if err != nil {
		return Stats{}, err
	}
	switch q.GroupBy {
	case "county", "township", "grid":
	default: // before it names a column
		return Stats{}, riskmap.Errorf(riskmap.EINVALID, "group_by: want county, township or grid, got %q", q.GroupBy)
	}
	// the three tables are read side by side (a read-only transaction each)
	col := q.GroupBy + "_code"
	var rect cases.Stats
	var counts map[string]StatsRow
	var figs map[string]patrols.Figures
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() (err error) {
		rect, err = s.cases.Rectification(gctx, u, cases.StatsQuery{Area: area, From: q.From, To: q.To, GroupBy: q.GroupBy, Origin: cases.OriginInspection})
		return err
	})
	g.Go(func() (err error) {
		counts, err = s.inspectionCounts(gctx, u, col, area, own.level, q)
		return err
	})
	g.Go(func() (err error) {
		figs, err = s.patrols.Figures(gctx, u, patrols.FiguresQuery{Unit: col, Area: area, From: q.From, To: q.To})
		return err
	})
	if err := g.Wait(); err != nil {
		return Stats{}, err
	}
	out := Stats{Area: area, AreaName: rect.AreaName, From: rect.From, To: rect.To, GroupBy: q.GroupBy, OwnLevel: own.level,
		OwnName: own.name, Rows: make([]StatsRow, len(rect.Rows))}
	index := map[string]int{}
	for i, r := range rect.Rows {
		out.Rows[i] = StatsRow{AreaCode: r.AreaCode, AreaName: r.AreaName, Found: r.Found, ToRectify: r.ToRectify,
			Rectified: r.Rectified, Rate: r.Rate, Overdue: r.Overdue}
		index[r.AreaCode] = i
	}
	t := rect.Total
	out.Total = StatsRow{AreaCode: t.AreaCode, AreaName: t.AreaName, Found: t.Found, ToRectify: t.ToRectify, Rectified: t.Rectified,
		Rate: t.Rate, Overdue: t.Overdue}
	for unit, c := range counts {
		dst := &out.Total
		if unit != "" {
			i, ok := index[unit]
			if !ok {
				continue // codes nest: cannot be
			}
			dst = &out.Rows[i]
		}
		dst.Enterprises, dst.Inspections, dst.Penalties, dst.Fines, dst.Own = c.Enterprises, c.Inspections, c.Penalties, c.Fines, c.Own
	}
	for unit, f := range figs {
		if i, ok := index[unit]; ok {
			out.Rows[i].Patrols = f
			out.Total.Patrols.Add(f)
		}
	}
	if q.GroupBy == "grid" && len(out.Rows) > 0 {
		if err := s.gridWorkers(ctx, out.Rows); err != nil {
			return Stats{}, err
		}
	}
	out.Sentence = Sentence(out.Total, own.name)
	return out, nil
}

// gridWorkers names the worker of each grid row: patrol completion by grid
// is completion by worker (one worker per grid).
func (s *Store) gridWorkers(ctx context.Context, rows []StatsRow) error {
	codes := make([]string, len(rows))
	for i, r := range rows {
		codes[i] = r.AreaCode
	}
	res, err := s.pool.Query(ctx, "SELECT code, coalesce(worker, '') FROM grids WHERE code = ANY($1)", codes)
	if err != nil {
		return fmt.Errorf("grid workers: %w", err)
	}
	defer res.Close()
	workers := map[string]string{}
	for res.Next() {
		var code, w string
		if err := res.Scan(&code, &w); err != nil {
			return err
		}
		workers[code] = w
	}
	for i := range rows {
		rows[i].Worker = workers[rows[i].AreaCode]
	}
	return res.Err()
}

// inspectionCounts counts the inspections by unit; the total is under "".
func (s *Store) inspectionCounts(ctx context.Context, u *riskmap.User, col, area, level string, q StatsQuery) (map[string]StatsRow, error) {
	args := []any{q.From.Format("2006-01-02"), q.To.Format("2006-01-02"), level}
	filter, sargs := u.Scope().SQL("i.grid_code", len(args)+1)
	args = append(args, sargs...)
	if area != "" {
		args = append(args, riskmap.AreaPrefix(area)+"%")
		filter += fmt.Sprintf(" AND i.grid_code LIKE $%d", len(args))
	}
	out := map[string]StatsRow{}
	err := postgres.Statistics(ctx, s.reads, fmt.Sprintf(inspectionsSQL, col, filter), args, func(rows pgx.Rows) error {
		var unit *string
		var r StatsRow
		if err := rows.Scan(&unit, &r.Enterprises, &r.Inspections, &r.Penalties, &r.Fines,
			&r.Own.Enterprises, &r.Own.Inspections, &r.Own.Penalties, &r.Own.Fines); err != nil {
			return err
		}
		key := ""
		if unit != nil {
			key = *unit
		}
		out[key] = r
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("inspection statistics: %w", err)
	}
	return out, err
}

// own names the level whose inspections make the own share.
type own struct{ level, name string }

// ownLevel resolves the area asked (the city for an admin asking for
// everything; the single area of a user's scope) and the level of its own
// inspections: a city's are the city bureau's (市局), a county's its
// bureau's (区局, 县局 or 市局 for a county-level city), a township's its
// office's (镇街).
func (s *Store) ownLevel(ctx context.Context, u *riskmap.User, area string) (string, own, error) {
	if area == "" {
		switch {
		case u.Role == riskmap.RoleAdmin:
			err := s.pool.QueryRow(ctx, "SELECT code FROM areas WHERE level = 'city' ORDER BY code LIMIT 1").Scan(&area)
			if err != nil && !errors.Is(err, pgx.ErrNoRows) {
				return "", own{}, fmt.Errorf("statistics: the city: %w", err)
			}
		case len(u.Areas) == 1:
			area = u.Areas[0]
		}
	}
	if area == "" {
		level := u.Role
		if !isOffice(level) {
			level = riskmap.RoleTownship
		}
		return "", own{level, ownNames[level]}, nil
	}
	var level, name string
	err := s.pool.QueryRow(ctx, "SELECT level, name FROM areas WHERE code = $1", area).Scan(&level, &name)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", own{}, riskmap.Errorf(riskmap.ENOTFOUND, "area %s not found", area)
	}
	if err != nil {
		return "", own{}, fmt.Errorf("statistics: area %s: %w", area, err)
	}
	if level == "village" {
		level = riskmap.RoleTownship
	}
	o := own{level, ownNames[level]}
	if level == riskmap.RoleCounty {
		for _, suffix := range []string{"区", "县", "市"} {
			if strings.HasSuffix(name, suffix) {
				o.name = suffix + "局"
			}
		}
	}
	return area, o, nil
}

var ownNames = map[string]string{riskmap.RoleCity: "市局", riskmap.RoleCounty: "县局", riskmap.RoleTownship: "镇街"}

// Sentence is the annual report's paragraph for a row, own naming the own
// level ("市局"):
// 监督检查各类生产经营单位N家，监督检查生产经营单位N次，发现隐患N处，应整改隐患N处，已整改隐患N处，整改率为R%，
// 实施行政处罚N次，罚款F万元。其中，市局检查各类生产经营单位N家、N次，实施行政处罚N次，罚款F万元。
// (The rate is left out when nothing was to be rectified.)
func Sentence(r StatsRow, own string) string {
	var b strings.Builder
	b.WriteString("监督检查各类生产经营单位" + strconv.Itoa(r.Enterprises) + "家，监督检查生产经营单位" + strconv.Itoa(r.Inspections) +
		"次，发现隐患" + strconv.Itoa(r.Found) + "处，应整改隐患" + strconv.Itoa(r.ToRectify) + "处，已整改隐患" + strconv.Itoa(r.Rectified) + "处")
	if p := cases.Percent(r.Rectified, r.ToRectify); p != "" {
		b.WriteString("，整改率为" + p)
	}
	b.WriteString("，实施行政处罚" + strconv.Itoa(r.Penalties) + "次，罚款" + r.Fines.Wan() + "万元。")
	b.WriteString("其中，" + own + "检查各类生产经营单位" + strconv.Itoa(r.Own.Enterprises) + "家、" + strconv.Itoa(r.Own.Inspections) +
		"次，实施行政处罚" + strconv.Itoa(r.Own.Penalties) + "次，罚款" + r.Own.Fines.Wan() + "万元。")
	return b.String()
}
