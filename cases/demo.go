package cases

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"sort"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// The demo's hidden hazards: the year 2021 made to read exactly like the
// annual report (发现隐患2304处,应整改隐患2287处,已整改隐患2255处,整改率为98.6%),
// every case with its full history, plus about three hundred cases over the
// year before the load, in every state, so the case board, the overdue and
// escalated lists and the live feed have something to show. The data are
// drawn from a fixed seed: the 2021 cases are the same on every load; the
// recent ones keep their shape and move with the load date.

// demoLockKey serialises concurrent demo loads ("rmcases" in ASCII).
const demoLockKey int64 = 0x726d6361736573

// DemoYear2021 is what the city's 2021 statistics read after LoadDemo.
const DemoYear2021 = "发现隐患2304处,应整改隐患2287处,已整改隐患2255处,整改率为98.6%"

// demoID is the deterministic id of the n-th demo case.
func demoID(n int) string {
	s := md5.Sum([]byte(fmt.Sprintf("riskmap-demo-case-%d", n)))
	h := hex.EncodeToString(s[:])
	return h[:8] + "-" + h[8:12] + "-4" + h[13:16] + "-a" + h[17:20] + "-" + h[20:]
}

type demoActor struct {
	id   *int64
	name string
	role string
}

type demoGrid struct {
	code, township, county string
	worker                 demoActor
	office                 demoActor // the township's office
	countyOffice           demoActor
	points                 [][2]float64
	weight                 int
}

type demoEvent struct {
	at       time.Time
	action   string
	to       string
	actor    demoActor
	note     string
	reason   string
	deadline *time.Time
	assignee *demoActor
	details  map[string]string
	dupOf    string
}

type demoCase struct {
	id          string
	grid        *demoGrid
	lon, lat    float64
	grade       string
	category    string
	description string
	deviceTime  time.Time
	events      []demoEvent
}

var demoDescriptions = map[string][]string{
	"geological":    {"边坡出现新裂缝，雨后有落石", "挡土墙局部鼓胀开裂", "山体滑坡隐患点排水沟淤塞"},
	"flood":         {"排水沟堵塞，雨季易内涝", "低洼路段积水，无警示标志", "河道护岸冲刷损毁"},
	"reservoir":     {"山塘溢洪道杂物堵塞", "水库坝体渗水", "水位标尺缺失，无人巡查记录"},
	"coastal":       {"海堤防浪墙破损", "渔港避风锚地缆桩松动", "台风期临时工棚未加固"},
	"forest_fire":   {"林区违规用火，防火隔离带杂草丛生", "林区入口防火宣传牌缺失", "墓地周边可燃物堆积"},
	"crowded_place": {"商场疏散通道堆放杂物", "安全出口指示灯损坏", "农贸市场消防通道被占用"},
	"construction":  {"脚手架连墙件缺失", "基坑临边防护不到位", "塔吊限位装置失效"},
	"road_traffic":  {"急弯路段护栏缺失", "学校门口减速带损坏", "路侧临水临崖无防护"},
	"fire":          {"出租屋电动车室内充电", "消防栓无水", "厂房违规住人"},
	"other":         {"燃气管道标识缺失", "广告牌松动有坠落风险", "危旧房屋墙体开裂"},
}

// LoadDemo adds the demo cases to the demo city (demo.Load first). It does
// nothing and returns false if they are there already, or if there is no
// city to put them in.
func LoadDemo(ctx context.Context, pool *pgxpool.Pool) (loaded bool, err error) {
	tx, err := pool.Begin(ctx)
	if err != nil {
		return false, fmt.Errorf("demo cases: begin: %w", err)
	}
	defer tx.Rollback(ctx)
	if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock($1)", demoLockKey); err != nil {
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
	if err := insertDemo(ctx, tx, cs); err != nil {
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

// demoGen draws the cases from a fixed seed.
type demoGen struct {
	rng    *rand.Rand
	grids  []*demoGrid
	total  int
	n      int
	byGrid map[string][]*demoCase // cases per grid that a later report may duplicate
}

// mergeTarget is a case of the grid reported in the 90 days before r, if
// any: what a new report there may duplicate.
func (g *demoGen) mergeTarget(gr *demoGrid, r time.Time) string {
	var ids []string
	for _, c := range g.byGrid[gr.code] {
		if t := c.events[0].at; t.Before(r) && r.Sub(t) < 90*24*time.Hour {
			ids = append(ids, c.id)
		}
	}
	if len(ids) == 0 {
		return ""
	}
	return ids[g.rng.IntN(len(ids))]
}

func (g *demoGen) pickGrid(weighted bool) *demoGrid {
	if !weighted {
		return g.grids[g.rng.IntN(len(g.grids))]
	}
	x := g.rng.IntN(g.total)
	for _, gr := range g.grids {
		if x < gr.weight {
			return gr
		}
		x -= gr.weight
	}
	return g.grids[len(g.grids)-1]
}

// span is a random duration between lo and hi.
func (g *demoGen) span(lo, hi time.Duration) time.Duration {
	return lo + time.Duration(g.rng.Int64N(int64(hi-lo)+1))
}

func (g *demoGen) newCase(gr *demoGrid, reported time.Time, grade string) *demoCase {
	cats := Categories
	cat := cats[g.rng.IntN(len(cats))]
	descs := demoDescriptions[cat]
	p := gr.points[g.rng.IntN(len(gr.points))]
	c := &demoCase{id: demoID(g.n), grid: gr, lon: p[0], lat: p[1], grade: grade, category: cat,
		description: descs[g.rng.IntN(len(descs))], deviceTime: reported.Add(-g.span(0, 20*time.Minute))}
	g.n++
	c.events = []demoEvent{{at: reported, action: "report", to: Reported, actor: gr.worker}}
	return c
}

func (c *demoCase) last() demoEvent { return c.events[len(c.events)-1] }

func (c *demoCase) add(at time.Time, e demoEvent) time.Time {
	e.at = at
	c.events = append(c.events, e)
	return at
}

func (g *demoGen) grade() string {
	if g.rng.IntN(100) < 3 {
		return "major"
	}
	return "general"
}

func (g *demoGen) approver(c *demoCase) demoActor {
	if c.grade == "major" {
		return c.grid.countyOffice
	}
	return c.grid.office
}

// loop runs register → assign → start → submit (→ reject → submit) →
// approve from the report on. deadlineIn is the time given; rectify how
// long the work takes; rejects the rounds of rejection. It returns the time
// of the approval.
func (g *demoGen) loop(c *demoCase, deadlineIn, rectify time.Duration, rejects int) time.Time {
	gr := c.grid
	t := c.add(c.last().at.Add(g.span(time.Hour, 30*time.Hour)), demoEvent{action: "register", to: Registered, actor: gr.office, note: "已登记"})
	t = g.assign(c, t, deadlineIn)
	t = c.add(t.Add(g.span(time.Hour, 48*time.Hour)), demoEvent{action: "start", to: Rectifying, actor: gr.worker})
	for i := 0; i <= rejects; i++ {
		t = c.add(t.Add(rectify/time.Duration(rejects+1)), demoEvent{action: "submit", to: Submitted, actor: gr.worker, note: "已整改，附现场照片"})
		if i < rejects {
			t = c.add(t.Add(g.span(3*time.Hour, 24*time.Hour)), demoEvent{action: "reject", to: Rectifying, actor: g.approver(c), reason: "整改不到位，请继续整改"})
		}
	}
	return c.add(t.Add(g.span(2*time.Hour, 40*time.Hour)), demoEvent{action: "approve", to: Closed, actor: g.approver(c), note: "现场核查合格，同意销号"})
}

func (g *demoGen) assign(c *demoCase, t time.Time, deadlineIn time.Duration) time.Time {
	gr := c.grid
	t = t.Add(g.span(time.Hour, 24*time.Hour))
	dl := t.Add(deadlineIn)
	w := gr.worker
	e := demoEvent{action: "assign", to: Assigned, actor: gr.office, deadline: &dl, assignee: &w, note: "请按期整改"}
	if c.grade == "major" {
		e.actor = gr.countyOffice
		e.details = map[string]string{"responsibility": gr.office.name, "measures": "设置警戒区，停用相关设施，专业队伍整治",
			"funds": fmt.Sprintf("%d万元", 5+g.rng.IntN(40)), "plan": "一险一预案，落实值守和转移安排"}
	}
	return c.add(t, e)
}

func (g *demoGen) reopen(c *demoCase, at time.Time) time.Time {
	county := c.grid.countyOffice
	return c.add(at, demoEvent{action: "reopen", to: Rectifying, actor: county, reason: "复查发现问题反弹"})
}

func (g *demoGen) resubmit(c *demoCase, t time.Time) time.Time {
	t = c.add(t, demoEvent{action: "submit", to: Submitted, actor: c.grid.worker, note: "已重新整改"})
	return c.add(t.Add(g.span(2*time.Hour, 30*time.Hour)), demoEvent{action: "approve", to: Closed, actor: g.approver(c), note: "复查合格，同意销号"})
}

func day(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, shanghai) }

// demoCases draws every demo case. now is the load time: no event lies
// after it.
func demoCases(grids []*demoGrid, now time.Time) []*demoCase {
	g := &demoGen{rng: rand.New(rand.NewPCG(2021, 2304)), grids: grids, byGrid: map[string][]*demoCase{}}
	for _, gr := range grids {
		g.total += gr.weight
	}
	var out []*demoCase
	keep := func(c *demoCase) {
		out = append(out, c)
		if s := c.last().to; s != Void && s != Duplicate {
			g.byGrid[c.grid.code] = append(g.byGrid[c.grid.code], c)
		}
	}
	at := func(from, to time.Time) time.Time { return from.Add(g.span(0, to.Sub(from))).Truncate(time.Minute) }
	y21, y22 := day(2021, 1, 1), day(2022, 1, 1)
	D := 24 * time.Hour

	// 2021: 2,255 rectified by the year's end.
	for i := range 2255 {
		c := g.newCase(g.pickGrid(false), at(y21.Add(8*time.Hour), day(2021, 11, 10)), g.grade())
		dl := g.span(7*D, 30*D)
		rectify := g.span(D, dl-3*D)
		if i%25 == 0 { // a few closed after their deadline
			rectify = dl + g.span(D, 5*D)
		}
		switch {
		case i < 40: // rejected once
			g.loop(c, dl, rectify, 1)
		case i < 65: // reopened and closed again within the year
			if c.events[0].at.After(day(2021, 9, 1)) {
				c.events[0].at = c.events[0].at.Add(-120 * D)
				c.deviceTime = c.deviceTime.Add(-120 * D)
			}
			t := g.loop(c, dl, rectify, 0)
			t = g.reopen(c, t.Add(g.span(10*D, 40*D)))
			g.resubmit(c, t.Add(g.span(3*D, 10*D)))
		case i < 75: // reopened in January 2022, closed again: closed at the year's end
			g.loop(c, dl, rectify, 0)
			t := g.reopen(c, at(day(2022, 1, 3), day(2022, 1, 20)))
			g.resubmit(c, t.Add(g.span(3*D, 15*D)))
		default:
			g.loop(c, dl, rectify, 0)
		}
		keep(c)
	}
	// 32 due in 2021 and not closed at its end.
	for i := range 32 {
		switch {
		case i < 12: // closed late, in January or February 2022
			c := g.newCase(g.pickGrid(false), at(day(2021, 10, 1), day(2021, 11, 20)), "general")
			g.loop(c, g.span(10*D, 20*D), y22.Sub(c.events[0].at)+g.span(5*D, 40*D), 0)
			keep(c)
		case i < 22: // closed in November, reopened in December, closed again in 2022
			c := g.newCase(g.pickGrid(false), at(day(2021, 9, 1), day(2021, 10, 15)), "general")
			t := g.loop(c, g.span(10*D, 20*D), g.span(3*D, 9*D), 0)
			from := day(2021, 12, 10)
			if t.Add(D).After(from) {
				from = t.Add(D)
			}
			t = g.reopen(c, at(from, day(2021, 12, 28)))
			g.resubmit(c, y22.Add(g.span(3*D, 20*D)))
			keep(c)
		case i < 28: // suspended major hazards (挂账), still open
			c := g.newCase(g.pickGrid(false), at(day(2021, 3, 1), day(2021, 6, 30)), "major")
			t := c.add(c.last().at.Add(g.span(time.Hour, 20*time.Hour)), demoEvent{action: "register", to: Registered, actor: c.grid.office})
			t = g.assign(c, t, g.span(45*D, 90*D))
			t = c.add(t.Add(g.span(D, 3*D)), demoEvent{action: "start", to: Rectifying, actor: c.grid.worker})
			c.add(t.Add(g.span(10*D, 30*D)), demoEvent{action: "suspend", to: Suspended, actor: c.grid.countyOffice,
				reason: "需停产并由专业单位治理，资金待落实", details: map[string]string{"interim_controls": "设置围挡和警示标志，落实专人每日巡查"}})
			keep(c)
		default: // stalled, long overdue
			c := g.newCase(g.pickGrid(false), at(day(2021, 7, 1), day(2021, 9, 30)), "general")
			t := c.add(c.last().at.Add(g.span(time.Hour, 20*time.Hour)), demoEvent{action: "register", to: Registered, actor: c.grid.office})
			t = g.assign(c, t, g.span(10*D, 30*D))
			c.add(t.Add(g.span(D, 3*D)), demoEvent{action: "start", to: Rectifying, actor: c.grid.worker})
			keep(c)
		}
	}
	// 17 found in late December, due in 2022, closed in time.
	for range 17 {
		c := g.newCase(g.pickGrid(false), at(day(2021, 12, 15), day(2021, 12, 24)), "general")
		g.loop(c, g.span(18*D, 30*D), y22.Sub(c.events[0].at)+g.span(2*D, 8*D), 0)
		keep(c)
	}
	// void and duplicate reports, which do not count
	for i := range 70 {
		gr := g.pickGrid(false)
		c := g.newCase(gr, at(day(2021, 2, 1), day(2021, 12, 20)), "general")
		if target := g.mergeTarget(gr, c.events[0].at); i%3 == 0 && target != "" {
			c.add(c.last().at.Add(g.span(2*time.Hour, 30*time.Hour)), demoEvent{action: "merge", to: Duplicate, actor: gr.office,
				note: "与已上报隐患重复", dupOf: target})
		} else {
			c.add(c.last().at.Add(g.span(2*time.Hour, 30*time.Hour)), demoEvent{action: "void", to: Void, actor: gr.office, reason: "经核实不属于安全隐患"})
		}
		keep(c)
	}

	// The year before the load: a third in the last month, every step cut
	// off at now, so recent cases stand in every state.
	today := time.Date(now.In(shanghai).Year(), now.In(shanghai).Month(), now.In(shanghai).Day(), 0, 0, 0, 0, shanghai)
	for i := range 300 {
		gr := g.pickGrid(true)
		var r time.Time
		if i%3 == 0 {
			r = at(today.Add(-30*D), now.Add(-time.Hour))
		} else {
			r = at(today.Add(-365*D), today.Add(-30*D))
		}
		grade := g.grade()
		if i%20 == 0 {
			grade = "major"
		}
		c := g.newCase(gr, r, grade)
		dl := g.span(5*D, 25*D)
		rectify := g.span(D, dl)
		switch k := g.rng.IntN(100); {
		case k < 6:
			c.add(r.Add(g.span(2*time.Hour, 48*time.Hour)), demoEvent{action: "void", to: Void, actor: gr.office, reason: "经核实不属于安全隐患"})
		case k < 10 && g.mergeTarget(gr, r) != "":
			c.add(r.Add(g.span(2*time.Hour, 48*time.Hour)), demoEvent{action: "merge", to: Duplicate, actor: gr.office,
				note: "与已上报隐患重复", dupOf: g.mergeTarget(gr, r)})
		case k < 25: // stalled: overdue, many escalated
			rectify = dl + g.span(2*D, 40*D)
			g.loop(c, dl, rectify, 0)
		case k < 33:
			t := g.loop(c, dl, rectify, 0)
			t = g.reopen(c, t.Add(g.span(5*D, 30*D)))
			g.resubmit(c, t.Add(g.span(3*D, 10*D)))
		case k < 40:
			g.loop(c, dl, rectify, 1)
		case grade == "major" && k < 60:
			t := c.add(r.Add(g.span(time.Hour, 20*time.Hour)), demoEvent{action: "register", to: Registered, actor: gr.office})
			t = g.assign(c, t, dl)
			t = c.add(t.Add(g.span(D, 3*D)), demoEvent{action: "start", to: Rectifying, actor: gr.worker})
			t = c.add(t.Add(g.span(3*D, 10*D)), demoEvent{action: "suspend", to: Suspended, actor: gr.countyOffice,
				reason: "需专业单位治理", details: map[string]string{"interim_controls": "设置围挡，专人值守"}})
			t = c.add(t.Add(g.span(20*D, 60*D)), demoEvent{action: "resume", to: Rectifying, actor: gr.countyOffice})
			g.resubmit(c, t.Add(g.span(5*D, 20*D)))
		default:
			g.loop(c, dl, rectify, 0)
		}
		// nothing after now: the case stands where its history has got to
		cut := c.events[:0]
		for _, e := range c.events {
			if e.at.Before(now) {
				cut = append(cut, e)
			}
		}
		c.events = cut
		keep(c)
	}
	return out
}

// insertDemo writes the cases and their events, the rows derived from the
// histories the way Store.Act writes them.
func insertDemo(ctx context.Context, tx pgx.Tx, cs []*demoCase) error {
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
		{"updated_at", "timestamptz", nil}}
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
		var assignee *demoActor
		var submitted *int64
		var deadline, deadlineChanged, closed, reopened *time.Time
		details := map[string]string{}
		dup := ""
		from := ""
		for i, e := range c.events {
			switch e.action {
			case "assign":
				assignee = e.assignee
				for k, v := range e.details {
					details[k] = v
				}
			case "return":
				assignee = nil
			case "submit":
				submitted = e.actor.id
			case "reopen":
				reopened = &c.events[i].at
			case "suspend":
				details["interim_controls"] = e.details["interim_controls"]
			case "merge":
				dup = e.dupOf
			}
			if e.deadline != nil {
				if deadline != nil {
					deadlineChanged = &c.events[i].at
				}
				deadline = e.deadline
			}
			closed = nil
			if e.to == Closed {
				closed = &c.events[i].at
			}
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
		last := c.last()
		var aid *int64
		var aname any
		if assignee != nil {
			aid, aname = assignee.id, assignee.name
		}
		first := c.events[0]
		for k, v := range []any{c.id, last.to, c.grade, c.category, c.description, first.at, c.deviceTime, first.actor.id,
			first.actor.name, aid, aname, submitted, deadline, deadlineChanged, closed, reopened, str(details["responsibility"]),
			str(details["measures"]), str(details["funds"]), str(details["plan"]), str(details["interim_controls"]), str(dup),
			c.lon, c.lat, len(c.events), last.at} {
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
