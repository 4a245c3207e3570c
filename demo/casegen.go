package demo

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	"riskmap/cases"
)

// The demo cases are drawn here (demoCases) and written by insertCases
// (cases.go): each a history of events, the case row its fold.

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
	// the inspection that found it, and its enterprise (inspections.go)
	inspectionID   string
	hazardSourceID int64
}

// event is what the case row takes of e (cases.Row.Apply).
func (e demoEvent) event() cases.Event {
	ev := cases.Event{At: e.at, Action: e.action, To: e.to, ActorID: e.actor.id, Deadline: e.deadline,
		Details: e.details, DuplicateOf: e.dupOf}
	if e.assignee != nil {
		ev.AssigneeID, ev.AssigneeName = e.assignee.id, e.assignee.name
	}
	return ev
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
	cats := cases.Categories
	cat := cats[g.rng.IntN(len(cats))]
	descs := demoDescriptions[cat]
	p := gr.points[g.rng.IntN(len(gr.points))]
	c := &demoCase{id: demoID(g.n), grid: gr, lon: p[0], lat: p[1], grade: grade, category: cat,
		description: descs[g.rng.IntN(len(descs))], deviceTime: reported.Add(-g.span(0, 20*time.Minute))}
	g.n++
	c.events = []demoEvent{{at: reported, action: "report", to: cases.Reported, actor: gr.worker}}
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
	t := c.add(c.last().at.Add(g.span(time.Hour, 30*time.Hour)), demoEvent{action: "register", to: cases.Registered, actor: gr.office, note: "已登记"})
	t = g.assign(c, t, deadlineIn)
	t = c.add(t.Add(g.span(time.Hour, 48*time.Hour)), demoEvent{action: "start", to: cases.Rectifying, actor: gr.worker})
	for i := 0; i <= rejects; i++ {
		t = c.add(t.Add(rectify/time.Duration(rejects+1)), demoEvent{action: "submit", to: cases.Submitted, actor: gr.worker, note: "已整改，附现场照片"})
		if i < rejects {
			t = c.add(t.Add(g.span(3*time.Hour, 24*time.Hour)), demoEvent{action: "reject", to: cases.Rectifying, actor: g.approver(c), reason: "整改不到位，请继续整改"})
		}
	}
	return c.add(t.Add(g.span(2*time.Hour, 40*time.Hour)), demoEvent{action: "approve", to: cases.Closed, actor: g.approver(c), note: "现场核查合格，同意销号"})
}

func (g *demoGen) assign(c *demoCase, t time.Time, deadlineIn time.Duration) time.Time {
	gr := c.grid
	t = t.Add(g.span(time.Hour, 24*time.Hour))
	dl := t.Add(deadlineIn)
	w := gr.worker
	e := demoEvent{action: "assign", to: cases.Assigned, actor: gr.office, deadline: &dl, assignee: &w, note: "请按期整改"}
	if c.grade == "major" {
		e.actor = gr.countyOffice
		e.details = map[string]string{"responsibility": gr.office.name, "measures": "设置警戒区，停用相关设施，专业队伍整治",
			"funds": fmt.Sprintf("%d万元", 5+g.rng.IntN(40)), "plan": "一险一预案，落实值守和转移安排"}
	}
	return c.add(t, e)
}

func (g *demoGen) reopen(c *demoCase, at time.Time) time.Time {
	county := c.grid.countyOffice
	return c.add(at, demoEvent{action: "reopen", to: cases.Rectifying, actor: county, reason: "复查发现问题反弹"})
}

func (g *demoGen) resubmit(c *demoCase, t time.Time) time.Time {
	t = c.add(t, demoEvent{action: "submit", to: cases.Submitted, actor: c.grid.worker, note: "已重新整改"})
	return c.add(t.Add(g.span(2*time.Hour, 30*time.Hour)), demoEvent{action: "approve", to: cases.Closed, actor: g.approver(c), note: "复查合格，同意销号"})
}

func day(y int, m time.Month, d int) time.Time {
	return time.Date(y, m, d, 0, 0, 0, 0, cases.Shanghai())
}

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
		if s := c.last().to; s != cases.Void && s != cases.Duplicate {
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
			t := c.add(c.last().at.Add(g.span(time.Hour, 20*time.Hour)), demoEvent{action: "register", to: cases.Registered, actor: c.grid.office})
			t = g.assign(c, t, g.span(45*D, 90*D))
			t = c.add(t.Add(g.span(D, 3*D)), demoEvent{action: "start", to: cases.Rectifying, actor: c.grid.worker})
			c.add(t.Add(g.span(10*D, 30*D)), demoEvent{action: "suspend", to: cases.Suspended, actor: c.grid.countyOffice,
				reason: "需停产并由专业单位治理，资金待落实", details: map[string]string{"interim_controls": "设置围挡和警示标志，落实专人每日巡查"}})
			keep(c)
		default: // stalled, long overdue
			c := g.newCase(g.pickGrid(false), at(day(2021, 7, 1), day(2021, 9, 30)), "general")
			t := c.add(c.last().at.Add(g.span(time.Hour, 20*time.Hour)), demoEvent{action: "register", to: cases.Registered, actor: c.grid.office})
			t = g.assign(c, t, g.span(10*D, 30*D))
			c.add(t.Add(g.span(D, 3*D)), demoEvent{action: "start", to: cases.Rectifying, actor: c.grid.worker})
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
			c.add(c.last().at.Add(g.span(2*time.Hour, 30*time.Hour)), demoEvent{action: "merge", to: cases.Duplicate, actor: gr.office,
				note: "与已上报隐患重复", dupOf: target})
		} else {
			c.add(c.last().at.Add(g.span(2*time.Hour, 30*time.Hour)), demoEvent{action: "void", to: cases.Void, actor: gr.office, reason: "经核实不属于安全隐患"})
		}
		keep(c)
	}

	// The year before the load: a third in the last month, every step cut
	// off at now, so recent cases stand in every state.
	local := now.In(cases.Shanghai())
	today := time.Date(local.Year(), local.Month(), local.Day(), 0, 0, 0, 0, cases.Shanghai())
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
			c.add(r.Add(g.span(2*time.Hour, 48*time.Hour)), demoEvent{action: "void", to: cases.Void, actor: gr.office, reason: "经核实不属于安全隐患"})
		case k < 10 && g.mergeTarget(gr, r) != "":
			c.add(r.Add(g.span(2*time.Hour, 48*time.Hour)), demoEvent{action: "merge", to: cases.Duplicate, actor: gr.office,
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
			t := c.add(r.Add(g.span(time.Hour, 20*time.Hour)), demoEvent{action: "register", to: cases.Registered, actor: gr.office})
			t = g.assign(c, t, dl)
			t = c.add(t.Add(g.span(D, 3*D)), demoEvent{action: "start", to: cases.Rectifying, actor: gr.worker})
			t = c.add(t.Add(g.span(3*D, 10*D)), demoEvent{action: "suspend", to: cases.Suspended, actor: gr.countyOffice,
				reason: "需专业单位治理", details: map[string]string{"interim_controls": "设置围挡，专人值守"}})
			t = c.add(t.Add(g.span(20*D, 60*D)), demoEvent{action: "resume", to: cases.Rectifying, actor: gr.countyOffice})
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
	// Work for the demo users whatever the hour of the load (the draws above
	// leave the states of recent cases to it): in worker1's village of 新港,
	// one case in each open state of the loop, its last step two days or
	// more before now, its deadline ahead.
	var village []*demoGrid
	for _, gr := range g.grids {
		if strings.HasPrefix(gr.code, worker1Village) {
			village = append(village, gr)
		}
	}
	for i := 0; i < 5 && len(village) > 0; i++ {
		gr := village[i%len(village)]
		c := g.newCase(gr, now.Add(-4*D-time.Duration(i)*time.Hour).Truncate(time.Minute), "general")
		dl := now.Add(10 * D).Truncate(time.Minute)
		w := gr.worker
		for _, e := range []demoEvent{
			{action: "register", to: cases.Registered, actor: gr.office, note: "已登记"},
			{action: "assign", to: cases.Assigned, actor: gr.office, deadline: &dl, assignee: &w, note: "请按期整改"},
			{action: "start", to: cases.Rectifying, actor: gr.worker},
			{action: "submit", to: cases.Submitted, actor: gr.worker, note: "已整改，附现场照片"},
		}[:i] {
			c.add(c.last().at.Add(12*time.Hour), e)
		}
		keep(c)
	}
	return out
}

// worker1Village is the village of worker1's grids (logins.go).
const worker1Village = "441502001001"
