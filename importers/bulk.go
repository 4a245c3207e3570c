package importers

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"riskmap"
	"riskmap/features"
	"riskmap/postgres"
)

// BulkMinRows is the least number of rows an import must bring for
// BulkAuto to load it in bulk.
const BulkMinRows = 100_000

// BulkMode says whether a point import is loaded in bulk: in one
// transaction that holds the layer locked, drops its secondary indexes,
// writes every batch and builds them again, as PostgreSQL's manual advises
// for populating a table ("Populating a Database"): one sorted index build
// is far cheaper than a million index insertions. Readers of the layer
// wait until it commits, so it is meant for first loads and large reloads.
// Foreign keys stay: dropping one locks the table it refers to (grids)
// exclusively, which would stop every other write that places a point.
type BulkMode int

const (
	// BulkAuto loads in bulk when the file brings at least BulkMinRows
	// valid rows and more than the layer holds already.
	BulkAuto BulkMode = iota
	BulkOn
	BulkOff
)

// ParseBulkMode reads auto, on or off.
func ParseBulkMode(s string) (BulkMode, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", "auto":
		return BulkAuto, nil
	case "on", "true", "1":
		return BulkOn, nil
	case "off", "false", "0":
		return BulkOff, nil
	}
	return BulkAuto, fmt.Errorf("bulk: want auto, on or off, got %q", s)
}

func (m BulkMode) String() string {
	switch m {
	case BulkOn:
		return "on"
	case BulkOff:
		return "off"
	}
	return "auto"
}

// useBulk decides for a point layer receiving rows valid rows.
func (im *Importer) useBulk(ctx context.Context, l *features.Layer, mode BulkMode, rows int) (bool, error) {
	if mode == BulkOff {
		return false, nil
	}
	var held int
	var owner bool
	// the planner's estimate is enough to compare orders of magnitude, and
	// costs nothing on a large table (count(*) reads it whole); dropping
	// indexes takes the table's owner, which an application role need not be
	if err := im.pool.QueryRow(ctx, `SELECT greatest(reltuples, 0)::bigint, pg_has_role(relowner, 'USAGE')
		FROM pg_class WHERE oid = $1::regclass`, l.Name).Scan(&held, &owner); err != nil {
		return false, fmt.Errorf("size of %s: %w", l.Name, err)
	}
	if mode == BulkOn {
		if !owner {
			return false, riskmap.Errorf(riskmap.EINVALID, "bulk: a bulk load rebuilds %s's indexes, which only the owner of the table may do; this database role is not", l.Name)
		}
		return true, nil
	}
	return owner && rows >= BulkMinRows && rows > held, nil
}

// rebuild is what a bulk load drops and builds again: the layer's indexes
// other than those behind constraints (the upsert needs the unique ones),
// as the catalog defines them.
type rebuild struct {
	indexes   []string // names, schema-qualified
	indexDefs []string
}

func dropForBulk(ctx context.Context, tx pgx.Tx, table string) (*rebuild, error) {
	rows, err := tx.Query(ctx, `SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid)
		  FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
		 WHERE i.indrelid = $1::regclass AND NOT i.indisunique AND NOT i.indisprimary
		   AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid)
		 ORDER BY c.relname`, table)
	if err != nil {
		return nil, fmt.Errorf("indexes of %s: %w", table, err)
	}
	r := &rebuild{}
	for rows.Next() {
		var name, def string
		if err := rows.Scan(&name, &def); err != nil {
			rows.Close()
			return nil, err
		}
		r.indexes, r.indexDefs = append(r.indexes, name), append(r.indexDefs, def)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("indexes of %s: %w", table, err)
	}
	// names and definitions come from the catalog of our own schema, quoted
	// by PostgreSQL itself
	for _, name := range r.indexes {
		if _, err := tx.Exec(ctx, "DROP INDEX "+name); err != nil {
			return nil, fmt.Errorf("drop index %s: %w", name, err)
		}
	}
	return r, nil
}

func (r *rebuild) restore(ctx context.Context, tx pgx.Tx) error {
	for i, def := range r.indexDefs {
		if _, err := tx.Exec(ctx, def); err != nil {
			return fmt.Errorf("build index %s again: %w", r.indexes[i], err)
		}
	}
	return nil
}

// lockLayer takes the layer for the bulk load. A waiting ACCESS EXCLUSIVE
// request queues every later reader behind it, so it waits a short while
// at a time and lets the queue drain in between (a long export or a backup
// holding the layer), up to about a minute in all.
func lockLayer(ctx context.Context, tx pgx.Tx, table string) error {
	var prev string
	if err := tx.QueryRow(ctx, "SELECT current_setting('lock_timeout')").Scan(&prev); err != nil {
		return err
	}
	for attempt := 0; attempt < 30; attempt++ {
		if attempt > 0 {
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(time.Second):
			}
		}
		err := pgx.BeginFunc(ctx, tx, func(sp pgx.Tx) error { // a savepoint: a timed-out LOCK aborts only it
			if _, err := sp.Exec(ctx, "SELECT set_config('lock_timeout', '1s', true)"); err != nil {
				return err
			}
			_, err := sp.Exec(ctx, "LOCK TABLE "+table+" IN ACCESS EXCLUSIVE MODE")
			return err
		})
		var pe *pgconn.PgError
		switch {
		case err == nil:
			// the lock stays with the transaction; lock_timeout goes back
			// to what it was for the rest of it
			_, err = tx.Exec(ctx, "SELECT set_config('lock_timeout', $1, true)", prev)
			return err
		case !errors.As(err, &pe) || pe.Code != "55P03": // lock_not_available
			return fmt.Errorf("lock %s for a bulk load: %w", table, err)
		}
	}
	return riskmap.Errorf(riskmap.ECONFLICT, "bulk: %s stayed in use for a minute (a long export or backup?); try again, or import with --bulk off", table)
}

// applyBulk writes the staged rows of a point layer in one transaction
// (see BulkMode), audited per job (632_import_job_audit.sql: no audit line
// per row, the job is the record) and in the database's bulk mode
// (634_bulk_once_per_job.sql): the batches are written without the work
// the layer's triggers do per statement, and riskmap_bulk_finish does it
// once for the whole job before commit (the placement check, tile clusters,
// tile notifications, the live feed's event). If the placement check
// refuses a point (a grid edited since the import began), the load is done
// again with the database placing every point itself, as the row trigger
// does for the API. Progress is reported outside the transaction;
// import_jobs.applied moves only with the commit.
func (im *Importer) applyBulk(ctx context.Context, jobID int64, upsert, insert string, maxRow int, l *features.Layer, opts Options,
	rep *Report, onProgress func(Progress)) error {
	batch := opts.batchSize()
	var ins, upd int
	err := postgres.BeginAudited(ctx, im.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT set_config('riskmap.audit_mode', 'job', true),
			set_config('jit', 'off', true), set_config('work_mem', '64MB', true),
			set_config('maintenance_work_mem', '512MB', true)`); err != nil {
			return err
		}
		if err := lockLayer(ctx, tx, l.Name); err != nil {
			return err
		}
		rb, err := dropForBulk(ctx, tx, l.Name)
		if err != nil {
			return err
		}
		// a first load: nothing stored to look up or merge with
		q := upsert
		var empty bool
		if err := tx.QueryRow(ctx, "SELECT NOT EXISTS (SELECT FROM "+l.Name+")").Scan(&empty); err != nil {
			return err
		}
		if empty {
			q = insert
		}
		load := func(placement string) error {
			ins, upd = 0, 0
			return pgx.BeginFunc(ctx, tx, func(sp pgx.Tx) error { // a savepoint: a refused load is done again
				// stored rows are found by key through its index: a layer
				// empty or small when the load began would be read whole
				// for every row otherwise, as the planner expects it small
				if _, err := sp.Exec(ctx, `SELECT set_config('riskmap.bulk', 'job', true), set_config('riskmap.placement', $1, true),
					set_config('enable_seqscan', 'off', true)`, placement); err != nil {
					return err
				}
				for lo := 0; lo < maxRow; lo += batch {
					hi := min(lo+batch, maxRow)
					var bi, bu int
					if err := sp.QueryRow(ctx, q, lo, hi).Scan(&bi, &bu); err != nil {
						return fmt.Errorf("apply rows %d–%d of %s (nothing is written: the bulk load is one transaction): %w",
							lo+1, hi, l.Name, postgres.Translate(err))
					}
					ins, upd = ins+bi, upd+bu
					frac := 0.9 * float64(hi) / float64(maxRow) // the job's work and the indexes are the rest
					onProgress(Progress{Phase: "loading", Fraction: frac, Rows: rep.Rows})
					im.bulkProgress(ctx, jobID, frac)
				}
				if _, err := sp.Exec(ctx, `SELECT set_config('enable_seqscan', 'on', true), set_config('work_mem', '256MB', true)`); err != nil {
					return err
				}
				_, err := sp.Exec(ctx, "SELECT riskmap_bulk_finish($1)", l.Name)
				if err != nil && !misplaced(err) {
					return fmt.Errorf("finish the bulk load of %s (nothing is written: the bulk load is one transaction): %w", l.Name, postgres.Translate(err))
				}
				return err
			})
		}
		err = load("job")
		if misplaced(err) {
			rep.Warnings = append(rep.Warnings, fmt.Sprintf("rows 1–%d: %s; the database placed them again point by point",
				maxRow, riskmap.ErrorMessage(postgres.Translate(err))))
			err = load("row")
		}
		if err != nil {
			return err
		}
		// the finish analysed the layer: the planner has fresh figures from
		// the commit on, not when autovacuum gets to it
		if err := rb.restore(ctx, tx); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `UPDATE import_jobs SET applied = $2, inserted = inserted + $3, updated = updated + $4,
			progress = 1, phase = 'loading', status = 'loading', audit = 'job', heartbeat_at = now() WHERE id = $1`, jobID, maxRow, ins, upd)
		return err
	})
	if err != nil {
		return err
	}
	rep.Inserted += ins
	rep.Updated += upd
	rep.Bulk = true
	onProgress(Progress{Phase: "loading", Fraction: 1, Rows: rep.Rows, Applied: maxRow})
	return nil
}

// bulkProgress shows the bulk load's progress in import_jobs, from another
// connection (the load's own writes are invisible until it commits). It is
// best effort: a busy pool or a slow update never holds up or fails the
// load.
func (im *Importer) bulkProgress(ctx context.Context, jobID int64, frac float64) {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	_, _ = im.pool.Exec(ctx, `UPDATE import_jobs SET progress = $2, phase = 'loading', status = 'loading',
		heartbeat_at = now() WHERE id = $1`, jobID, float32(frac))
}
