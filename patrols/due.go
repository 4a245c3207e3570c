package patrols

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geo"

	"riskmap"
)

// DueQuery selects the risk points due for a patrol.
type DueQuery struct {
	Area        string // 12-digit area or 15-digit grid code; "" = the whole scope
	OverdueOnly bool   // only those past their due date
	// Within: also the points due within this many days from today (nil:
	// DueSoonDays); the overdue ones are always listed.
	Within *int
	Near   *orb.Point // sort by distance from here, nearest first
	Limit  int
	Offset int
}

// DuePage is a page of the due list; Next is the offset of the following
// page, or 0. Today is the day "overdue" was decided on.
type DuePage struct {
	Features []json.RawMessage
	// Joined holds the Features one after another, separated by commas (a
	// JSON array's members), in one buffer: the answer writes it as is.
	Joined []byte
	Next   int
	Today  string
}

// dueSQL lists active risk points (alias t) in scope that are due by $2,
// with their due date, their last patrol and, from today ($1), whether and
// how long they are overdue; most overdue first. %[1]s is the filter, %[2]s
// the due date.
const dueSQL = `
WITH d AS (
	SELECT t.id, t.name, t.category, t.risk_level, t.grid_code, t.township_code, t.county_code, t.geom, t.last_inspection,
		%[2]s AS due_on
	  FROM risk_points t
	 WHERE t.status = 'active' AND %[1]s)
SELECT ST_X(d.geom), ST_Y(d.geom), json_build_object('type', 'Feature', 'id', d.id, 'geometry', ST_AsGeoJSON(d.geom, 8)::json,
	'properties', json_build_object(
		'name', d.name, 'category', d.category, 'risk_level', d.risk_level,
		'grid_code', d.grid_code, 'township_code', d.township_code, 'county_code', d.county_code,
		'interval_days', (SELECT i.days FROM patrol_intervals i WHERE i.risk_level = d.risk_level),
		'due_on', d.due_on, 'overdue', $1::date > d.due_on, 'overdue_days', greatest($1::date - d.due_on, 0),
		'days_left', greatest(d.due_on - $1::date, 0),
		'last_inspection', d.last_inspection, 'last_patrol_at', lp.patrolled_at, 'last_patrol_id', lp.id,
		'last_patrol_off_site', lp.off_site))::text
  FROM d
  LEFT JOIN LATERAL (SELECT p.id, p.patrolled_at, p.off_site FROM patrols p
                      WHERE p.risk_point_id = d.id ORDER BY p.patrolled_at DESC LIMIT 1) lp ON true
 WHERE d.due_on <= $2::date
 ORDER BY d.due_on, d.risk_level, d.id`

// Due lists the active risk points in u's view that are overdue or due
// within the window, most overdue first (or nearest first when q.Near is
// set, with distance_m on the great circle). Workers see their grids,
// offices and planners their areas. The list of a scope and day is kept
// until a risk point changes (duecache.go).
func (s *Store) Due(ctx context.Context, u *riskmap.User, q DueQuery) (DuePage, error) {
	today := Today(s.cfg.Now())
	within := DueSoonDays
	if q.Within != nil {
		within = *q.Within
	}
	key := dueKey{scope: u.Scope().Fingerprint(), today: today.Format("2006-01-02"), area: q.Area, overdue: q.OverdueOnly, within: within}
	items, ok := s.due.get(key)
	if !ok {
		gen := s.due.begin()
		var err error
		if items, err = s.dueItems(ctx, u, key); err != nil {
			return DuePage{}, err
		}
		s.due.put(key, items, gen)
	}
	var dist []float64
	order := make([]int, len(items))
	for i := range order {
		order[i] = i
	}
	if q.Near != nil {
		dist = make([]float64, len(items))
		for i, it := range items {
			dist[i] = geo.Distance(*q.Near, orb.Point{it.lon, it.lat})
		}
		// nearest first; at equal distance in the list's order
		slices.SortFunc(order, func(a, b int) int {
			switch {
			case dist[a] < dist[b]:
				return -1
			case dist[a] > dist[b]:
				return 1
			}
			return a - b
		})
	}
	page := DuePage{Today: key.today, Features: []json.RawMessage{}}
	order = order[min(q.Offset, len(order)):]
	if q.Limit > 0 && len(order) > q.Limit {
		order, page.Next = order[:q.Limit], q.Offset+q.Limit
	}
	// the page's Features share one buffer: a list is a few hundred of them
	size := 0
	for _, i := range order {
		size += len(items[i].doc) + len(`,"distance_m":`) + 24
	}
	arena := make([]byte, 0, size)
	page.Features = make([]json.RawMessage, len(order))
	for n, i := range order {
		if n > 0 {
			arena = append(arena, ',')
		}
		start := len(arena)
		doc := items[i].doc
		if dist == nil {
			arena = append(arena, doc...)
		} else {
			// the Feature ends with the close of properties and its own
			arena = append(append(arena, doc[:len(doc)-2]...), `,"distance_m":`...)
			arena = strconv.AppendFloat(arena, float64(int64(dist[i]*10+0.5))/10, 'f', -1, 64)
			arena = append(arena, "}}"...)
		}
		page.Features[n] = arena[start:len(arena):len(arena)]
	}
	page.Joined = arena
	return page, nil
}

// dueItems reads a list from the database.
func (s *Store) dueItems(ctx context.Context, u *riskmap.User, k dueKey) ([]dueItem, error) {
	today, _ := dayOf(k.today)
	until := today.AddDate(0, 0, k.within)
	if k.overdue {
		until = today.AddDate(0, 0, -1)
	}
	args := []any{k.today, until.Format("2006-01-02")}
	filter, sargs := u.Scope().SQL("t.grid_code", len(args)+1)
	args = append(args, sargs...)
	if k.area != "" {
		args = append(args, riskmap.AreaPrefix(k.area)+"%")
		filter += fmt.Sprintf(" AND t.grid_code LIKE $%d", len(args))
	}
	rows, err := s.pool.Query(ctx, fmt.Sprintf(dueSQL, filter, DueOnSQL("t")), args...)
	if err != nil {
		return nil, fmt.Errorf("due patrols: %w", err)
	}
	defer rows.Close()
	items := []dueItem{}
	for rows.Next() {
		var it dueItem
		var doc string
		if err := rows.Scan(&it.lon, &it.lat, &doc); err != nil {
			return nil, err
		}
		it.doc = []byte(doc)
		items = append(items, it)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("due patrols: %w", err)
	}
	return items, nil
}
