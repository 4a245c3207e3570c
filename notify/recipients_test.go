package notify_test

import (
	"slices"
	"testing"
	"time"

	"riskmap/cases"
	"riskmap/notify"
)

// Every kind reaches exactly the users of its rule who may see the case:
// never the actor, a disabled account, another township, another county,
// the planner or the admin; each once, however often the job runs. The
// job runs on a fixed clock set around one deadline.
func TestEachKindReachesExactlyTheRightUsers(t *testing.T) {
	f := newFixture(t, notify.Config{})
	sh := cases.Shanghai()
	// the deadline: the day after tomorrow at 18:00 (actions check
	// deadlines against the database's clock, so it lies ahead of now)
	n := time.Now().In(sh)
	deadline := time.Date(n.Year(), n.Month(), n.Day()+2, 18, 0, 0, 0, sh)
	dl := deadline.Format(time.RFC3339)

	check := func(what, kind, id string, want ...string) {
		t.Helper()
		if got := f.told(kind, id); !slices.Equal(got, names(want...)) {
			t.Errorf("%s: %s told to %v, want %v", what, kind, got, names(want...))
		}
	}

	// reported in worker1's grid: the township office of 新港 (not the
	// disabled account, not 香洲, not the county)
	a := f.report("worker1", g001, "general")
	check("a worker's report", "reported", a, "xingang", "xingang2")
	// reported by an office user: the others of the office
	b := f.report("xingang", g002, "major")
	check("an office's report", "reported", b, "xingang2")
	// elsewhere: only that township's office
	x := f.report("worker3", xiangzhou, "general")
	check("a report in 香洲", "reported", x, "xiangzhou")

	f.act("xingang", a, "register", nil)
	f.act("xingang", a, "assign", map[string]any{"assignee": f.users["worker1"].ID, "deadline": dl})
	check("assigned", "assigned", a, "worker1")
	f.act("worker1", a, "return", map[string]any{"reason": "不在我的网格"})
	check("returned", "returned", a, "xingang", "xingang2")
	f.act("xingang2", a, "assign", map[string]any{"assignee": f.users["worker1"].ID, "deadline": dl})
	var assigned int
	f.pool.QueryRow(f.ctx, `SELECT count(*) FROM notifications WHERE kind = 'assigned' AND case_id = $1`, a).Scan(&assigned)
	if assigned != 2 {
		t.Errorf("two assignments made %d notifications, want 2 (one each)", assigned)
	}
	f.act("worker1", a, "start", nil)

	// the major case, assigned to worker2 by the county
	f.act("chengqu", b, "register", nil)
	f.act("chengqu", b, "assign", map[string]any{"assignee": f.users["worker2"].ID, "deadline": dl,
		"measures": "设置围挡", "funds": "5万元", "plan": "应急预案"})
	check("assigned by the county", "assigned", b, "worker2")

	// reminders wait for the morning
	if rep := f.run(deadline.Add(-24*time.Hour - 11*time.Hour)); rep.Reminders["due_tomorrow"] != 0 {
		t.Errorf("due_tomorrow at 07:00: %d reminders", rep.Reminders["due_tomorrow"])
	}
	for range 2 { // twice: the second run tells no one again
		f.run(deadline.Add(-24*time.Hour - 9*time.Hour)) // the day before, 09:00
	}
	check("the day before", "due_tomorrow", a, "worker1")
	check("the day before", "due_tomorrow", b, "worker2")
	f.run(deadline.Add(-9 * time.Hour)) // the day, 09:00
	check("the day", "due_today", a, "worker1")
	check("the day", "overdue", a)
	f.run(deadline.Add(time.Hour))
	check("an hour late", "overdue", a, "worker1", "xingang", "xingang2")
	check("an hour late", "overdue", b, "worker2", "xingang", "xingang2")
	check("an hour late", "escalated", a)

	// three days late and an hour: the county of 城区 and the township; the
	// city and 海丰 not
	for range 2 {
		f.run(deadline.Add(72*time.Hour + time.Hour))
	}
	check("escalated to the county", "escalated", a, "chengqu", "xingang", "xingang2")
	// the county assigned b, but the system escalated it: the county is told
	check("escalated to the county", "escalated", b, "chengqu", "xingang", "xingang2")
	var level int
	f.pool.QueryRow(f.ctx, `SELECT escalation_level FROM cases WHERE id = $1`, b).Scan(&level)
	if level != 1 {
		t.Errorf("the major case's level %d, want 1", level)
	}
	// six days and an hour: the major case goes on to the city
	f.run(deadline.Add(144*time.Hour + time.Hour))
	var toCity []string
	rows, _ := f.pool.Query(f.ctx, `SELECT u.username FROM notifications n JOIN users u ON u.id = n.user_id
		WHERE n.kind = 'escalated' AND n.case_id = $1 AND n.title LIKE '逾期升级至市级%' ORDER BY 1`, b)
	for rows.Next() {
		var s string
		rows.Scan(&s)
		toCity = append(toCity, s)
	}
	rows.Close()
	if !slices.Equal(toCity, names("city", "xingang", "xingang2")) {
		t.Errorf("escalated to the city: %v", toCity)
	}
	check("a general case stays with the county", "escalated", a, "chengqu", "xingang", "xingang2")

	// submitted: the township checks a general case, the county a major one
	f.act("worker1", a, "submit", map[string]any{"attachments": []string{f.photo("worker1", a)}, "note": "已清理"})
	check("submitted (general)", "submitted", a, "xingang", "xingang2")
	f.act("worker2", b, "start", nil)
	f.act("worker2", b, "submit", map[string]any{"attachments": []string{f.photo("worker2", b)}})
	check("submitted (major)", "submitted", b, "chengqu")
	f.act("xingang", a, "reject", map[string]any{"reason": "仍有积水"})
	check("rejected", "rejected", a, "worker1")

	// nobody outside the case's scope ever heard of a or b
	var outside int
	f.pool.QueryRow(f.ctx, `SELECT count(*) FROM notifications n JOIN users u ON u.id = n.user_id
		WHERE n.case_id = ANY($1::uuid[]) AND u.username IN ('haifeng', 'xiangzhou', 'meilong', 'worker3', 'planner', 'admin', 'xingang_off')`,
		[]string{a, b}).Scan(&outside)
	if outside != 0 {
		t.Errorf("%d notifications of 新港's cases reached users outside 新港 and 城区", outside)
	}
	var worker2OnA int
	f.pool.QueryRow(f.ctx, `SELECT count(*) FROM notifications n JOIN users u ON u.id = n.user_id WHERE n.case_id = $1 AND u.username = 'worker2'`, a).
		Scan(&worker2OnA)
	if worker2OnA != 0 {
		t.Errorf("worker2 heard %d times of a case in another grid", worker2OnA)
	}
}

// Another domain raises a notice (a proposal to review): the office of the
// place hears of it, and the users it names, once however often it is
// raised; a raise in a transaction that rolls back tells no one.
func TestRaiseTellsTheOfficeOfThePlaceOnce(t *testing.T) {
	f := newFixture(t, notify.Config{})
	raise := func(rollback bool, n notify.Notice) {
		t.Helper()
		tx, err := f.pool.Begin(f.ctx)
		if err != nil {
			t.Fatal(err)
		}
		if err := f.svc.Raise(f.ctx, tx, n); err != nil {
			tx.Rollback(f.ctx)
			t.Fatalf("raise: %v", err)
		}
		if rollback {
			tx.Rollback(f.ctx)
			return
		}
		if err := tx.Commit(f.ctx); err != nil {
			t.Fatal(err)
		}
	}
	worker3 := f.users["worker3"].ID
	n := notify.Notice{Kind: "proposal_review", Place: "441502002001001", ActorID: &worker3, RefType: "proposal", RefID: "17",
		Title: "风险点变更待审核：香洲水库", Body: "网格员王芳提议调整风险等级", Link: "/#proposal=17"}
	raise(true, n)
	var count int
	f.pool.QueryRow(f.ctx, `SELECT count(*) FROM notifications`).Scan(&count)
	if count != 0 {
		t.Fatalf("a rolled-back raise left %d notifications", count)
	}
	raise(false, n)
	raise(false, n)
	rows, _ := f.pool.Query(f.ctx, `SELECT u.username, n.title, n.link, n.ref_type, n.ref_id FROM notifications n JOIN users u ON u.id = n.user_id ORDER BY 1`)
	var got []string
	for rows.Next() {
		var user, title, link, rt, ri string
		rows.Scan(&user, &title, &link, &rt, &ri)
		got = append(got, user)
		if title != n.Title || link != n.Link || rt != "proposal" || ri != "17" {
			t.Errorf("%s's notification: %q %q %q %q", user, title, link, rt, ri)
		}
	}
	rows.Close()
	if !slices.Equal(got, []string{"xiangzhou"}) {
		t.Errorf("proposal_review in 香洲 told to %v, want [xiangzhou] (the actor worker3 is not told)", got)
	}
	// an inspection due, naming its inspectors
	insp := notify.Notice{Kind: "inspection_due", Place: "441521101000", Users: []int64{f.users["haifeng"].ID},
		RefType: "inspection_plan", RefID: "3", Title: "双随机检查到期：梅陇镇"}
	raise(false, insp)
	if got := f.toldRef("inspection_due", "3"); !slices.Equal(got, names("haifeng", "meilong")) {
		t.Errorf("inspection_due told to %v", got)
	}
	// refused: an unknown kind, a place that is no code
	tx, _ := f.pool.Begin(f.ctx)
	defer tx.Rollback(f.ctx)
	for _, bad := range []notify.Notice{{Kind: "gossip", Place: "441502001000", Title: "x"}, {Kind: "patrol_review", Place: "新港", Title: "x"}} {
		if err := f.svc.Raise(f.ctx, tx, bad); err == nil {
			t.Errorf("raise %+v: accepted", bad)
		}
	}
}

func (f *fixture) toldRef(kind, ref string) []string {
	f.t.Helper()
	rows, err := f.pool.Query(f.ctx, `SELECT u.username FROM notifications n JOIN users u ON u.id = n.user_id
		WHERE n.kind = $1 AND n.ref_id = $2 ORDER BY 1`, kind, ref)
	if err != nil {
		f.t.Fatal(err)
	}
	defer rows.Close()
	out := []string{}
	for rows.Next() {
		var s string
		rows.Scan(&s)
		out = append(out, s)
	}
	return out
}

// Who is told is configurable per area: 城区's county office adds itself
// to the reports of its area; the most specific rule above a place wins
// (a township's own rule over the county's), a place outside keeps the
// default, a township may not change what the level above is told, and
// removing an area's rule restores the one above.
func TestAnAreaRuleChangesWhoIsToldThereOnly(t *testing.T) {
	f := newFixture(t, notify.Config{})
	if _, err := f.svc.SetRule(f.ctx, f.users["chengqu"], "reported", "441502000000", []string{"township", "county"}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.SetRule(f.ctx, f.users["xingang"], "reported", "441502001000", []string{}); err == nil {
		t.Error("a township muted its reports for the county")
	}
	if _, err := f.svc.SetRule(f.ctx, f.users["chengqu"], "reported", "441521000000", []string{}); err == nil {
		t.Error("城区 set a rule for 海丰")
	}
	a := f.report("worker1", g001, "")
	if got := f.told("reported", a); !slices.Equal(got, names("chengqu", "xingang", "xingang2")) {
		t.Errorf("a report in 新港 under 城区's rule: told %v", got)
	}
	m := f.report("haifeng", meilong, "") // 梅陇, 海丰: the default rule
	if got := f.told("reported", m); !slices.Equal(got, names("meilong")) {
		t.Errorf("a report in 梅陇: told %v", got)
	}
	// 香洲's own rule (set by the county) is more specific than 城区's
	if _, err := f.svc.SetRule(f.ctx, f.users["chengqu"], "reported", "441502002000", []string{"county"}); err != nil {
		t.Fatal(err)
	}
	x := f.report("worker3", xiangzhou, "")
	if got := f.told("reported", x); !slices.Equal(got, names("chengqu")) {
		t.Errorf("a report in 香洲 under its own rule: told %v", got)
	}
	if err := f.svc.ResetRule(f.ctx, f.users["chengqu"], "reported", "441502000000"); err != nil {
		t.Fatal(err)
	}
	b := f.report("worker2", g002, "")
	if got := f.told("reported", b); !slices.Equal(got, names("xingang", "xingang2")) {
		t.Errorf("after 城区's rule was removed: told %v", got)
	}
}
