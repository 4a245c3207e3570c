package api_test

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"riskmap/migrations"
)

func TestCasesGetShortNumbersPerTownshipAndYear(t *testing.T) {
	e := newCaseEnv(t)
	year := time.Now().In(time.FixedZone("CST", 8*3600)).Year()
	a := e.newCase("worker1", 115.2, 23.0, nil)
	b := e.newCase("xingang", 115.7, 23.0, nil)
	c := e.newCase("chengqu", 116.2, 23.0, nil) // 香洲街道
	for _, x := range []struct {
		doc  caseDoc
		want string
	}{{a, fmt.Sprintf("%d-新港-0001", year)}, {b, fmt.Sprintf("%d-新港-0002", year)}, {c, fmt.Sprintf("%d-香洲-0001", year)}} {
		if got := x.doc.Properties["number"]; got != x.want {
			t.Errorf("case %s: number %v, want %s", x.doc.ID, got, x.want)
		}
	}
	// the places by name, besides their codes
	for k, want := range map[string]string{"grid_name": "立新第1网格", "village_name": "立新社区", "township_name": "新港街道", "county_name": "城区"} {
		if got := a.Properties[k]; got != want {
			t.Errorf("%s = %v, want %s", k, got, want)
		}
	}
	// a number is kept through the loop
	d := e.mustAct("xingang", a.ID, map[string]any{"action": "register", "version": a.version()})
	if d.Properties["number"] != a.Properties["number"] {
		t.Errorf("number changed on register: %v -> %v", a.Properties["number"], d.Properties["number"])
	}
}

func TestCaseNumbersStayUniqueUnderConcurrentReports(t *testing.T) {
	e := newCaseEnv(t)
	const n = 12
	var wg sync.WaitGroup
	numbers := make(chan string, n)
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			var d caseDoc
			res := e.do("POST", "/api/v1/cases", "xingang", report(115.1+float64(i)*0.05, 23.0, map[string]any{"description": fmt.Sprintf("并发 %d", i)}), &d)
			if res.StatusCode != 201 {
				t.Errorf("report %d: %d %s", i, res.StatusCode, res.Body)
				return
			}
			numbers <- d.Properties["number"].(string)
		}(i)
	}
	wg.Wait()
	close(numbers)
	seen := map[string]bool{}
	pattern := regexp.MustCompile(`^\d{4}-新港-00(0[1-9]|1[0-2])$`)
	for x := range numbers {
		if seen[x] || !pattern.MatchString(x) {
			t.Errorf("number %s repeated or out of 0001–0012", x)
		}
		seen[x] = true
	}
	if len(seen) != n {
		t.Errorf("%d numbers for %d reports", len(seen), n)
	}
}

func TestCaseNumbersOfExistingCasesFollowTheirReportDates(t *testing.T) {
	e := newCaseEnv(t)
	ctx := context.Background()
	// a case reported on the last evening of 2025 in Shanghai is a 2025 case
	var number string
	if err := e.pool.QueryRow(ctx, `INSERT INTO cases (id, grade, category, description, reporter_name, reported_at, geom)
		VALUES (gen_random_uuid(), 'general', 'flood', '年末', '张伟', '2025-12-31 23:30:00+08', ST_SetSRID(ST_MakePoint(115.2, 23.0), 4326))
		RETURNING number`).Scan(&number); err != nil {
		t.Fatal(err)
	}
	if number != "2025-新港-0001" {
		t.Errorf("number %s, want 2025-新港-0001", number)
	}
	for _, c := range []struct{ name, short string }{{"新港街道", "新港"}, {"碣石镇", "碣石"}, {"华侨管理区", "华侨"}, {"镇", "镇"}, {"河口乡", "河口"}} {
		var got string
		if err := e.pool.QueryRow(ctx, "SELECT riskmap_township_short($1)", c.name).Scan(&got); err != nil {
			t.Fatal(err)
		}
		if got != c.short {
			t.Errorf("short name of %s: %s, want %s", c.name, got, c.short)
		}
	}
}

func TestCaseNumbersAreGivenToTheCasesAMigratedDatabaseHolds(t *testing.T) {
	e := newCaseEnv(t)
	ctx := context.Background()
	// three cases reported out of order, then the database as it was before
	// migration 620
	for _, at := range []string{"2026-03-01 10:00+08", "2026-01-05 09:00+08", "2026-02-01 08:00+08"} {
		if _, err := e.pool.Exec(ctx, `INSERT INTO cases (id, grade, category, description, reporter_name, reported_at, geom)
			VALUES (gen_random_uuid(), 'general', 'flood', $1::text, '张伟', $1::text::timestamptz, ST_SetSRID(ST_MakePoint(115.2, 23.0), 4326))`, at); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := e.pool.Exec(ctx, `DROP TRIGGER b_number ON cases; ALTER TABLE cases DROP COLUMN number;
		DROP TABLE case_number_counters; DROP FUNCTION riskmap_case_number_trigger(), riskmap_case_number(text, integer),
		riskmap_case_prefix(text, timestamptz), riskmap_township_short(text);
		DELETE FROM schema_migrations WHERE name = '620_case_numbers.sql'`); err != nil {
		t.Fatal(err)
	}
	var audits, versions int
	count := func() (int, int) {
		var a, v int
		if err := e.pool.QueryRow(ctx, "SELECT (SELECT count(*) FROM audit_log), (SELECT sum(version) FROM cases)").Scan(&a, &v); err != nil {
			t.Fatal(err)
		}
		return a, v
	}
	audits, versions = count()
	conn, err := e.pool.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	err = migrations.Migrate(ctx, conn.Conn())
	conn.Release()
	if err != nil {
		t.Fatal(err)
	}
	rows, err := e.pool.Query(ctx, "SELECT number FROM cases ORDER BY reported_at")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			t.Fatal(err)
		}
		got = append(got, n)
	}
	if want := "2026-新港-0001 2026-新港-0002 2026-新港-0003"; strings.Join(got, " ") != want {
		t.Errorf("numbers %v, want %s (in report order)", got, want)
	}
	if a, v := count(); a != audits || v != versions {
		t.Errorf("numbering wrote %d audit lines and bumped versions by %d", a-audits, v-versions)
	}
	// and the next report continues the sequence
	want := "2026-新港-0004"
	if y := time.Now().In(time.FixedZone("CST", 8*3600)).Year(); y != 2026 {
		want = fmt.Sprintf("%d-新港-0001", y)
	}
	if d := e.newCase("xingang", 115.2, 23.0, nil); d.Properties["number"] != want {
		t.Errorf("next number %v, want %s", d.Properties["number"], want)
	}
}

func TestNumberingExistingCasesKeepsEveryTriggersMode(t *testing.T) {
	e := newCaseEnv(t)
	ctx := context.Background()
	var modes string
	if err := e.pool.QueryRow(ctx, `SELECT string_agg(tgname || '=' || tgenabled::text, ' ' ORDER BY tgname) FROM pg_trigger
		WHERE tgrelid = 'cases'::regclass AND NOT tgisinternal AND tgname LIKE 'zz_counts%'`).Scan(&modes); err != nil {
		t.Fatal(err)
	}
	// the statistics' counters fire even under session_replication_role = replica
	if want := "zz_counts_delete=A zz_counts_insert=A zz_counts_truncate=A zz_counts_update=A"; modes != want {
		t.Errorf("trigger modes after migration 620: %s, want %s", modes, want)
	}
}
