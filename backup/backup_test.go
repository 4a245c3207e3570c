package backup_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"image"
	"image/png"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"riskmap"
	"riskmap/backup"
	"riskmap/blobs"
	"riskmap/cases"
	"riskmap/demo"
	"riskmap/internal/dbtest"
	"riskmap/localdb"
	"riskmap/postgres"
)

// tables compared row for row after a restore.
var tables = []string{"areas", "grids", "risk_points", "hazard_sources", "stations", "depots", "depot_items",
	"users", "user_areas", "user_grids", "cases", "case_events", "attachments", "audit_log", "roads"}

func fingerprints(t *testing.T, pool *pgxpool.Pool) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, tbl := range tables {
		var s string
		if err := pool.QueryRow(context.Background(),
			"SELECT count(*) || ':' || coalesce(md5(string_agg(t::text, ',' ORDER BY t::text)), '') FROM "+tbl+" t").Scan(&s); err != nil {
			t.Fatalf("fingerprint %s: %v", tbl, err)
		}
		out[tbl] = s
	}
	return out
}

func pngBytes(seed byte) []byte {
	img := image.NewGray(image.Rect(0, 0, 8, 8))
	for i := range img.Pix {
		img.Pix[i] = seed + byte(i)
	}
	var b bytes.Buffer
	_ = png.Encode(&b, img)
	return b.Bytes()
}

// A backup of a live database with cases, events and evidence restores
// into a brand-new cluster with every row and every attachment equal.
func TestBackupRestoresIntoAFreshClusterWithEverythingEqual(t *testing.T) {
	ctx := context.Background()
	srcURL := dbtest.Clone(t, dbtest.Demo)
	src, err := postgres.Open(ctx, srcURL, 4)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	if _, err := demo.LoadCases(ctx, src); err != nil {
		t.Fatalf("demo cases: %v", err)
	}
	work := t.TempDir()
	srcBlobs := filepath.Join(work, "blobs")
	store, err := blobs.NewDir(srcBlobs)
	if err != nil {
		t.Fatal(err)
	}
	cs := cases.NewStore(src, store, cases.Config{})
	admin := &riskmap.User{Role: riskmap.RoleCity, Username: "city", Areas: []string{"441500000000"}}
	if err := src.QueryRow(ctx, "SELECT id FROM users WHERE username = 'city'").Scan(&admin.ID); err != nil {
		t.Fatal(err)
	}
	var caseIDs []string
	rows, err := src.Query(ctx, "SELECT id::text FROM cases WHERE state NOT IN ('closed', 'void', 'duplicate') ORDER BY id LIMIT 2")
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var id string
		_ = rows.Scan(&id)
		caseIDs = append(caseIDs, id)
	}
	rows.Close()
	if len(caseIDs) != 2 {
		t.Fatalf("open demo cases: %v", caseIDs)
	}
	for i, id := range caseIDs {
		if _, err := cs.Attach(riskmap.NewContextWithUser(ctx, admin), admin, id, "photo.png", bytes.NewReader(pngBytes(byte(40*i)))); err != nil {
			t.Fatalf("attach to %s: %v", id, err)
		}
	}
	want := fingerprints(t, src)

	bin, err := localdb.BinDir()
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(work, "backup")
	m, err := backup.Backup(ctx, bin, srcURL, srcBlobs, out)
	if err != nil {
		t.Fatalf("backup: %v", err)
	}
	if len(m.Blobs) != 2 {
		t.Fatalf("manifest lists %d blobs, want 2", len(m.Blobs))
	}

	// a brand-new cluster of its own (as root its server runs as postgres,
	// so the directory must be reachable: not t.TempDir)
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	base := filepath.Join(os.TempDir(), "riskmap-restore-test-"+hex.EncodeToString(b))
	if err := os.MkdirAll(base, 0o755); err != nil {
		t.Fatal(err)
	}
	c := localdb.Cluster{Dir: filepath.Join(base, "pg"), Port: 56600 + int(b[0])%300, Database: "riskmap", Role: "riskmap"}
	t.Cleanup(func() {
		_ = c.Stop(context.Background())
		_ = os.RemoveAll(base)
	})
	if err := c.Start(ctx); err != nil {
		t.Fatalf("fresh cluster: %v", err)
	}
	dstBlobs := filepath.Join(work, "restored-blobs")
	if _, err := backup.Restore(ctx, bin, c.URL(), dstBlobs, out); err != nil {
		t.Fatalf("restore: %v", err)
	}
	dst, err := postgres.Open(ctx, c.URL(), 4)
	if err != nil {
		t.Fatal(err)
	}
	defer dst.Close()
	got := fingerprints(t, dst)
	for _, tbl := range tables {
		if got[tbl] != want[tbl] {
			t.Errorf("%s differs after restore: %s, want %s", tbl, got[tbl], want[tbl])
		}
	}
	var n int
	if err := dst.QueryRow(ctx, "SELECT count(*) FROM case_events").Scan(&n); err != nil || n == 0 {
		t.Fatalf("restored case events: %d %v", n, err)
	}
	// every attachment's blob is there with its recorded hash
	rows, err = dst.Query(ctx, "SELECT blob_key, sha256 FROM attachments")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	restored, err := blobs.NewDir(dstBlobs)
	if err != nil {
		t.Fatal(err)
	}
	seen := 0
	for rows.Next() {
		var key, sum string
		if err := rows.Scan(&key, &sum); err != nil {
			t.Fatal(err)
		}
		f, err := restored.Open(ctx, key)
		if err != nil {
			t.Fatalf("blob %s: %v", key, err)
		}
		h := sha256.New()
		_, _ = io.Copy(h, f)
		f.Close()
		if hex.EncodeToString(h.Sum(nil)) != sum {
			t.Errorf("blob %s does not match its sha256", key)
		}
		seen++
	}
	if seen < 2 {
		t.Fatalf("%d attachments restored, want at least 2", seen)
	}
	// a damaged backup is refused: the blob check catches it
	for p := range m.Blobs {
		if err := os.WriteFile(filepath.Join(out, "blobs", filepath.FromSlash(p)), []byte("damaged"), 0o600); err != nil {
			t.Fatal(err)
		}
		break
	}
	if _, err := backup.Restore(ctx, bin, c.URL(), filepath.Join(work, "again"), out); err == nil {
		t.Fatal("a backup with a damaged blob restored without complaint")
	}
}
