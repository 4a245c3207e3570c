package notify_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"riskmap/blobs"
	"riskmap/features"
	"riskmap/geo"
	"riskmap/notify"
	"riskmap/proposals"
)

// A grid worker's proposal waits for review: the township offices of its
// grid are told, once, in the proposal's own transaction — no one else,
// not the worker, not a disabled account; a proposal refused (outside the
// worker's grids: its insert rolled back) tells no one.
func TestAPendingProposalTellsTheOfficesOfItsGrid(t *testing.T) {
	f := newFixture(t, notify.Config{})
	b, err := blobs.NewDir(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	ps := proposals.NewStore(f.pool, features.NewStore(f.pool), b, 0)
	ps.NotifyWith(f.svc)
	propose := func(p [2]float64, name string) (*proposals.Proposal, error) {
		body := fmt.Sprintf(`{"id":"5b0c7a52-3c1e-4d6a-9f57-0a1b2c3d4e5f","layer":"risk_points","reason":"新建工地边坡，雨后有裂缝",
			"feature":{"type":"Feature","geometry":{"type":"Point","coordinates":[%v,%v]},
			"properties":{"name":%q,"category":"construction","risk_level":2}}}`, p[0], p[1], name)
		pr, _, err := ps.Create(f.ctx, f.users["worker1"], []byte(body), geo.CRSWGS84, nil, nil)
		return pr, err
	}
	// outside worker1's grid: refused after the insert, rolled back
	if _, err := propose(xiangzhou, "隔壁"); err == nil {
		t.Fatal("a proposal outside the worker's grids was accepted")
	}
	var n int
	f.pool.QueryRow(f.ctx, `SELECT count(*) FROM notifications`).Scan(&n)
	if n != 0 {
		t.Fatalf("a refused proposal told %d", n)
	}
	p, err := propose(g001, "工地边坡")
	if err != nil {
		t.Fatal(err)
	}
	// sent again from the phone (same client id): the first, no new word
	if again, err := propose(g001, "工地边坡"); err != nil || again.ID != p.ID {
		t.Fatalf("again: %v %v", again, err)
	}
	ref := fmt.Sprint(p.ID)
	if got := f.toldRef("proposal_review", ref); !slices.Equal(got, names("xingang", "xingang2")) {
		t.Errorf("proposal_review told to %v, want the township offices of its grid [xingang xingang2]", got)
	}
	var title, body, link, refType string
	if err := f.pool.QueryRow(f.ctx, `SELECT title, body, link, ref_type FROM notifications WHERE ref_id = $1 LIMIT 1`, ref).
		Scan(&title, &body, &link, &refType); err != nil {
		t.Fatal(err)
	}
	if title != "风险点变更待审核：新增「工地边坡」" || !strings.Contains(body, "worker1") || !strings.Contains(body, "雨后有裂缝") ||
		link != "/#proposals" || refType != "proposal" {
		t.Errorf("the notification: %q %q %q %q", title, body, link, refType)
	}
}
