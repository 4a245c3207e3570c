package cases_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"riskmap"
	"riskmap/blobs"
	"riskmap/cases"
	"riskmap/internal/dbtest"
)

// lon of a point in each grid
var gridLon = map[string]float64{
	"441502001001001": 115.25, "441502001001002": 115.75, "441502002001001": 116.25, "441521101001001": 116.75,
}

func newPool(t testing.TB) *pgxpool.Pool {
	t.Helper()
	return dbtest.TinyCity(t)
}

func newStore(t testing.TB, pool *pgxpool.Pool) *cases.Store {
	d, err := blobs.NewDir(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return cases.NewStore(pool, d, cases.Config{})
}

// event is one step of a case's history.
type event struct {
	at       time.Time
	action   string
	to       string
	deadline *time.Time
}

// history is a case as a list of events; its row is derived from them the
// way the store writes it.
type history struct {
	grid   string
	grade  string
	events []event // the first is the report
}

var cst = cases.Shanghai()

func at(s string) time.Time {
	for _, layout := range []string{"2006-01-02T15:04:05", "2006-01-02T15:04", "2006-01-02"} {
		if t, err := time.ParseInLocation(layout, s, cst); err == nil {
			return t
		}
	}
	panic("bad time " + s)
}

func ptr(t time.Time) *time.Time { return &t }

// insert writes the case and its events.
func insert(t testing.TB, pool *pgxpool.Pool, dupTarget string, h history) string {
	t.Helper()
	ctx := context.Background()
	last := h.events[len(h.events)-1]
	var closedAt, reopenedAt, deadline, deadlineChanged *time.Time
	for _, e := range h.events {
		if e.deadline != nil {
			if deadline != nil {
				deadlineChanged = ptr(e.at)
			}
			deadline = e.deadline
		}
		if e.action == "reopen" {
			reopenedAt = ptr(e.at)
		}
	}
	if last.to == "closed" {
		closedAt = ptr(last.at)
	}
	var dup *string
	if last.to == "duplicate" {
		dup = &dupTarget
	}
	var id string
	err := pool.QueryRow(ctx, `INSERT INTO cases (id, state, grade, category, description, reported_at, reporter_name, deadline, deadline_changed_at,
			closed_at, reopened_at, duplicate_of, geom)
		VALUES (gen_random_uuid(), $1, $2, 'flood', 'x', $3, 'test', $4, $5, $6, $7, $8, ST_SetSRID(ST_MakePoint($9, 23.0), 4326)) RETURNING id::text`,
		last.to, h.grade, h.events[0].at, deadline, deadlineChanged, closedAt, reopenedAt, dup, gridLon[h.grid]).Scan(&id)
	if err != nil {
		t.Fatalf("insert case: %v", err)
	}
	from := ""
	var b pgx.Batch
	for i, e := range h.events {
		b.Queue(`INSERT INTO case_events (case_id, at, actor, role, action, from_state, to_state, version, deadline)
			VALUES ($1, $2, 'test', 'township', $3, nullif($4, ''), $5, $6, $7)`, id, e.at, e.action, from, e.to, i+1, e.deadline)
		from = e.to
	}
	if err := pool.SendBatch(ctx, &b).Close(); err != nil {
		t.Fatalf("insert events: %v", err)
	}
	return id
}

// simple builds report → register → assign(deadline) → start → submit →
// approve(closed) histories; closed "" leaves it rectifying.
func simple(grid, grade, reported, deadline, closed string) history {
	r := at(reported)
	h := history{grid: grid, grade: grade, events: []event{{r, "report", "reported", nil}, {r.Add(time.Hour), "register", "registered", nil}}}
	if deadline == "" {
		return h
	}
	h.events = append(h.events, event{r.Add(2 * time.Hour), "assign", "assigned", ptr(at(deadline))},
		event{r.Add(3 * time.Hour), "start", "rectifying", nil})
	if closed != "" {
		c := at(closed)
		h.events = append(h.events, event{c.Add(-time.Hour), "submit", "submitted", nil}, event{c, "approve", "closed", nil})
	}
	return h
}

func (h history) then(evs ...event) history {
	h.events = append(append([]event{}, h.events...), evs...)
	return h
}

var cityUser = &riskmap.User{ID: 1, Role: riskmap.RoleCity, Areas: []string{"441500000000"}}

func rowByCode(st cases.Stats, code string) cases.StatsRow {
	for _, r := range st.Rows {
		if r.AreaCode == code {
			return r
		}
	}
	return cases.StatsRow{AreaCode: "missing " + code}
}

type counts struct{ found, toRectify, rectified, overdue, onTime, majorFound, majorRectified int }

func countsOf(r cases.StatsRow) counts {
	return counts{r.Found, r.ToRectify, r.Rectified, r.Overdue, r.OnTime, r.MajorFound, r.MajorRectified}
}

func TestStatisticsMatchAHandCountedFixture(t *testing.T) {
	pool := newPool(t)
	s := newStore(t, pool)
	g1, g2, xz := "441502001001001", "441502001001002", "441502002001001"
	target := insert(t, pool, "", simple(g1, "general", "2020-06-01", "", ""))
	hs := []history{
		simple(g1, "general", "2021-03-01", "2021-03-15", "2021-03-10T10:00"), // a: rectified on time
		simple(g1, "general", "2021-05-01", "2021-06-10", "2021-06-20T10:00"), // b: rectified late
		simple(g1, "general", "2021-12-20", "2021-12-31T23:59:59", ""),        // c: deadline on the last day, open: overdue
		simple(g1, "general", "2021-12-25", "2022-01-05", "2022-01-03T10:00"), // d: found only (due and closed after)
		simple(g1, "general", "2021-11-01", "2021-12-01", "2022-01-10T10:00"), // e: closed after the period: overdue
		simple(g1, "general", "2021-06-01", "2021-07-10", "2021-07-01T10:00").then( // f: reopened, extended, not re-closed
			event{at("2021-12-15"), "reopen", "rectifying", nil},
			event{at("2021-12-16"), "extend", "rectifying", ptr(at("2021-12-30"))}),
		simple(g1, "general", "2021-06-01", "2021-07-15", "2021-07-01T10:00").then( // g: reopened after the period: closed at its end
			event{at("2022-01-05"), "reopen", "rectifying", nil},
			event{at("2022-01-19"), "submit", "submitted", nil},
			event{at("2022-01-20"), "approve", "closed", nil}),
		simple(g1, "general", "2021-08-01", "2021-09-30", "2021-08-10T10:00").then( // h: reopened and re-closed in time
			event{at("2021-09-01"), "reopen", "rectifying", nil},
			event{at("2021-09-19"), "submit", "submitted", nil},
			event{at("2021-09-20"), "approve", "closed", nil}),
		{grid: g1, grade: "general", events: []event{{at("2021-04-01"), "report", "reported", nil}, {at("2021-04-02"), "void", "void", nil}}}, // i
		simple(g1, "general", "2021-04-02", "2021-04-30", "").then(event{at("2021-04-03"), "merge", "duplicate", nil}),                        // j
		simple(g1, "general", "2020-12-31T23:59:59", "2021-01-10", "2021-01-05"),                                                              // k: reported before the period
		simple(g1, "general", "2021-01-01T00:00:00", "2021-01-10", "2021-01-05"),                                                              // l: first instant of the period, on time
		simple(g1, "general", "2022-01-01T00:00:00", "2022-01-10", ""),                                                                        // m: first instant after the period
		simple(xz, "major", "2021-02-01", "2021-03-01", "2021-02-20"),                                                                         // n: major in 香洲, on time
		simple(g2, "major", "2021-10-01", "2021-12-20", "").then( // o: deadline extended after the period: the old one counts
			event{at("2022-01-02"), "extend", "rectifying", ptr(at("2022-02-01"))}),
		simple(g1, "general", "2021-12-30", "", ""),                              // p: registered, no deadline
		simple(g1, "general", "2021-09-01", "2021-09-30", "2022-01-01T00:00:00"), // q: closed at the first instant after
	}
	for _, h := range hs {
		insert(t, pool, target, h)
	}
	ctx := context.Background()
	st, err := s.Rectification(ctx, cityUser, cases.StatsQuery{From: at("2021-01-01"), To: at("2021-12-31"), GroupBy: "township"})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]counts{
		"441502001000": {found: 12, toRectify: 10, rectified: 5, overdue: 5, onTime: 4, majorFound: 1},
		"441502002000": {found: 1, toRectify: 1, rectified: 1, onTime: 1, majorFound: 1, majorRectified: 1},
		"441521101000": {},
	}
	if len(st.Rows) != 3 {
		t.Errorf("%d rows, want the 3 townships", len(st.Rows))
	}
	for code, w := range want {
		if got := countsOf(rowByCode(st, code)); got != w {
			t.Errorf("township %s: %+v, want %+v", code, got, w)
		}
	}
	if got := countsOf(st.Total); got != (counts{13, 11, 6, 5, 5, 2, 1}) {
		t.Errorf("total %+v", got)
	}
	if st.Total.Rate == nil || *st.Total.Rate != 0.545 || st.Sentence != "发现隐患13处,应整改隐患11处,已整改隐患6处,整改率为54.5%" {
		t.Errorf("rate %v, sentence %q", st.Total.Rate, st.Sentence)
	}
	if r := rowByCode(st, "441521101000"); r.Rate != nil || r.AreaName != "梅陇镇" {
		t.Errorf("empty township: %+v", r)
	}

	// by grid within 新港
	st, err = s.Rectification(ctx, cityUser, cases.StatsQuery{Area: "441502001000", From: at("2021-01-01"), To: at("2021-12-31"), GroupBy: "grid"})
	if err != nil {
		t.Fatal(err)
	}
	if len(st.Rows) != 2 || countsOf(rowByCode(st, g1)) != (counts{11, 9, 5, 4, 4, 0, 0}) || countsOf(rowByCode(st, g2)) != (counts{1, 1, 0, 1, 0, 1, 0}) {
		t.Errorf("grids: %+v", st.Rows)
	}
	// by county
	st, _ = s.Rectification(ctx, cityUser, cases.StatsQuery{From: at("2021-01-01"), To: at("2021-12-31"), GroupBy: "county"})
	if countsOf(rowByCode(st, "441502000000")) != (counts{13, 11, 6, 5, 5, 2, 1}) || countsOf(rowByCode(st, "441521000000")) != (counts{}) {
		t.Errorf("counties: %+v", st.Rows)
	}

	// boundaries within 2021
	for _, c := range []struct {
		from, to string
		want     counts
	}{
		// b closed on 06-20 10:00, the period's last day: rectified (late)
		{"2021-05-01", "2021-06-20", counts{found: 3, toRectify: 1, rectified: 1}},
		// a day earlier b stands open past its deadline
		{"2021-05-01", "2021-06-19", counts{found: 3, toRectify: 1, overdue: 1}},
		// June: f and g found, neither due yet (f's deadline as it stood then: 07-10)
		{"2021-06-01", "2021-06-30", counts{found: 2}},
		{"2021-07-02", "2021-07-31", counts{}},
	} {
		st, err := s.Rectification(ctx, cityUser, cases.StatsQuery{Area: "441502001000", From: at(c.from), To: at(c.to), GroupBy: "township"})
		if err != nil {
			t.Fatal(err)
		}
		if got := countsOf(st.Total); got != c.want {
			t.Errorf("%s..%s: %+v, want %+v", c.from, c.to, got, c.want)
		}
		if c.want.toRectify == 0 && (st.Total.Rate != nil || st.Sentence != fmt.Sprintf("发现隐患%d处,应整改隐患0处,已整改隐患0处", c.want.found)) {
			t.Errorf("%s..%s: rate %v, sentence %q", c.from, c.to, st.Total.Rate, st.Sentence)
		}
	}
}

func TestStatisticsStayInsideTheUsersScope(t *testing.T) {
	pool := newPool(t)
	s := newStore(t, pool)
	insert(t, pool, "", simple("441502001001001", "general", "2021-03-01", "2021-03-15", "2021-03-10"))
	insert(t, pool, "", simple("441502002001001", "general", "2021-03-01", "2021-03-15", "2021-03-10"))
	ctx := context.Background()
	xingang := &riskmap.User{ID: 2, Role: riskmap.RoleTownship, Areas: []string{"441502001000"}}
	q := cases.StatsQuery{From: at("2021-01-01"), To: at("2021-12-31"), GroupBy: "township"}
	st, err := s.Rectification(ctx, xingang, q)
	if err != nil {
		t.Fatal(err)
	}
	if len(st.Rows) != 1 || st.Rows[0].AreaCode != "441502001000" || st.Total.Found != 1 {
		t.Errorf("township sees %+v", st.Rows)
	}
	q.Area = "441502002000"
	if _, err := s.Rectification(ctx, xingang, q); riskmap.ErrorCode(err) != riskmap.EFORBIDDEN {
		t.Errorf("another township's area: %v", err)
	}
	q.Area, q.GroupBy = "441502000000", "county" // the county containing it: only its own cases
	st, err = s.Rectification(ctx, xingang, q)
	if err != nil || len(st.Rows) != 1 || st.Total.Found != 1 {
		t.Errorf("county row for a township user: %+v %v", st.Rows, err)
	}
	worker := &riskmap.User{ID: 3, Role: riskmap.RoleWorker, Grids: []string{"441502002001001"}}
	st, err = s.Rectification(ctx, worker, cases.StatsQuery{From: at("2021-01-01"), To: at("2021-12-31"), GroupBy: "grid"})
	if err != nil || len(st.Rows) != 1 || st.Rows[0].AreaCode != "441502002001001" || st.Total.Found != 1 {
		t.Errorf("worker: %+v %v", st.Rows, err)
	}
}

// The annual report: 发现隐患2304处,应整改隐患2287处,已整改隐患2255处,整改率为98.6%.
// 2,255 closed in 2021; 32 due in 2021 and still open at its end; 17 found
// late in December, due in 2022; and 40 void and 25 duplicate reports that
// do not count.
func TestStatisticsReproduceTheAnnualReport(t *testing.T) {
	pool := newPool(t)
	s := newStore(t, pool)
	ctx := context.Background()
	_, err := pool.Exec(ctx, `
		INSERT INTO cases (id, state, grade, category, description, reported_at, reporter_name, deadline, closed_at, geom)
		SELECT gen_random_uuid(), 'closed', CASE WHEN i % 50 = 0 THEN 'major' ELSE 'general' END, 'flood', 'x',
		       r, 'test', r + interval '20 days', r + interval '10 days', ST_SetSRID(ST_MakePoint(115.01 + (i % 97) * 0.01, 23.0), 4326)
		  FROM generate_series(1, 2255) i, LATERAL (SELECT timestamptz '2021-01-01 08:00+08' + (i % 340) * interval '1 day' AS r) x;
		INSERT INTO cases (id, state, grade, category, description, reported_at, reporter_name, deadline, geom)
		SELECT gen_random_uuid(), 'rectifying', 'general', 'fire', 'x', r, 'test', r + interval '15 days',
		       ST_SetSRID(ST_MakePoint(116.01 + (i % 40) * 0.01, 23.0), 4326)
		  FROM generate_series(1, 32) i, LATERAL (SELECT timestamptz '2021-11-01 09:00+08' + i * interval '1 day' AS r) x;
		INSERT INTO cases (id, state, grade, category, description, reported_at, reporter_name, deadline, geom)
		SELECT gen_random_uuid(), 'assigned', 'general', 'fire', 'x', r, 'test', r + interval '30 days',
		       ST_SetSRID(ST_MakePoint(116.8, 23.0), 4326)
		  FROM generate_series(1, 17) i, LATERAL (SELECT timestamptz '2021-12-10 09:00+08' + i * interval '1 hour' AS r) x;
		INSERT INTO cases (id, state, grade, category, description, reported_at, reporter_name, geom)
		SELECT gen_random_uuid(), 'void', 'general', 'other', 'x', timestamptz '2021-03-01 10:00+08' + i * interval '1 day', 'test',
		       ST_SetSRID(ST_MakePoint(115.3, 23.0), 4326)
		  FROM generate_series(1, 40) i;
		INSERT INTO cases (id, state, grade, category, description, reported_at, reporter_name, duplicate_of, geom)
		SELECT gen_random_uuid(), 'duplicate', 'general', 'flood', 'x', timestamptz '2021-04-01 10:00+08' + i * interval '1 day', 'test',
		       (SELECT id FROM cases WHERE state = 'closed' LIMIT 1), ST_SetSRID(ST_MakePoint(115.3, 23.0), 4326)
		  FROM generate_series(1, 25) i;`)
	if err != nil {
		t.Fatal(err)
	}
	st, err := s.Rectification(ctx, cityUser, cases.StatsQuery{Area: "441500000000", From: at("2021-01-01"), To: at("2021-12-31"), GroupBy: "county"})
	if err != nil {
		t.Fatal(err)
	}
	const want = "发现隐患2304处,应整改隐患2287处,已整改隐患2255处,整改率为98.6%"
	if st.Sentence != want {
		t.Errorf("sentence %q, want %q", st.Sentence, want)
	}
	if st.Total.Rate == nil || *st.Total.Rate != 0.986 || st.Total.Overdue != 32 || st.Total.OnTime != 2255 || st.Total.MajorFound != 45 {
		t.Errorf("total %+v", st.Total)
	}
}

// TestStatisticsEqualABruteForceRecount generates random histories with
// edge dates and compares the service with a recount from the events alone.
func TestStatisticsEqualABruteForceRecount(t *testing.T) {
	pool := newPool(t)
	s := newStore(t, pool)
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(20210101, 98))
	grids := []string{"441502001001001", "441502001001002", "441502002001001", "441521101001001"}
	target := insert(t, pool, "", simple(grids[0], "general", "2020-01-01", "", ""))
	var all []history
	// instants near period boundaries are favoured
	edges := []time.Time{at("2021-01-01"), at("2021-07-01"), at("2022-01-01"), at("2021-12-31T23:59:59")}
	pick := func() time.Time {
		if rng.IntN(4) == 0 {
			e := edges[rng.IntN(len(edges))]
			return e.Add(time.Duration(rng.IntN(7)-3) * time.Second)
		}
		return at("2020-12-01").Add(time.Duration(rng.Int64N(int64(450 * 24 * time.Hour))))
	}
	step := func(t0 time.Time) time.Time {
		return t0.Add(time.Duration(rng.Int64N(int64(20*24*time.Hour))) + time.Second)
	}
	for range 600 {
		grade := []string{"general", "major"}[rng.IntN(4)/3]
		h := history{grid: grids[rng.IntN(len(grids))], grade: grade}
		now := pick()
		add := func(action, to string, dl *time.Time) {
			h.events = append(h.events, event{now, action, to, dl})
			now = step(now)
		}
		add("report", "reported", nil)
		func() {
			switch rng.IntN(12) {
			case 0:
				add("void", "void", nil)
				return
			case 1:
				add("register", "registered", nil)
				add("merge", "duplicate", nil)
				return
			case 2:
				return
			}
			add("register", "registered", nil)
			if rng.IntN(10) == 0 {
				return
			}
			dl := now.Add(time.Duration(rng.Int64N(int64(40*24*time.Hour))) + time.Hour)
			if rng.IntN(5) == 0 {
				dl = edges[rng.IntN(len(edges))]
				if !dl.After(now) {
					dl = now.Add(time.Hour)
				}
			}
			add("assign", "assigned", ptr(dl))
			add("start", "rectifying", nil)
			if rng.IntN(5) == 0 {
				dl = dl.Add(time.Duration(rng.Int64N(int64(30*24*time.Hour))) + time.Hour)
				add("extend", "rectifying", ptr(dl))
			}
			for round := 0; round < 3; round++ {
				if rng.IntN(8) == 0 {
					return // left rectifying
				}
				add("submit", "submitted", nil)
				if rng.IntN(6) == 0 {
					add("reject", "rectifying", nil)
					add("submit", "submitted", nil)
				}
				add("approve", "closed", nil)
				if rng.IntN(4) != 0 {
					return
				}
				add("reopen", "rectifying", nil)
				if rng.IntN(3) == 0 {
					dl = dl.Add(time.Duration(rng.Int64N(int64(30*24*time.Hour))) + time.Hour)
					add("extend", "rectifying", ptr(dl))
				}
			}
		}()
		insert(t, pool, target, h)
		all = append(all, h)
	}
	recount := func(from, to time.Time, township string) counts {
		start := time.Date(from.Year(), from.Month(), from.Day(), 0, 0, 0, 0, cst)
		end := time.Date(to.Year(), to.Month(), to.Day(), 0, 0, 0, 0, cst).AddDate(0, 0, 1)
		var c counts
		for _, h := range all {
			if h.grid[:9]+"000" != township {
				continue
			}
			final := h.events[len(h.events)-1].to
			rep := h.events[0].at
			if rep.Before(start) || !rep.Before(end) || final == "void" || final == "duplicate" {
				continue
			}
			var closedAt, deadline *time.Time
			for _, e := range h.events {
				if !e.at.Before(end) {
					break
				}
				if e.to == "closed" {
					closedAt = ptr(e.at)
				} else {
					closedAt = nil
				}
				if e.deadline != nil {
					deadline = e.deadline
				}
			}
			c.found++
			due := deadline != nil && deadline.Before(end)
			if closedAt != nil || due {
				c.toRectify++
			}
			if closedAt != nil {
				c.rectified++
				if deadline != nil && !closedAt.After(*deadline) {
					c.onTime++
				}
			} else if due {
				c.overdue++
			}
			if h.grade == "major" {
				c.majorFound++
				if closedAt != nil {
					c.majorRectified++
				}
			}
		}
		return c
	}
	periods := [][2]string{{"2021-01-01", "2021-12-31"}, {"2021-01-01", "2021-06-30"}, {"2021-07-01", "2021-07-01"},
		{"2020-12-01", "2022-03-31"}, {"2021-12-31", "2021-12-31"}, {"2021-03-15", "2021-11-20"}}
	checked := 0
	for _, p := range periods {
		st, err := s.Rectification(ctx, cityUser, cases.StatsQuery{From: at(p[0]), To: at(p[1]), GroupBy: "township"})
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range st.Rows {
			want := recount(at(p[0]), at(p[1]), r.AreaCode)
			if got := countsOf(r); got != want {
				t.Errorf("%s..%s %s: service %+v, recount %+v", p[0], p[1], r.AreaCode, got, want)
			}
			checked += want.found
		}
	}
	if checked < 500 {
		t.Errorf("only %d found cases checked", checked)
	}
	// the scanned way (grid rows) agrees with the counted one
	for _, p := range periods {
		bothWaysAgree(t, s, cityUser, at(p[0]), at(p[1]), "random histories")
	}
}
