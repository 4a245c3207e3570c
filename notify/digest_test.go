package notify_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"riskmap/cases"
	"riskmap/notify"
)

// An office's robot with a digest time gets one digest a day, at the first
// run of the job after that time, with its area's figures; setting the
// time after it has passed today starts tomorrow.
func TestTheDailyDigestGoesOnceADayAfterItsTime(t *testing.T) {
	f := newFixture(t, notify.Config{})
	sh := cases.Shanghai()
	n := time.Now().In(sh)
	day := time.Date(n.Year(), n.Month(), n.Day()+1, 0, 0, 0, 0, sh) // tomorrow
	r := newReceiver(t)
	f.clock.Set(day.Add(7 * time.Hour)) // 07:00: the time has not come
	in, _ := notify.ParseChannel([]byte(fmt.Sprintf(`{"area":"441502001000","kind":"generic","url":"%s/generic","secret":"%s","digest_at":"08:30"}`,
		r.srv.URL, genericSecret)))
	ch, err := f.svc.CreateChannel(f.ctx, f.users["xingang"], in)
	if err != nil {
		t.Fatal(err)
	}
	// two open cases in 新港 (one overdue), one in 香洲
	a := f.report("worker1", g001, "major")
	f.report("worker2", g002, "")
	f.report("worker3", xiangzhou, "")
	f.act("xingang", a, "register", nil)
	f.act("xingang", a, "assign", map[string]any{"assignee": f.users["worker1"].ID, "deadline": day.AddDate(0, 0, 2).Add(12 * time.Hour).Format(time.RFC3339),
		"measures": "围挡", "funds": "1万元", "plan": "预案"})
	if _, err := f.pool.Exec(f.ctx, `UPDATE cases SET deadline = $2 WHERE id = $1`, a, day.Add(-24*time.Hour)); err != nil {
		t.Fatal(err)
	}
	// the database stamps a report with its own clock, and the digest counts
	// the reports of the 24 hours before it runs: put them at 01:00 of the
	// day the test plays, or a run between 00:00 and 08:31 Shanghai time
	// (16:00–00:31 UTC) reports them more than 24 hours before the digest
	if _, err := f.pool.Exec(f.ctx, `UPDATE cases SET reported_at = $1`, day.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	digests := func() []string {
		var out []string
		rows, _ := f.pool.Query(f.ctx, `SELECT body FROM notification_outbox WHERE channel_id = $1 AND kind = 'digest' ORDER BY id`, ch.ID)
		defer rows.Close()
		for rows.Next() {
			var b string
			rows.Scan(&b)
			out = append(out, b)
		}
		return out
	}
	if rep := f.run(day.Add(8 * time.Hour)); rep.Digests != 0 || len(digests()) != 0 {
		t.Fatalf("a digest before 08:30: %d", rep.Digests)
	}
	for range 2 {
		f.run(day.Add(8*time.Hour + 31*time.Minute))
	}
	f.run(day.Add(20 * time.Hour))
	d := digests()
	if len(d) != 1 {
		t.Fatalf("%d digests on the day, want 1", len(d))
	}
	var doc struct{ Kind, Title, Text string }
	if err := json.Unmarshal([]byte(d[0]), &doc); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"每日汇总：新港街道", "未销号隐患 2 处（其中重大隐患 1 处）", "已逾期 1 处", "近24小时新上报 2 处"} {
		if !strings.Contains(doc.Title+"\n"+doc.Text, want) {
			t.Errorf("the digest lacks %q: %s", want, doc.Text)
		}
	}
	f.run(day.Add(24*time.Hour + 8*time.Hour + 40*time.Minute))
	if n := len(digests()); n != 2 {
		t.Errorf("%d digests after the next morning, want 2", n)
	}
	// the time set after it has passed: the first digest tomorrow
	f.clock.Set(day.AddDate(0, 0, 2).Add(10 * time.Hour))
	later := "09:00"
	if _, err := f.svc.UpdateChannel(f.ctx, f.users["xingang"], ch.ID, &notify.ChannelInput{DigestAt: &later}, nil); err != nil {
		t.Fatal(err)
	}
	f.run(day.AddDate(0, 0, 2).Add(10 * time.Hour))
	if n := len(digests()); n != 2 {
		t.Errorf("a digest went at once for a time set after it: %d", n)
	}
}
