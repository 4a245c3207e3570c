package importers_test

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"riskmap"
	"riskmap/features"
	"riskmap/importers"
)

// schemaOf lists a table's indexes, constraints and triggers as the catalog
// defines them, to show a bulk load builds back exactly what it dropped.
func (e *env) schemaOf(table string) string {
	e.t.Helper()
	var s string
	err := e.pool.QueryRow(context.Background(), `SELECT string_agg(d, E'\n' ORDER BY d) FROM (
		SELECT pg_get_indexdef(indexrelid) AS d FROM pg_index WHERE indrelid = $1::regclass
		UNION ALL
		SELECT conname || ' ' || pg_get_constraintdef(oid) || ' valid=' || convalidated FROM pg_constraint WHERE conrelid = $1::regclass
		UNION ALL
		SELECT pg_get_triggerdef(oid) || ' enabled=' || tgenabled::text FROM pg_trigger WHERE tgrelid = $1::regclass AND NOT tgisinternal) x`,
		table).Scan(&s)
	if err != nil {
		e.t.Fatal(err)
	}
	return s
}

func TestABulkLoadWritesWhatBatchedTransactionsWrite(t *testing.T) {
	feats := func(n int, rename bool) []byte {
		var fs []map[string]any
		for i := 0; i < n; i++ {
			props := map[string]any{"risk_level": 1 + i%4, "population_exposed": i}
			if rename && i%3 == 0 {
				props["name"] = fmt.Sprintf("改名%d", i)
			}
			fs = append(fs, pointFeature(fmt.Sprintf("B-%04d", i), 115.001+1.998*float64((i*37)%450)/450, 22.501+0.998*float64((i*11)%97)/97, props))
		}
		return collection(fs...)
	}
	type outcome struct {
		first, second *importers.Report
		rows, audit   string
		jobs          string // each job's audit, sha256 known, and the rows naming it
		applied       int
	}
	load := func(t *testing.T, mode importers.BulkMode) (*env, outcome) {
		e := newEnv(t)
		schema := e.schemaOf("risk_points")
		opts := importers.Options{Layer: "risk_points", BatchSize: 70, Bulk: mode}
		var o outcome
		o.first = e.run(e.write("b.geojson", feats(400, false)), opts)
		o.second = e.run(e.write("b2.geojson", feats(450, true)), opts)
		if got := e.schemaOf("risk_points"); got != schema {
			t.Errorf("risk_points' indexes and constraints after the load:\n%s\nwant\n%s", got, schema)
		}
		e.clustersMatchARebuild()
		ctx := context.Background()
		if err := e.pool.QueryRow(ctx, `SELECT string_agg(format('%s %s %s %s %s', external_id, name, risk_level, grid_code, ST_AsText(geom)), ';' ORDER BY external_id)
			FROM risk_points WHERE grid_code = riskmap_grid_at(geom)`).Scan(&o.rows); err != nil {
			t.Fatal(err)
		}
		if err := e.pool.QueryRow(ctx, `SELECT format('%s inserts, %s updates by %s', count(*) FILTER (WHERE action = 'insert'),
			count(*) FILTER (WHERE action = 'update'), string_agg(DISTINCT actor, ','))
			FROM audit_log a JOIN risk_points r ON r.id::text = a.row_id WHERE a.tbl = 'risk_points'`).Scan(&o.audit); err != nil {
			t.Fatal(err)
		}
		if err := e.pool.QueryRow(ctx, `SELECT applied FROM import_jobs ORDER BY id DESC LIMIT 1`).Scan(&o.applied); err != nil {
			t.Fatal(err)
		}
		if err := e.pool.QueryRow(ctx, `SELECT string_agg(format('%s %s %s', j.audit, length(j.sha256),
			(SELECT count(*) FROM risk_points r WHERE r.import_job_id = j.id)), '; ' ORDER BY j.id) FROM import_jobs j`).Scan(&o.jobs); err != nil {
			t.Fatal(err)
		}
		return e, o
	}
	_, batched := load(t, importers.BulkOff)
	_, bulk := load(t, importers.BulkOn)
	for _, c := range []struct {
		name string
		o    outcome
		bulk bool
	}{{"batched", batched, false}, {"bulk", bulk, true}} {
		if c.o.first.Failed() || c.o.first.Inserted != 400 || c.o.first.Bulk != c.bulk {
			t.Errorf("%s: first import %+v", c.name, c.o.first)
		}
		if c.o.second.Failed() || c.o.second.Inserted != 50 || c.o.second.Updated != 134 || c.o.second.Bulk != c.bulk {
			t.Errorf("%s: second import %+v", c.name, c.o.second)
		}
		if c.o.applied != 450 {
			t.Errorf("%s: import_jobs.applied %d, want 450", c.name, c.o.applied)
		}
	}
	if bulk.rows != batched.rows || strings.Count(bulk.rows, ";") != 449 {
		t.Errorf("bulk and batched loads differ (or rows are misplaced):\n%.300s\n%.300s", bulk.rows, batched.rows)
	}
	// batched: an audit line per row; bulk: none, the job is the record
	// (632_import_job_audit.sql). Either way each row names the job that
	// last wrote it: 400 by the first, then 50 new and 134 changed by the
	// second (the 266 unchanged keep the first's).
	if batched.audit != "450 inserts, 134 updates by tester (admin)" || bulk.audit != "0 inserts, 0 updates by " {
		t.Errorf("audit: bulk %q, batched %q", bulk.audit, batched.audit)
	}
	if batched.jobs != "row 64 266; row 64 184" || bulk.jobs != "job 64 266; job 64 184" {
		t.Errorf("jobs: bulk %q, batched %q", bulk.jobs, batched.jobs)
	}
}

func TestAFailedBulkLoadLeavesTheLayerItsIndexesAndForeignKeysAsTheyWere(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	var fs []map[string]any
	for i := 0; i < 300; i++ {
		fs = append(fs, pointFeature(fmt.Sprintf("F-%03d", i), 115.01+float64(i)*0.0066, 23.0, nil))
	}
	first := e.run(e.write("f.geojson", collection(fs[:100]...)), importers.Options{Layer: "risk_points"})
	if first.Failed() || first.Inserted != 100 {
		t.Fatalf("first import: %+v", first)
	}
	// a refusal only the database can give, in the third batch
	if _, err := e.pool.Exec(ctx, `CREATE FUNCTION refuse_f250() RETURNS trigger LANGUAGE plpgsql AS $$
		BEGIN IF NEW.external_id = 'F-250' THEN RAISE EXCEPTION 'refused by test'; END IF; RETURN NEW; END $$;
		CREATE TRIGGER refuse_f250 BEFORE INSERT ON risk_points FOR EACH ROW EXECUTE FUNCTION refuse_f250()`); err != nil {
		t.Fatal(err)
	}
	schema, before := e.schemaOf("risk_points"), e.snapshot()
	var audit0 int
	if err := e.pool.QueryRow(ctx, "SELECT count(*) FROM audit_log").Scan(&audit0); err != nil {
		t.Fatal(err)
	}
	ctxUser := riskmap.NewContextWithUser(context.Background(), &riskmap.User{Username: "tester", Role: "admin"})
	opts := importers.Options{Layer: "risk_points", BatchSize: 60, Bulk: importers.BulkOn}
	id, err := e.jobs.Create(ctxUser, nil, "f.geojson", opts)
	if err != nil {
		t.Fatal(err)
	}
	_, err = e.jobs.Run(ctxUser, id, e.write("f.geojson", collection(fs...)), "f.geojson", opts, nil)
	if err == nil || !strings.Contains(err.Error(), "nothing is written") {
		t.Fatalf("import: %v, want the bulk load refused as a whole", err)
	}
	if got := e.snapshot(); got != before {
		t.Errorf("the layers changed:\n%s\nwant\n%s", got, before)
	}
	if got := e.schemaOf("risk_points"); got != schema {
		t.Errorf("risk_points' indexes and constraints:\n%s\nwant\n%s", got, schema)
	}
	var audit1, applied int
	if err := e.pool.QueryRow(ctx, "SELECT count(*) FROM audit_log").Scan(&audit1); err != nil || audit1 != audit0 {
		t.Errorf("audit rows %d, want %d (%v)", audit1, audit0, err)
	}
	if err := e.pool.QueryRow(ctx, "SELECT applied FROM import_jobs WHERE id = $1", id).Scan(&applied); err != nil || applied != 0 {
		t.Errorf("import_jobs.applied %d, want 0 (%v)", applied, err)
	}
	e.clustersMatchARebuild()
}

func TestBulkAutoLeavesSmallImportsInBatches(t *testing.T) {
	e := newEnv(t)
	rep := e.run(e.write("s.geojson", collection(pointFeature("S-1", 115.3, 23.0, nil))), importers.Options{Layer: "risk_points"})
	if rep.Failed() || rep.Inserted != 1 || rep.Bulk {
		t.Fatalf("report: %+v (a one-row import is not a bulk load)", rep)
	}
}

func TestParseBulkMode(t *testing.T) {
	for _, c := range []struct {
		in   string
		want importers.BulkMode
		err  bool
	}{{"", importers.BulkAuto, false}, {"auto", importers.BulkAuto, false}, {"on", importers.BulkOn, false},
		{"OFF", importers.BulkOff, false}, {"sometimes", importers.BulkAuto, true}} {
		got, err := importers.ParseBulkMode(c.in)
		if got != c.want || (err != nil) != c.err {
			t.Errorf("ParseBulkMode(%q) = %v, %v", c.in, got, err)
		}
	}
}

// bulkInBackground starts a bulk import of n points and returns a channel
// that gives its outcome.
func (e *env) bulkInBackground(n int, name string) chan error {
	var fs []map[string]any
	for i := 0; i < n; i++ {
		fs = append(fs, pointFeature(fmt.Sprintf("W-%03d", i), 115.01+float64(i)*0.0066, 23.0, nil))
	}
	path := e.write(name, collection(fs...))
	ctx := riskmap.NewContextWithUser(context.Background(), &riskmap.User{Username: "tester", Role: "admin"})
	opts := importers.Options{Layer: "risk_points", BatchSize: 50, Bulk: importers.BulkOn}
	done := make(chan error, 1)
	go func() {
		id, err := e.jobs.Create(ctx, nil, name, opts)
		if err == nil {
			var rep *importers.Report
			if rep, err = e.jobs.Run(ctx, id, path, name, opts, nil); err == nil && (rep.Failed() || rep.Inserted != n || !rep.Bulk) {
				err = fmt.Errorf("report %+v", rep)
			}
		}
		done <- err
	}()
	return done
}

func TestABulkLoadLeavesGridsAndOtherLayersWritable(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	// the load stalls two seconds on its third batch
	if _, err := e.pool.Exec(ctx, `CREATE FUNCTION stall() RETURNS trigger LANGUAGE plpgsql AS $$
		BEGIN IF NEW.external_id = 'W-120' THEN PERFORM pg_sleep(2); END IF; RETURN NEW; END $$;
		CREATE TRIGGER stall BEFORE INSERT ON risk_points FOR EACH ROW EXECUTE FUNCTION stall()`); err != nil {
		t.Fatal(err)
	}
	done := e.bulkInBackground(200, "w.geojson")
	waitFor(t, func() bool {
		var n int
		_ = e.pool.QueryRow(ctx, `SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation
			WHERE c.relname = 'risk_points' AND l.mode = 'AccessExclusiveLock' AND l.granted`).Scan(&n)
		return n > 0
	})
	// meanwhile a station is placed (its grid read, its foreign key checked)
	// and a grid is renamed, neither waiting for the load
	err := pgx.BeginFunc(ctx, e.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, "SET LOCAL lock_timeout = '500ms'"); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO stations (name, kind, geom) VALUES ('站', 'office', ST_SetSRID(ST_Point(115.3, 23.0), 4326))`); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, "UPDATE grids SET name = name || '·' WHERE code = '441502001001002'")
		return err
	})
	if err != nil {
		t.Errorf("writes beside a bulk load: %v", err)
	}
	if err := <-done; err != nil {
		t.Fatalf("bulk load: %v", err)
	}
}

func TestABulkLoadWaitsForTheLayerWithoutQueueingItsReaders(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	// a long reader (an export, say) holds the layer for three seconds
	holder, err := e.pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := holder.Exec(ctx, "LOCK TABLE risk_points IN ACCESS SHARE MODE"); err != nil {
		t.Fatal(err)
	}
	done := e.bulkInBackground(60, "q.geojson")
	time.Sleep(1500 * time.Millisecond)
	// another reader still gets in: the load's lock request is not queued
	// in front of it for more than a second at a time
	err = pgx.BeginFunc(ctx, e.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, "SET LOCAL lock_timeout = '1500ms'"); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, "SELECT count(*) FROM risk_points")
		return err
	})
	if err != nil {
		t.Errorf("a reader while the bulk load waits: %v", err)
	}
	select {
	case err := <-done:
		t.Fatalf("the bulk load ended while the layer was held: %v", err)
	case <-time.After(1500 * time.Millisecond):
	}
	_ = holder.Rollback(ctx)
	if err := <-done; err != nil {
		t.Fatalf("bulk load: %v", err)
	}
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatal("timed out")
}

// TestABulkLoadIsAuditedByItsJob: a bulk load writes no audit line per
// feature; the job keeps who, when and the file's SHA-256, each feature
// names the job, the history shows "imported by job N" before the edits
// logged after it, as_of refuses times before the job (nothing logged says
// what stood then), and a write in job mode that names no job, leaves a
// row without it or deletes is refused by the database.
func TestABulkLoadIsAuditedByItsJob(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	var fs []map[string]any
	for i := 0; i < 30; i++ {
		fs = append(fs, pointFeature(fmt.Sprintf("J-%02d", i), 115.01+float64(i)*0.05, 23.0, nil))
	}
	path := e.write("j.geojson", collection(fs...))
	rep := e.run(path, importers.Options{Layer: "risk_points", Bulk: importers.BulkOn})
	if rep.Failed() || rep.Inserted != 30 || !rep.Bulk {
		t.Fatalf("bulk import: %+v", rep)
	}
	var job int64
	var audit, sha, actor string
	var lines, named int
	if err := e.pool.QueryRow(ctx, `SELECT id, audit, sha256, actor, (SELECT count(*) FROM audit_log WHERE tbl = 'risk_points'),
		(SELECT count(*) FROM risk_points WHERE import_job_id = j.id) FROM import_jobs j ORDER BY id DESC LIMIT 1`).
		Scan(&job, &audit, &sha, &actor, &lines, &named); err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(path)
	if want := fmt.Sprintf("%x", sha256.Sum256(data)); audit != "job" || sha != want || lines != 0 || named != 30 {
		t.Errorf("job %d: audit %s, sha256 %s (want %s), %d audit lines (want 0), %d features naming it (want 30)", job, audit, sha, want, lines, named)
	}

	store := features.NewStore(e.pool)
	l := store.Layers["risk_points"]
	var id int64
	if err := e.pool.QueryRow(ctx, "SELECT id FROM risk_points WHERE external_id = 'J-07'").Scan(&id); err != nil {
		t.Fatal(err)
	}
	editor := riskmap.NewContextWithUser(ctx, &riskmap.User{ID: 0, Username: "editor", Role: "admin"})
	if _, err := store.Update(editor, l, riskmap.Scope{All: true}, id, &features.Input{Values: map[string]any{"name": "改过"}}, nil); err != nil {
		t.Fatal(err)
	}
	hist, err := store.History(ctx, l, riskmap.Scope{All: true}, id)
	if err != nil {
		t.Fatal(err)
	}
	if len(hist) != 2 || hist[0].Action != "insert" || hist[0].ImportJobID == nil || *hist[0].ImportJobID != job ||
		hist[0].Via == nil || *hist[0].Via != riskmap.ViaImport || hist[0].Actor.Name != actor || hist[1].Action != "update" {
		b, _ := json.Marshal(hist)
		t.Errorf("history: %s", b)
	}
	var finished time.Time
	if err := e.pool.QueryRow(ctx, "SELECT finished_at FROM import_jobs WHERE id = $1", job).Scan(&finished); err != nil {
		t.Fatal(err)
	}
	if since, err := store.HistorySince(ctx, l); err != nil || since == nil || since.Before(finished) {
		t.Errorf("history since %v (%v), want at or after the job's end %v", since, err, finished)
	}

	for _, c := range []struct{ name, job, sql string }{
		{"no job named", "", "UPDATE risk_points SET name = 'x' WHERE external_id = 'J-01'"},
		{"a row without the job", fmt.Sprint(job), "UPDATE risk_points SET name = 'x', import_job_id = NULL WHERE external_id = 'J-01'"},
		{"a delete", fmt.Sprint(job), "DELETE FROM risk_points WHERE external_id = 'J-01'"},
	} {
		err := pgx.BeginFunc(ctx, e.pool, func(tx pgx.Tx) error {
			if _, err := tx.Exec(ctx, "SELECT set_config('riskmap.audit_mode', 'job', true), set_config('riskmap.import_job_id', $1, true)", c.job); err != nil {
				return err
			}
			_, err := tx.Exec(ctx, c.sql)
			return err
		})
		if err == nil || !strings.Contains(err.Error(), "audit_mode = job") {
			t.Errorf("%s in job mode: %v, want refused", c.name, err)
		}
	}
}

// A bulk load does its triggers' work once for the job, not once per batch
// statement (634_bulk_once_per_job.sql): one live-feed event and one set of
// tile notifications however many batches, clusters equal to a rebuild
// (updates included: the rows replaced are subtracted), and the bulk mode
// refused to a transaction that does not audit per job or lock the layer.
func TestABulkLoadDoesItsTriggersWorkOncePerJob(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	listener, err := e.pool.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer listener.Release()
	if _, err := listener.Exec(ctx, "LISTEN riskmap_cases; LISTEN riskmap_tiles"); err != nil {
		t.Fatal(err)
	}
	received := func() (feed, tiles int) {
		for {
			wctx, cancel := context.WithTimeout(ctx, 500*time.Millisecond)
			n, err := listener.Conn().WaitForNotification(wctx)
			cancel()
			if err != nil {
				return feed, tiles
			}
			switch {
			case n.Channel == "riskmap_cases" && strings.Contains(n.Payload, `"layer": "risk_points"`):
				feed++
			case n.Channel == "riskmap_tiles" && strings.Contains(n.Payload, `"risk_points"`):
				tiles++
			}
		}
	}
	var fs []map[string]any
	for i := 0; i < 300; i++ {
		fs = append(fs, pointFeature(fmt.Sprintf("O-%03d", i), 115.001+1.998*float64((i*37)%300)/300, 22.501+0.998*float64((i*11)%97)/97,
			map[string]any{"risk_level": 1 + i%4}))
	}
	opts := importers.Options{Layer: "risk_points", Bulk: importers.BulkOn, BatchSize: 50}
	rep := e.run(e.write("o.geojson", collection(fs...)), opts)
	if rep.Failed() || rep.Inserted != 300 || !rep.Bulk {
		t.Fatalf("bulk import: %+v", rep)
	}
	// 6 batches of 50: one feed event, and tile messages as one statement
	// of 300 rows sends them (40 rows a message), not 12 (2 a batch)
	if feed, tiles := received(); feed != 1 || tiles != 8 {
		t.Errorf("first load: %d feed events (want 1), %d tile messages (want 8, 300 rows by 40)", feed, tiles)
	}
	e.clustersMatchARebuild()
	for i := 0; i < 300; i += 2 {
		fs[i]["properties"].(map[string]any)["risk_level"] = 4
		if i%4 == 0 {
			g := fs[i]["geometry"].(map[string]any)
			c := g["coordinates"].([]float64)
			g["coordinates"] = []float64{math.Min(c[0]+0.3, 116.99), c[1]}
		}
	}
	rep = e.run(e.write("o2.geojson", collection(fs...)), opts)
	if rep.Failed() || rep.Updated == 0 || !rep.Bulk {
		t.Fatalf("bulk reload: %+v", rep)
	}
	if feed, _ := received(); feed != 1 {
		t.Errorf("reload: %d feed events, want 1", feed)
	}
	e.clustersMatchARebuild()

	var job string
	if err := e.pool.QueryRow(ctx, "SELECT max(id)::text FROM import_jobs").Scan(&job); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ name, settings, sql, refusal string }{
		{"not audited per job", "SELECT set_config('riskmap.bulk', 'job', true)",
			"UPDATE risk_points SET name = 'x' WHERE external_id = 'O-001'", "audited per job"},
		{"the layer not locked", "SELECT set_config('riskmap.bulk', 'job', true), set_config('riskmap.audit_mode', 'job', true), set_config('riskmap.import_job_id', '" + job + "', true)",
			"UPDATE risk_points SET name = 'x', import_job_id = " + job + " WHERE external_id = 'O-001'", "ACCESS EXCLUSIVE"},
		{"placement per job outside a bulk load", "SELECT set_config('riskmap.placement', 'job', true)",
			"UPDATE risk_points SET name = 'x' WHERE external_id = 'O-001'", "only a bulk load"},
	} {
		err := pgx.BeginFunc(ctx, e.pool, func(tx pgx.Tx) error {
			if _, err := tx.Exec(ctx, c.settings); err != nil {
				return err
			}
			_, err := tx.Exec(ctx, c.sql)
			return err
		})
		if err == nil || !strings.Contains(err.Error(), c.refusal) {
			t.Errorf("%s: %v, want refused (%s)", c.name, err, c.refusal)
		}
	}
	// a job that rows committed before name (here the reload's) is refused;
	// a client that leaves its own bulk job unfinished has it finished at
	// commit
	bulkUpdate := func(job string) error {
		return pgx.BeginFunc(ctx, e.pool, func(tx pgx.Tx) error {
			if _, err := tx.Exec(ctx, `SELECT set_config('riskmap.bulk', 'job', true), set_config('riskmap.audit_mode', 'job', true),
			set_config('riskmap.import_job_id', $1, true)`, job); err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, "LOCK TABLE risk_points IN ACCESS EXCLUSIVE MODE"); err != nil {
				return err
			}
			_, err := tx.Exec(ctx, "UPDATE risk_points SET risk_level = 1, import_job_id = $1::bigint WHERE external_id IN ('O-003', 'O-005')", job)
			return err
		})
	}
	if err := bulkUpdate(job); err == nil || !strings.Contains(err.Error(), "needs a job of its own") {
		t.Errorf("a used job: %v, want refused", err)
	}
	fresh, err := e.jobs.Create(ctx, nil, "psql", opts)
	if err != nil {
		t.Fatal(err)
	}
	if err := bulkUpdate(fmt.Sprint(fresh)); err != nil {
		t.Fatal(err)
	}
	if feed, _ := received(); feed != 1 {
		t.Errorf("finished at commit: %d feed events, want 1", feed)
	}
	e.clustersMatchARebuild()
}
