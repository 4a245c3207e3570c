package resilience

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"riskmap"
	"riskmap/auth"
)

// The process running an import is killed with SIGKILL while it loads:
// no partial batch is visible afterwards. Rows are applied in batches of
// consecutive file rows, each batch one transaction that also advances
// import_jobs.applied; "partial" would be any of: some but not all rows of
// a batch present, rows present beyond what applied says, applied not a
// whole number of batches, or a row without its audit line. Then the
// next process reaps the job (interrupted, staging table dropped) and
// importing the same file again completes it without duplicates.
func TestSIGKILLInTheMiddleOfAnImportLeavesWholeBatchesOnly(t *testing.T) {
	for _, tc := range []struct {
		name  string
		rows  int
		batch int // the importer's batch size on that path
		start func(t *testing.T, url string, pool *pgxpool.Pool, file string) (kill func())
	}{
		{"riskmap import", 6000, 500, startCLIImport},
		// the imports API applies 20,000 rows a batch
		{"the imports API of riskmap serve", 30000, 20000, startAPIImport},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			url, pool := scratchDB(t)
			file := filepath.Join(t.TempDir(), "风险点.geojson")
			writePoints(t, file, tc.rows)
			kill := tc.start(t, url, pool, file)

			// kill once at least one batch is in and more remain
			var job int64
			var applied int
			var status string
			deadline := time.Now().Add(3 * time.Minute)
			for {
				err := pool.QueryRow(ctx, "SELECT id, applied, status FROM import_jobs ORDER BY id DESC LIMIT 1").Scan(&job, &applied, &status)
				if err == nil && status == "loading" && applied >= tc.batch {
					break
				}
				if err == nil && (status == "done" || status == "failed" || status == "rejected") {
					t.Fatalf("the import ended (%s) before it could be killed mid-way: make the file larger", status)
				}
				if time.Now().After(deadline) {
					t.Fatalf("the import did not start loading within 3 minutes (status %q)", status)
				}
				time.Sleep(10 * time.Millisecond)
			}
			kill()
			var final int
			if err := pool.QueryRow(ctx, "SELECT applied, status FROM import_jobs WHERE id = $1", job).Scan(&final, &status); err != nil {
				t.Fatal(err)
			}
			t.Logf("killed with %d of %d rows applied (%s); %d when it died", applied, tc.rows, status, final)
			checkWholeBatches(t, pool, final, tc.batch, tc.rows)

			// a minute without heartbeat later (backdated here), the next
			// process marks the job interrupted and drops its staging table
			if _, err := pool.Exec(ctx, "UPDATE import_jobs SET heartbeat_at = now() - interval '2 minutes' WHERE id = $1", job); err != nil {
				t.Fatal(err)
			}
			out := runImport(t, url, file, tc.batch)
			var stage bool
			if err := pool.QueryRow(ctx, "SELECT status, to_regclass($2) IS NOT NULL FROM import_jobs WHERE id = $1", job, fmt.Sprintf("import_stage_%d", job)).Scan(&status, &stage); err != nil {
				t.Fatal(err)
			}
			if status != "interrupted" || stage {
				t.Errorf("the killed job stands %s with its staging table left: %v; want interrupted and dropped", status, stage)
			}
			// importing the file again finished the work, creating no duplicate
			var n, distinct int
			if err := pool.QueryRow(ctx, "SELECT count(*), count(DISTINCT external_id) FROM risk_points WHERE external_id LIKE 'kill-%'").Scan(&n, &distinct); err != nil {
				t.Fatal(err)
			}
			if n != tc.rows || distinct != tc.rows {
				t.Errorf("after importing again: %d rows (%d distinct), want %d\n%s", n, distinct, tc.rows, out)
			}
			// the rows already in are matched by external id and left alone
			want := fmt.Sprintf("inserted %d, updated 0, unchanged %d", tc.rows-final, final)
			if !strings.Contains(out, want) {
				t.Errorf("the second import's report does not say %q:\n%s", want, out)
			}
		})
	}
}

// writePoints writes n risk points inside the fixture city as
// newline-delimited GeoJSON, external ids kill-000001… in file order.
func writePoints(t *testing.T, path string, n int) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w := bufio.NewWriter(f)
	cats := []string{"geological", "flood", "reservoir", "coastal", "fire"}
	for i := 1; i <= n; i++ {
		lon := 115.003 + float64(i*7919%99991)/99991*0.994
		lat := 22.503 + float64(i*104729%99989)/99989*0.994
		fmt.Fprintf(w, `{"type":"Feature","geometry":{"type":"Point","coordinates":[%.6f,%.6f]},"properties":{"external_id":"kill-%06d","name":"导入风险点%d","category":"%s","risk_level":%d}}`+"\n",
			lon, lat, i, i, cats[i%len(cats)], 1+i%4)
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	f.Close()
}

// checkWholeBatches asserts the rows present are exactly file rows
// 1..applied, applied is whole batches (or the whole file), and each row
// has its audit line.
func checkWholeBatches(t *testing.T, pool *pgxpool.Pool, applied, batch, rows int) {
	t.Helper()
	var n, lo, hi, audited int
	err := pool.QueryRow(context.Background(), `
		SELECT count(*), coalesce(min(substr(external_id, 6)::int), 0), coalesce(max(substr(external_id, 6)::int), 0),
		       (SELECT count(*) FROM audit_log WHERE tbl = 'risk_points' AND action = 'insert' AND after->>'external_id' LIKE 'kill-%')
		  FROM risk_points WHERE external_id LIKE 'kill-%'`).Scan(&n, &lo, &hi, &audited)
	if err != nil {
		t.Fatal(err)
	}
	if applied == 0 || applied >= rows {
		t.Fatalf("applied = %d of %d: the kill did not land in the middle", applied, rows)
	}
	if applied%batch != 0 {
		t.Errorf("applied = %d is not a whole number of %d-row batches", applied, batch)
	}
	if n != applied || (n > 0 && (lo != 1 || hi != applied)) {
		t.Errorf("rows present: %d (file rows %d–%d); applied says %d: a partial batch is visible", n, lo, hi, applied)
	}
	if audited != n {
		t.Errorf("%d rows present, %d audit lines: a batch's rows and its audit went apart", n, audited)
	}
}

// startCLIImport runs `riskmap import` with 500-row batches.
func startCLIImport(t *testing.T, url string, _ *pgxpool.Pool, file string) func() {
	cmd := exec.Command(riskmapBin, "import", "--layer", "risk_points", "--batch", "500", file)
	cmd.Env = append(os.Environ(), "DATABASE_URL="+url)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGKILL)
		<-done
	})
	return func() {
		_ = cmd.Process.Signal(syscall.SIGKILL)
		<-done
		if cmd.ProcessState.Success() {
			t.Fatalf("riskmap import finished before SIGKILL landed:\n%s", out.String())
		}
	}
}

// startAPIImport uploads the file to a riskmap serve process as an admin;
// killing kills the server.
func startAPIImport(t *testing.T, url string, pool *pgxpool.Pool, file string) func() {
	srv := startServer(t, url)
	token, _ := user(t, pool, srv.Base, auth.UserSpec{Username: "admin", Role: riskmap.RoleAdmin})
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	_ = mw.WriteField("layer", "risk_points")
	part, _ := mw.CreateFormFile("file", filepath.Base(file))
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(part, f)
	f.Close()
	_ = mw.Close()
	req, _ := http.NewRequest("POST", srv.Base+"/api/v1/imports", &body)
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	reply, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 202 {
		t.Fatalf("POST /api/v1/imports: %d %s", res.StatusCode, reply)
	}
	return srv.Kill
}

// runImport runs `riskmap import` to the end and returns its output.
func runImport(t *testing.T, url, file string, batch int) string {
	t.Helper()
	cmd := exec.Command(riskmapBin, "import", "--layer", "risk_points", "--batch", fmt.Sprint(batch), file)
	cmd.Env = append(os.Environ(), "DATABASE_URL="+url)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("riskmap import again: %v\n%s", err, out)
	}
	return string(out)
}
