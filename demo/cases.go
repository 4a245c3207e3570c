package demo

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"riskmap/cases"
)

// The demo's hidden hazards: the year 2021 made to read exactly like the
// annual report (发现隐患2304处,应整改隐患2287处,已整改隐患2255处,整改率为98.6%),
// every case with its full history, plus about three hundred cases over the
// year before the load, in every state, so the case board, the overdue and
// escalated lists and the live feed have something to show. The data are
// drawn from a fixed seed: the 2021 cases are the same on every load; the
// recent ones keep their shape and move with the load date.

// casesLockKey serialises concurrent loads of the demo cases ("rmcases" in ASCII).
const casesLockKey int64 = 0x726d6361736573

// Year2021 is what the city's 2021 statistics read after LoadCases.
const Year2021 = "发现隐患2304处,应整改隐患2287处,已整改隐患2255处,整改率为98.6%"

// demoID is the deterministic id of the n-th demo case.
func demoID(n int) string {
	s := md5.Sum([]byte(fmt.Sprintf("riskmap-demo-case-%d", n)))
	h := hex.EncodeToString(s[:])
	return h[:8] + "-" + h[8:12] + "-4" + h[13:16] + "-a" + h[17:20] + "-" + h[20:]
}

// LoadCases adds the demo cases to the demo city (Load first). It does
// nothing and returns false if they are there already, or if there is no
// city to put them in.
func LoadCases(ctx context.Context, pool *pgxpool.Pool) (loaded bool, err error) {
	tx, err := pool.Begin(ctx)
	if err != nil {
		return false, fmt.Errorf("demo cases: begin: %w", err)
	}
	defer tx.Rollback(ctx)
	if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock($1)", casesLockKey); err != nil {
		return false, fmt.Errorf("demo cases: lock: %w", err)
	}
	var present, grids bool
	if err := tx.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM cases WHERE id = $1), EXISTS (SELECT 1 FROM grids)", demoID(0)).Scan(&present, &grids); err != nil {
		return false, fmt.Errorf("demo cases: %w", err)
	}
	if present || !grids {
		return false, nil
	}
	if _, err := tx.Exec(ctx, "SELECT set_config('riskmap.actor', 'demo', true), set_config('riskmap.via', 'demo', true), set_config('jit', 'off', true)"); err != nil {
		return false, fmt.Errorf("demo cases: %w", err)
	}
	gs, err := demoGrids(ctx, tx)
	if err != nil {
		return false, err
	}
	var now time.Time
	if err := tx.QueryRow(ctx, "SELECT now()").Scan(&now); err != nil {
		return false, err
	}
	cs := demoCases(gs, now)
	ents, err := demoEnterprises(ctx, tx, gs)
	if err != nil {
		return false, err
	}
	city := demoActor{name: "汕尾市应急管理局", role: "city"}
	var cityID int64
	var cityName string
	err = tx.QueryRow(ctx, "SELECT id, coalesce(nullif(display_name, ''), username) FROM users WHERE role = 'city' AND NOT disabled ORDER BY id LIMIT 1").
		Scan(&cityID, &cityName)
	if err == nil {
		city = demoActor{id: &cityID, name: cityName, role: "city"}
	} else if !errors.Is(err, pgx.ErrNoRows) {
		return false, fmt.Errorf("demo cases: the city bureau: %w", err)
	}
	ins, err := inspect2021(cs, ents, city)
	if err != nil {
		return false, err
	}
	if err := insertInspections(ctx, tx, ins); err != nil {
		return false, err
	}
	if err := insertCases(ctx, tx, cs); err != nil {
		return false, err
	}
	if err := tx.Commit(ctx); err != nil {
		return false, fmt.Errorf("demo cases: commit: %w", err)
	}
	return true, nil
}

// demoGrids reads the grids with four points inside each and the people of
// their township and county: the demo accounts where they exist, named
// offices otherwise.
func demoGrids(ctx context.Context, tx pgx.Tx) ([]*demoGrid, error) {
	users := map[string]demoActor{}
	rows, err := tx.Query(ctx, `SELECT u.id, coalesce(nullif(u.display_name, ''), u.username), u.role,
			coalesce((SELECT array_agg(area_code ORDER BY area_code) FROM user_areas WHERE user_id = u.id), '{}'),
			coalesce((SELECT array_agg(grid_code ORDER BY grid_code) FROM user_grids WHERE user_id = u.id), '{}')
		  FROM users u WHERE u.role IN ('worker', 'township', 'county') AND NOT u.disabled ORDER BY u.id`)
	if err != nil {
		return nil, fmt.Errorf("demo cases: users: %w", err)
	}
	for rows.Next() {
		var id int64
		var name, role string
		var areas, gridCodes []string
		if err := rows.Scan(&id, &name, &role, &areas, &gridCodes); err != nil {
			rows.Close()
			return nil, err
		}
		a := demoActor{id: &id, name: name, role: role}
		for _, c := range append(areas, gridCodes...) {
			if _, ok := users[role+c]; !ok {
				users[role+c] = a
			}
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	rows, err = tx.Query(ctx, `SELECT g.code, g.township_code, g.county_code, coalesce(g.worker, '网格员'), t.name, c.name,
			array_agg(ST_X(p.geom) ORDER BY p.path), array_agg(ST_Y(p.geom) ORDER BY p.path)
		  FROM grids g JOIN areas t ON t.code = g.township_code JOIN areas c ON c.code = g.county_code,
		       LATERAL ST_Dump(ST_GeneratePoints(g.geom, 4, 20210101)) p
		 GROUP BY g.code, g.township_code, g.county_code, g.worker, t.name, c.name ORDER BY g.code`)
	if err != nil {
		return nil, fmt.Errorf("demo cases: grids: %w", err)
	}
	defer rows.Close()
	var out []*demoGrid
	for rows.Next() {
		g := &demoGrid{weight: 1}
		var worker, township, county string
		var xs, ys []float64
		if err := rows.Scan(&g.code, &g.township, &g.county, &worker, &township, &county, &xs, &ys); err != nil {
			return nil, err
		}
		for i := range xs {
			g.points = append(g.points, [2]float64{xs[i], ys[i]})
		}
		g.worker = demoActor{name: worker, role: "worker"}
		if a, ok := users["worker"+g.code]; ok {
			g.worker = a
			g.weight = 30 // the demo workers' grids get more cases to show
		}
		g.office = demoActor{name: township + "应急办", role: "township"}
		if a, ok := users["township"+g.township]; ok {
			g.office = a
			g.weight = max(g.weight, 8)
		}
		g.countyOffice = demoActor{name: county + "应急管理局", role: "county"}
		if a, ok := users["county"+g.county]; ok {
			g.countyOffice = a
		}
		if len(g.points) > 0 {
			out = append(out, g)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return nil, errors.New("demo cases: no grids to place cases in")
	}
	return out, nil
}

func nullInt(n int64) any {
	if n == 0 {
		return nil
	}
	return n
}

// insertCases writes the cases and their events: each case row is its
// history folded by cases.Row.Apply, as Store.Act folds each action.
func insertCases(ctx context.Context, tx pgx.Tx, cs []*demoCase) error {
	type col struct {
		name, typ string
		vals      []any
	}
	cols := []*col{{"id", "uuid", nil}, {"state", "text", nil}, {"grade", "text", nil}, {"category", "text", nil},
		{"description", "text", nil}, {"reported_at", "timestamptz", nil}, {"device_time", "timestamptz", nil},
		{"reporter_id", "int8", nil}, {"reporter_name", "text", nil}, {"assignee_id", "int8", nil}, {"assignee_name", "text", nil},
		{"submitted_by", "int8", nil}, {"deadline", "timestamptz", nil}, {"deadline_changed_at", "timestamptz", nil},
		{"closed_at", "timestamptz", nil}, {"reopened_at", "timestamptz", nil}, {"responsibility", "text", nil},
		{"measures", "text", nil}, {"funds", "text", nil}, {"plan", "text", nil}, {"interim_controls", "text", nil},
		{"duplicate_of", "uuid", nil}, {"lon", "float8", nil}, {"lat", "float8", nil}, {"version", "int4", nil},
		{"updated_at", "timestamptz", nil}, {"inspection_id", "uuid", nil}, {"hazard_source_id", "int8", nil}}
	ev := []*col{{"case_id", "uuid", nil}, {"at", "timestamptz", nil}, {"actor_id", "int8", nil}, {"actor", "text", nil},
		{"role", "text", nil}, {"action", "text", nil}, {"from_state", "text", nil}, {"to_state", "text", nil},
		{"version", "int4", nil}, {"note", "text", nil}, {"reason", "text", nil}, {"deadline", "timestamptz", nil},
		{"assignee_id", "int8", nil}, {"duplicate_of", "uuid", nil}, {"details", "jsonb", nil}}
	str := func(s string) any {
		if s == "" {
			return nil
		}
		return s
	}
	// cases merged into later ones do not exist: merges point backwards
	sort.SliceStable(cs, func(i, j int) bool { return cs[i].events[0].at.Before(cs[j].events[0].at) })
	for _, c := range cs {
		var row cases.Row
		from := ""
		for i, e := range c.events {
			row.Apply(e.event())
			var det any
			if len(e.details) > 0 {
				b, _ := json.Marshal(e.details)
				det = string(b)
			}
			var aid *int64
			if e.assignee != nil {
				aid = e.assignee.id
			}
			for k, v := range []any{c.id, e.at, e.actor.id, e.actor.name, e.actor.role, e.action, str(from), e.to, i + 1,
				str(e.note), str(e.reason), e.deadline, aid, str(e.dupOf), det} {
				ev[k].vals = append(ev[k].vals, v)
			}
			from = e.to
		}
		first, last := c.events[0], c.last()
		for k, v := range []any{c.id, row.State, c.grade, c.category, c.description, first.at, c.deviceTime, first.actor.id,
			first.actor.name, row.AssigneeID, row.AssigneeName, row.SubmittedBy, row.Deadline, row.DeadlineChangedAt,
			row.ClosedAt, row.ReopenedAt, row.Responsibility, row.Measures, row.Funds, row.Plan, row.InterimControls,
			row.DuplicateOf, c.lon, c.lat, len(c.events), last.at, str(c.inspectionID), nullInt(c.hazardSourceID)} {
			cols[k].vals = append(cols[k].vals, v)
		}
	}
	args := make([]any, len(cols))
	names := ""
	sel := ""
	for i, c := range cols {
		args[i] = c.vals
		if c.name == "lon" || c.name == "lat" {
			continue
		}
		if names != "" {
			names += ", "
			sel += ", "
		}
		names += c.name
		sel += fmt.Sprintf("u.%s", c.name)
	}
	unnest := ""
	aliases := ""
	for i, c := range cols {
		if i > 0 {
			unnest += ", "
			aliases += ", "
		}
		unnest += fmt.Sprintf("$%d::%s[]", i+1, c.typ)
		aliases += c.name
	}
	q := fmt.Sprintf(`INSERT INTO cases (%s, created_at, geom)
		SELECT %s, u.reported_at, ST_SetSRID(ST_MakePoint(u.lon, u.lat), 4326) FROM unnest(%s) AS u(%s)`, names, sel, unnest, aliases)
	if _, err := tx.Exec(ctx, q, args...); err != nil {
		return fmt.Errorf("demo cases: insert cases: %w", err)
	}
	args = make([]any, len(ev))
	unnest, aliases = "", ""
	for i, c := range ev {
		args[i] = c.vals
		if i > 0 {
			unnest += ", "
			aliases += ", "
		}
		unnest += fmt.Sprintf("$%d::%s[]", i+1, c.typ)
		aliases += c.name
	}
	q = fmt.Sprintf(`INSERT INTO case_events (%s) SELECT * FROM unnest(%s) AS u(%s)`, aliases, unnest, aliases)
	if _, err := tx.Exec(ctx, q, args...); err != nil {
		return fmt.Errorf("demo cases: insert events: %w", err)
	}
	return nil
}
