package api_test

import (
	"bytes"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"
)

type ledger struct {
	Lines []struct {
		Item      string  `json:"item"`
		Batch     string  `json:"batch"`
		Unit      string  `json:"unit"`
		Quantity  float64 `json:"quantity"`
		Expired   bool    `json:"expired"`
		Expiring  bool    `json:"expiring"`
		BelowNorm bool    `json:"below_norm"`
	} `json:"lines"`
	Movements []struct {
		ID       int64   `json:"id"`
		Kind     string  `json:"kind"`
		Item     string  `json:"item"`
		Quantity float64 `json:"quantity"`
		Balance  float64 `json:"balance"`
		Actor    string  `json:"actor"`
		Reason   *string `json:"reason"`
	} `json:"movements"`
}

func (l ledger) onHand(item, batch string) float64 {
	for _, x := range l.Lines {
		if x.Item == item && x.Batch == batch {
			return x.Quantity
		}
	}
	return 0
}

func (e *env) depot(user string, lon, lat float64) int64 {
	e.t.Helper()
	var f feature
	res := e.do("POST", "/api/v1/depots", user, pointFeature(lon, lat, map[string]any{"name": "测试仓库"}), &f)
	if res.StatusCode != 201 {
		e.t.Fatalf("depot: %d %s", res.StatusCode, res.Body)
	}
	return f.ID
}

func (e *env) move(user string, depot int64, body string) (int, ledger) {
	e.t.Helper()
	var l ledger
	res := e.do("POST", fmt.Sprintf("/api/v1/depots/%d/stock-movements", depot), user, body, &l)
	return res.StatusCode, l
}

func (e *env) ledger(user string, depot int64) ledger {
	e.t.Helper()
	var l ledger
	if res := e.do("GET", fmt.Sprintf("/api/v1/depots/%d/stock-movements", depot), user, nil, &l); res.StatusCode != 200 {
		e.t.Fatalf("ledger: %d %s", res.StatusCode, res.Body)
	}
	return l
}

// Stock is the sum of its movements, each kept with who and why; a
// movement that would leave less than nothing is refused and changes
// nothing; a PATCH of the depot's inventory becomes count movements
// instead of deleting the lines.
func TestStockMovementsKeepTheLedger(t *testing.T) {
	e := newEnv(t)
	d := e.depot("xingang", 115.2, 23.0)
	if code, l := e.move("xingang", d, `{"item":"tents","unit":"顶","quantity":100,"kind":"in","reason":"县局调拨","ref":"RK-001"}`); code != 201 || l.onHand("tents", "") != 100 {
		t.Fatalf("in: %d %+v", code, l)
	}
	if code, l := e.move("xingang", d, `{"item":"tents","unit":"顶","quantity":-40,"kind":"out","reason":"台风转移安置"}`); code != 201 || l.onHand("tents", "") != 60 {
		t.Fatalf("out: %d %+v", code, l)
	}
	res := e.do("POST", fmt.Sprintf("/api/v1/depots/%d/stock-movements", d), "xingang", `{"item":"tents","unit":"顶","quantity":-70,"kind":"out"}`, nil)
	if res.StatusCode != 409 {
		t.Fatalf("out below nothing: %d %s", res.StatusCode, res.Body)
	}
	for _, bad := range []struct{ body, field string }{
		{`{"item":"tents","unit":"顶","quantity":40,"kind":"out"}`, "quantity"},
		{`{"item":"tents","unit":"顶","quantity":-4,"kind":"in"}`, "quantity"},
		{`{"item":"Tents!","unit":"顶","quantity":4,"kind":"in"}`, "item"},
		{`{"item":"tents","unit":"顶","quantity":4,"kind":"gift"}`, "kind"},
		{`{"item":"tents","unit":"顶","quantity":4.555,"kind":"in"}`, "quantity"},
		{`{"item":"tents","unit":"顶","quantity":4,"kind":"in","expires_on":"next week"}`, "expires_on"},
		{`{"item":"tents","unit":"个","quantity":4,"kind":"in"}`, "unit"},
		{`{"item":"tents","unit":"顶","quantity":-4,"kind":"transfer"}`, "to_depot"},
	} {
		var er struct {
			Error struct {
				Details []struct{ Field string } `json:"details"`
			} `json:"error"`
		}
		res := e.do("POST", fmt.Sprintf("/api/v1/depots/%d/stock-movements", d), "xingang", bad.body, &er)
		if res.StatusCode != 422 || len(er.Error.Details) == 0 || er.Error.Details[0].Field != bad.field {
			t.Errorf("%s: %d %s, want 422 naming %s", bad.body, res.StatusCode, res.Body, bad.field)
		}
	}
	// a count: found 58 → a correction of -2
	if code, l := e.move("xingang", d, `{"item":"tents","unit":"顶","counted":58,"kind":"count","reason":"月度盘点"}`); code != 201 || l.onHand("tents", "") != 58 ||
		l.Movements[0].Quantity != -2 {
		t.Fatalf("count: %d %+v", code, l)
	}
	// a transfer to another depot of the township: two halves
	d2 := e.depot("xingang", 115.7, 23.0)
	if code, l := e.move("xingang", d, fmt.Sprintf(`{"item":"tents","unit":"顶","quantity":-8,"kind":"transfer","to_depot":%d}`, d2)); code != 201 || len(l.Movements) != 2 {
		t.Fatalf("transfer: %d %+v", code, l)
	}
	if l1, l2 := e.ledger("xingang", d), e.ledger("xingang", d2); l1.onHand("tents", "") != 50 || l2.onHand("tents", "") != 8 {
		t.Fatalf("after transfer: %v %v", l1.Lines, l2.Lines)
	}
	// a transfer out of scope, a worker, a planner: refused
	var out feature
	e.do("POST", "/api/v1/depots", "admin", pointFeature(116.7, 23.0, map[string]any{"name": "海丰仓库"}), &out)
	if code, _ := e.move("xingang", d, fmt.Sprintf(`{"item":"tents","unit":"顶","quantity":-1,"kind":"transfer","to_depot":%d}`, out.ID)); code != 403 {
		t.Errorf("transfer out of scope: %d", code)
	}
	if code, _ := e.move("xingang", out.ID, `{"item":"tents","unit":"顶","quantity":1,"kind":"in"}`); code != 403 {
		t.Errorf("depot out of scope: %d", code)
	}
	if code, _ := e.move("worker1", d, `{"item":"tents","unit":"顶","quantity":1,"kind":"in"}`); code != 403 {
		t.Errorf("worker: %d", code)
	}
	// the inventory PATCH of old: counted, not replaced
	res = e.do("PATCH", fmt.Sprintf("/api/v1/depots/%d", d), "xingang", `{"type":"Feature","properties":{"inventory":[{"item":"quilts","unit":"床","quantity":30}]}}`, nil)
	if res.StatusCode != 200 {
		t.Fatalf("inventory patch: %d %s", res.StatusCode, res.Body)
	}
	l := e.ledger("xingang", d)
	if l.onHand("tents", "") != 0 || l.onHand("quilts", "") != 30 || len(l.Movements) != 6 || l.Movements[0].Kind != "count" {
		t.Fatalf("after patch: %+v", l)
	}
	for i, m := range l.Movements {
		if m.Actor != "xingang (township)" {
			t.Errorf("movement %d by %q", i, m.Actor)
		}
	}
	// direct SQL cannot rewrite the ledger
	if _, err := e.pool.Exec(t.Context(), "UPDATE stock_movements SET quantity = 1000 WHERE depot_id = $1", d); err == nil {
		t.Error("a ledger entry was rewritten")
	}
	// the ledger as a workbook
	res = e.do("GET", fmt.Sprintf("/api/v1/depots/%d/stock-movements?format=xlsx", d), "xingang", nil, nil)
	if res.StatusCode != 200 {
		t.Fatalf("xlsx: %d", res.StatusCode)
	}
	wb, err := excelize.OpenReader(bytes.NewReader(res.Body))
	if err != nil {
		t.Fatal(err)
	}
	rows, _ := wb.GetRows("出入库台账")
	if len(rows) != 3+6 || rows[2][1] != "类型" || rows[3][1] != "入库" || rows[3][9] != "RK-001" {
		t.Fatalf("ledger sheet: %q", rows)
	}
	// out of scope the depot's ledger does not exist
	if res := e.do("GET", fmt.Sprintf("/api/v1/depots/%d/stock-movements", d), "chengqu", nil, nil); res.StatusCode != 200 {
		t.Errorf("county reads: %d", res.StatusCode)
	}
	if res := e.do("GET", fmt.Sprintf("/api/v1/depots/%d/stock-movements", out.ID), "xingang", nil, nil); res.StatusCode != 404 {
		t.Errorf("out of scope read: %d", res.StatusCode)
	}
}

// Two movements at once on one line: never below nothing. Twenty outs of
// 10 race for 60 on hand: exactly six apply, the rest are refused, and the
// ledger's balances step down by ten.
func TestStockNeverNegativeUnderConcurrentMovements(t *testing.T) {
	e := newEnv(t)
	d := e.depot("xingang", 115.2, 23.0)
	e.move("xingang", d, `{"item":"sandbags","unit":"袋","quantity":60,"kind":"in"}`)
	var wg sync.WaitGroup
	codes := make([]int, 20)
	for i := range codes {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			codes[i] = e.do("POST", fmt.Sprintf("/api/v1/depots/%d/stock-movements", d), "xingang", `{"item":"sandbags","unit":"袋","quantity":-10,"kind":"out"}`, nil).StatusCode
		}(i)
	}
	wg.Wait()
	ok, refused := 0, 0
	for _, c := range codes {
		switch c {
		case 201:
			ok++
		case 409:
			refused++
		default:
			t.Errorf("status %d", c)
		}
	}
	l := e.ledger("xingang", d)
	if ok != 6 || refused != 14 || l.onHand("sandbags", "") != 0 {
		t.Fatalf("%d applied, %d refused, %v on hand", ok, refused, l.onHand("sandbags", ""))
	}
	// each out left ten less than the one before it took its turn (the
	// line's lock decides the turns, not the ids)
	seen := map[float64]bool{}
	for _, m := range l.Movements {
		seen[m.Balance] = true
	}
	for b := 0; b <= 60; b += 10 {
		if !seen[float64(b)] {
			t.Errorf("no movement left %d: %+v", b, l.Movements)
		}
	}
	var neg int
	if err := e.pool.QueryRow(t.Context(), "SELECT count(*) FROM stock_movements WHERE balance < 0").Scan(&neg); err != nil || neg != 0 {
		t.Errorf("negative balances: %d %v", neg, err)
	}
}

// A movement that takes a township below its norm raises the flag in the
// sufficiency analysis, in 四个一 and on the line; expired stock does not
// count and stock about to expire is flagged.
func TestStockBelowTheNormIsFlaggedInSufficiencyAndReadiness(t *testing.T) {
	e := newEnv(t)
	d := e.depot("xingang", 115.2, 23.0)
	// 新港: 1,700 residents, so tents 3.4 (2 per 1,000)
	e.move("xingang", d, `{"item":"tents","unit":"顶","quantity":5,"kind":"in"}`)
	type readiness struct {
		Townships []struct {
			Code            string   `json:"code"`
			StockSufficient bool     `json:"stock_sufficient"`
			StockShort      []string `json:"stock_short"`
			StockExpiring   []string `json:"stock_expiring"`
		} `json:"townships"`
	}
	short := func() (bool, []string) {
		var r readiness
		e.do("GET", "/api/v1/readiness?area=441502001000", "xingang", nil, &r)
		if len(r.Townships) != 1 {
			t.Fatalf("readiness %+v", r)
		}
		for _, it := range r.Townships[0].StockShort {
			if it == "tents" {
				return true, r.Townships[0].StockExpiring
			}
		}
		return false, r.Townships[0].StockExpiring
	}
	if s, _ := short(); s {
		t.Fatal("5 tents for 1,700 residents flagged short")
	}
	code, l := e.move("xingang", d, `{"item":"tents","unit":"顶","quantity":-2,"kind":"out","reason":"借出"}`)
	if code != 201 || len(l.Lines) != 1 || !l.Lines[0].BelowNorm {
		t.Fatalf("the out's answer: %d %+v", code, l.Lines)
	}
	if s, _ := short(); !s {
		t.Fatal("3 tents for 1,700 residents not flagged short in 四个一")
	}
	var suff struct {
		Townships []struct {
			Items []struct {
				Item       string  `json:"item"`
				Stock      float64 `json:"stock"`
				Expired    float64 `json:"expired"`
				Expiring   float64 `json:"expiring"`
				Sufficient bool    `json:"sufficient"`
			} `json:"items"`
		} `json:"townships"`
	}
	// an expired batch does not count; a batch expiring soon is flagged
	yesterday := time.Now().Add(-48 * time.Hour).Format("2006-01-02")
	soon := time.Now().Add(10 * 24 * time.Hour).Format("2006-01-02")
	e.move("xingang", d, fmt.Sprintf(`{"item":"tents","unit":"顶","quantity":10,"kind":"in","batch":"B-old","expires_on":%q}`, yesterday))
	e.move("xingang", d, fmt.Sprintf(`{"item":"tents","unit":"顶","quantity":1,"kind":"in","batch":"B-soon","expires_on":%q}`, soon))
	e.do("GET", "/api/v1/depots/sufficiency?area=441502001000", "xingang", nil, &suff)
	var tents = suff.Townships[0].Items[0]
	// 3 + 1 usable (the expired 10 not counted): 4 ≥ 3.4 again
	if tents.Item != "tents" || tents.Stock != 4 || tents.Expired != 10 || tents.Expiring != 1 || !tents.Sufficient {
		t.Fatalf("sufficiency tents: %+v", tents)
	}
	if _, exp := short(); len(exp) != 1 || exp[0] != "tents" {
		t.Errorf("expiring: %v", exp)
	}
	l = e.ledger("xingang", d)
	for _, x := range l.Lines {
		if x.Batch == "B-old" && !x.Expired || x.Batch == "B-soon" && !x.Expiring {
			t.Errorf("line flags %+v", x)
		}
	}
}
