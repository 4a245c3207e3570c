package importers

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"riskmap"
	"riskmap/features"
	"riskmap/postgres"
)

// applySQL upserts the staged rows numbered in ($1, $2] into the layer and
// counts the inserted and updated ones. A value the file left empty keeps
// the stored one (or takes the column's default for a new row); rows that
// would not change are not written at all (no version bump, no audit line).
// Stored rows are looked up by key one by one (the OFFSET 0 keeps the
// lateral subquery a nested loop over the key's index): joined by hash, a
// large layer would be read whole for every batch.
//
// Every row written records the job (import_job_id, migration 632), from
// the transaction's riskmap.import_job_id that the audit lines read too;
// it is not compared, so a row equal to the file stays untouched.
//
// For placed layers the rows carry the grid the importer placed them in
// (staging column grid) and the township and county codes derived from it:
// the transaction sets riskmap.placement = 'verify', so the database checks
// them per statement (301_import_bulk.sql) instead of looking up each row's
// grid again.
//
// fresh is for a layer known to be empty (a bulk load that found it so,
// holding it locked): a plain INSERT of the same rows, with nothing to look
// up or conflict with.
func applySQL(l *features.Layer, stage, key string, cols map[string]column, geomExpr string, fresh bool) string {
	var sel, names, set, olds, news []string
	if l.Placed {
		sel = append(sel, "s.grid AS grid_code", "left(s.grid, 9) || '000' AS township_code", "left(s.grid, 6) || '000000' AS county_code")
		for _, c := range []string{"grid_code", "township_code", "county_code"} {
			names = append(names, c)
			set = append(set, c+" = excluded."+c)
			olds = append(olds, "t."+c)
			news = append(news, "excluded."+c)
		}
	}
	for i, f := range l.Fields {
		def := "NULL"
		if c := cols[f.Name]; c.defaultSQL != "" {
			def = c.defaultSQL // from our own catalog
		}
		stored := fmt.Sprintf("WHEN t.id IS NOT NULL THEN t.%s ", f.Name)
		if fresh {
			stored = ""
		}
		sel = append(sel, fmt.Sprintf("CASE WHEN s.present & %d <> 0 THEN s.%s %sELSE %s END AS %s",
			int64(1)<<i, f.Name, stored, def, f.Name))
		names = append(names, f.Name)
		set = append(set, f.Name+" = excluded."+f.Name)
		olds = append(olds, "t."+f.Name)
		news = append(news, "excluded."+f.Name)
	}
	names = append(names, "import_job_id")
	set = append(set, "import_job_id = excluded.import_job_id")
	sel = append(sel, "nullif(current_setting('riskmap.import_job_id', true), '')::bigint AS import_job_id")
	if fresh {
		// nothing stored to look up or to conflict with: the same rows
		// as the upsert writes (a key twice in the file is refused before)
		return fmt.Sprintf(`WITH src AS (
		SELECT s.rn, %[1]s, %[2]s AS geom FROM %[3]s s
		 WHERE s.rn > $1 AND s.rn <= $2 AND s.problem IS NULL
	), up AS (
		INSERT INTO %[4]s AS t (%[5]s, geom)
		SELECT %[5]s, geom FROM src ORDER BY rn
		RETURNING 1
	)
	SELECT count(*), 0 FROM up`,
			strings.Join(sel, ", "), geomExpr, stage, l.Name, strings.Join(names, ", "))
	}
	return fmt.Sprintf(`WITH src AS (
		SELECT s.rn, %[1]s, %[2]s AS geom
		  FROM %[3]s s LEFT JOIN LATERAL (SELECT * FROM %[4]s t WHERE t.%[5]s = s.key OFFSET 0) t ON true
		 WHERE s.rn > $1 AND s.rn <= $2 AND s.problem IS NULL
	), up AS (
		INSERT INTO %[4]s AS t (%[6]s, geom)
		SELECT %[6]s, geom FROM src ORDER BY rn
		ON CONFLICT (%[5]s) DO UPDATE SET %[7]s, geom = excluded.geom
		 WHERE (%[8]s, t.geom) IS DISTINCT FROM (%[9]s, excluded.geom)
		RETURNING (xmax = 0) AS inserted
	)
	SELECT count(*) FILTER (WHERE inserted), count(*) FILTER (WHERE NOT inserted) FROM up`,
		strings.Join(sel, ", "), geomExpr, stage, l.Name, key,
		strings.Join(names, ", "), strings.Join(set, ", "), strings.Join(olds, ", "), strings.Join(news, ", "))
}

// apply writes the staged rows. Point layers go in batches, each one
// audited transaction that also moves import_jobs.applied forward, so a
// crash leaves whole batches and a record of them. Grids and areas go in
// one transaction with their integrity checks deferred to its end (a
// redrawn shared edge is valid only once both grids have their new shape);
// a row the checks refuse is reported, and with SkipInvalid left out and
// the rest tried again.
func (im *Importer) apply(ctx context.Context, jobID int64, stage string, l *features.Layer, v *validator, opts Options,
	rep *Report, rejected *rowSet, onProgress func(Progress)) error {
	// every audit line of the job names it (audit_log.import_job_id)
	ctx = riskmap.WithProvenance(ctx, riskmap.Provenance{Via: riskmap.ViaImport, ImportJobID: jobID})
	geomExpr := "s.geom"
	if !v.crs.Projected() && l.Geometry == "Point" {
		geomExpr = "ST_SetSRID(ST_GeomFromWKB(s.wkb), 4326)"
	}
	q := applySQL(l, stage, v.keyField, v.columns, geomExpr, false)
	var maxRow int
	if err := im.pool.QueryRow(ctx, "SELECT coalesce(max(rn), 0) FROM "+stage+" WHERE problem IS NULL").Scan(&maxRow); err != nil {
		return fmt.Errorf("staged rows: %w", err)
	}
	progress := func(tx pgx.Tx, hi, ins, upd int) error {
		_, err := tx.Exec(ctx, `UPDATE import_jobs SET applied = $2, inserted = inserted + $3, updated = updated + $4,
			progress = $5, phase = 'loading', status = 'loading', heartbeat_at = now() WHERE id = $1`,
			jobID, hi, ins, upd, float32(float64(hi)/float64(max(maxRow, 1))))
		return err
	}
	if l.Geometry != "Point" {
		for attempt := 0; ; attempt++ {
			var ins, upd int
			err := postgres.BeginAudited(ctx, im.pool, func(tx pgx.Tx) error {
				if _, err := tx.Exec(ctx, "SET CONSTRAINTS ALL DEFERRED"); err != nil {
					return err
				}
				if err := tx.QueryRow(ctx, q, 0, maxRow).Scan(&ins, &upd); err != nil {
					return postgres.Translate(err)
				}
				if _, err := tx.Exec(ctx, "SET CONSTRAINTS ALL IMMEDIATE"); err != nil {
					return postgres.Translate(err)
				}
				return progress(tx, maxRow, ins, upd)
			})
			if err == nil {
				rep.Inserted, rep.Updated = ins, upd
				return nil
			}
			row, key, ok := im.blame(ctx, stage, err)
			if !ok || attempt >= 100 {
				return fmt.Errorf("apply %s: %w", l.Name, err)
			}
			p := Problem{Row: row, ExternalID: key, Field: blameField(err), Reason: riskmap.ErrorMessage(err)}
			rep.Problems = append(rep.Problems, p)
			rejected.add(row)
			rep.Valid--
			rep.Rejected++
			if !opts.SkipInvalid {
				return nil
			}
			if _, err := im.pool.Exec(ctx, "UPDATE "+stage+" SET problem_field = $2, problem = $3 WHERE rn = $1", row, p.Field, p.Reason); err != nil {
				return err
			}
		}
	}
	bulk, err := im.useBulk(ctx, l, opts.Bulk, rep.Valid)
	if err != nil {
		return err
	}
	if bulk {
		return im.applyBulk(ctx, jobID, q, applySQL(l, stage, v.keyField, v.columns, geomExpr, true), maxRow, l, opts, rep, onProgress)
	}
	batch := opts.batchSize()
	for lo := 0; lo < maxRow; lo += batch {
		hi := min(lo+batch, maxRow)
		var ins, upd int
		write := func(placement string) error {
			return postgres.BeginAudited(ctx, im.pool, func(tx pgx.Tx) error {
				// the same audit rows, written per statement (300_imports_audit.sql);
				// placement checked per statement (301_import_bulk.sql); no JIT
				// (compiling the triggers' large queries took longer than running
				// them); memory enough to keep the statement's transition tables,
				// which five triggers read, off the disk; stored rows found by
				// key through its index even when the layer was empty or small
				// when the planner last looked (read whole for every row
				// otherwise)
				if _, err := tx.Exec(ctx, `SELECT set_config('riskmap.audit_mode', 'statement', true),
					set_config('riskmap.placement', $1, true), set_config('jit', 'off', true),
					set_config('work_mem', '64MB', true), set_config('enable_seqscan', 'off', true)`, placement); err != nil {
					return err
				}
				if err := tx.QueryRow(ctx, q, lo, hi).Scan(&ins, &upd); err != nil {
					return postgres.Translate(err)
				}
				return progress(tx, hi, ins, upd)
			})
		}
		err := write("verify")
		if misplaced(err) {
			// the database places some point elsewhere than the importer's
			// grid index did (a grid edited since the import began): the
			// batch again, every row placed by the database's row trigger
			rep.Warnings = append(rep.Warnings, fmt.Sprintf("rows %d–%d: %s; the database placed them again point by point",
				lo+1, hi, riskmap.ErrorMessage(err)))
			err = write("row")
		}
		if err != nil {
			return fmt.Errorf("apply rows %d–%d of %s (%d rows before them are applied; importing the file again finishes the work without duplicates): %w",
				lo+1, hi, l.Name, rep.Inserted+rep.Updated, err)
		}
		rep.Inserted += ins
		rep.Updated += upd
		onProgress(Progress{Phase: "loading", Fraction: float64(hi) / float64(maxRow), Rows: rep.Rows, Applied: hi})
	}
	return nil
}

// blame finds the staged row a refused grid or area write was about: the
// integrity triggers name the grid code in their detail.
func (im *Importer) blame(ctx context.Context, stage string, err error) (row int, key string, ok bool) {
	if riskmap.ErrorCode(err) != riskmap.EUNPROCESSABLE && riskmap.ErrorCode(err) != riskmap.ECONFLICT {
		return 0, "", false
	}
	var codes []string
	for _, d := range riskmap.ErrorDetails(err) {
		if m, isMap := d.Value.(map[string]any); isMap {
			for _, k := range []string{"grid", "code"} {
				if s, isStr := m[k].(string); isStr {
					codes = append(codes, s)
				}
			}
		}
	}
	// constraint errors name the code in their message ("Key (code)=(...)")
	msg := riskmap.ErrorMessage(err)
	var e *riskmap.Error
	if errors.As(err, &e) && e.Err != nil {
		msg += " " + e.Err.Error()
	}
	for _, c := range codes {
		if im.pool.QueryRow(ctx, "SELECT rn, key FROM "+stage+" WHERE key = $1 AND problem IS NULL", c).Scan(&row, &key) == nil {
			return row, key, true
		}
	}
	rows, qerr := im.pool.Query(ctx, "SELECT rn, key FROM "+stage+" WHERE problem IS NULL AND position(key IN $1) > 0 ORDER BY rn LIMIT 1", msg)
	if qerr != nil {
		return 0, "", false
	}
	defer rows.Close()
	if rows.Next() && rows.Scan(&row, &key) == nil {
		return row, key, true
	}
	return 0, "", false
}

// misplaced reports whether err is the placement check refusing a grid
// code (RM001, 301_import_bulk.sql).
func misplaced(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == "RM001"
}

func blameField(err error) string {
	for _, d := range riskmap.ErrorDetails(err) {
		if d.Field != "" {
			return d.Field
		}
	}
	return "row"
}

var _ = json.Marshal
