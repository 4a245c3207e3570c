package importers

import (
	"context"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"

	"riskmap"
	"riskmap/features"
	"riskmap/postgres"
)

// BulkMinRows is the least number of rows an import must bring for
// BulkAuto to load it in bulk.
const BulkMinRows = 100_000

// BulkMode says whether a point import is loaded in bulk: in one
// transaction that holds the layer locked, drops its secondary indexes and
// foreign keys, writes every batch and builds them again, as PostgreSQL's
// manual advises for populating a table ("Populating a Database"): one
// sorted index build is far cheaper than a million index insertions, and
// one join checks the foreign key for all rows. Readers of the layer wait
// until it commits, so it is meant for first loads and large reloads.
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
// other than unique ones (the upsert needs those) and its foreign keys,
// as the catalog defines them.
type rebuild struct {
	indexes     []string // names
	indexDefs   []string
	constraints []string // names
	constrDefs  []string
}

func dropForBulk(ctx context.Context, tx pgx.Tx, table string) (*rebuild, error) {
	r := &rebuild{}
	var err error
	r.indexes, r.indexDefs, err = namedDefinitions(ctx, tx, `SELECT quote_ident(c.relname), pg_get_indexdef(i.indexrelid)
		  FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
		 WHERE i.indrelid = $1::regclass AND NOT i.indisunique AND NOT i.indisprimary
		   AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid)
		 ORDER BY c.relname`, table)
	if err != nil {
		return nil, fmt.Errorf("indexes of %s: %w", table, err)
	}
	r.constraints, r.constrDefs, err = namedDefinitions(ctx, tx, `SELECT quote_ident(conname), pg_get_constraintdef(oid)
		  FROM pg_constraint WHERE conrelid = $1::regclass AND contype = 'f' ORDER BY conname`, table)
	if err != nil {
		return nil, fmt.Errorf("foreign keys of %s: %w", table, err)
	}
	// names and definitions come from the catalog of our own schema, quoted
	// by PostgreSQL itself; table is a layer name from the registry
	for _, name := range r.indexes {
		if _, err := tx.Exec(ctx, "DROP INDEX "+name); err != nil {
			return nil, fmt.Errorf("drop index %s: %w", name, err)
		}
	}
	for _, name := range r.constraints {
		if _, err := tx.Exec(ctx, "ALTER TABLE "+table+" DROP CONSTRAINT "+name); err != nil {
			return nil, fmt.Errorf("drop constraint %s: %w", name, err)
		}
	}
	return r, nil
}

// namedDefinitions reads (name, definition) pairs from a catalog query.
func namedDefinitions(ctx context.Context, tx pgx.Tx, q, table string) (names, defs []string, err error) {
	rows, err := tx.Query(ctx, q, table)
	if err != nil {
		return nil, nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var name, def string
		if err := rows.Scan(&name, &def); err != nil {
			return nil, nil, err
		}
		names, defs = append(names, name), append(defs, def)
	}
	return names, defs, rows.Err()
}

func (r *rebuild) restore(ctx context.Context, tx pgx.Tx, table string) error {
	for i, def := range r.indexDefs {
		if _, err := tx.Exec(ctx, def); err != nil {
			return fmt.Errorf("build index %s again: %w", r.indexes[i], err)
		}
	}
	for i, def := range r.constrDefs {
		// one join over the whole table checks every row's reference
		if _, err := tx.Exec(ctx, "ALTER TABLE "+table+" ADD CONSTRAINT "+r.constraints[i]+" "+def); err != nil {
			return fmt.Errorf("add constraint %s again: %w", r.constraints[i], postgres.Translate(err))
		}
	}
	return nil
}

// applyBulk writes the staged rows of a point layer in one transaction
// (see BulkMode). Batches are still written one statement each, so the
// statement triggers (audit, placement check, tile clusters) see a
// batch's rows at a time; a batch the placement check refuses (a grid
// edited since the import began) is written again, placed by the
// database row by row, as in apply. Progress is reported outside the
// transaction; import_jobs.applied moves only with the commit.
func (im *Importer) applyBulk(ctx context.Context, jobID int64, q string, maxRow int, l *features.Layer, opts Options,
	rep *Report, onProgress func(Progress)) error {
	batch := opts.batchSize()
	var ins, upd int
	err := postgres.BeginAudited(ctx, im.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT set_config('riskmap.audit_mode', 'statement', true),
			set_config('jit', 'off', true), set_config('work_mem', '64MB', true),
			set_config('maintenance_work_mem', '512MB', true), set_config('lock_timeout', '60s', true)`); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, "LOCK TABLE "+l.Name+" IN ACCESS EXCLUSIVE MODE"); err != nil {
			return fmt.Errorf("lock %s for a bulk load: %w", l.Name, postgres.Translate(err))
		}
		rb, err := dropForBulk(ctx, tx, l.Name)
		if err != nil {
			return err
		}
		for lo := 0; lo < maxRow; lo += batch {
			hi := min(lo+batch, maxRow)
			var bi, bu int
			write := func(placement string) error {
				sp, err := tx.Begin(ctx) // a savepoint
				if err != nil {
					return err
				}
				if _, err := sp.Exec(ctx, "SELECT set_config('riskmap.placement', $1, true)", placement); err != nil {
					_ = sp.Rollback(ctx)
					return err
				}
				if err := sp.QueryRow(ctx, q, lo, hi).Scan(&bi, &bu); err != nil {
					_ = sp.Rollback(ctx)
					return err
				}
				return sp.Commit(ctx)
			}
			err := write("verify")
			if misplaced(err) {
				rep.Warnings = append(rep.Warnings, fmt.Sprintf("rows %d–%d: %s; the database placed them again point by point",
					lo+1, hi, riskmap.ErrorMessage(postgres.Translate(err))))
				err = write("row")
			}
			if err != nil {
				return fmt.Errorf("apply rows %d–%d of %s (nothing is written: the bulk load is one transaction): %w",
					lo+1, hi, l.Name, postgres.Translate(err))
			}
			ins, upd = ins+bi, upd+bu
			frac := 0.95 * float64(hi) / float64(maxRow) // the indexes are the rest
			onProgress(Progress{Phase: "loading", Fraction: frac, Rows: rep.Rows})
			if _, err := im.pool.Exec(ctx, `UPDATE import_jobs SET progress = $2, phase = 'loading', status = 'loading',
				heartbeat_at = now() WHERE id = $1`, jobID, float32(frac)); err != nil {
				return fmt.Errorf("job progress: %w", err)
			}
		}
		if err := rb.restore(ctx, tx, l.Name); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `UPDATE import_jobs SET applied = $2, inserted = inserted + $3, updated = updated + $4,
			progress = 1, phase = 'loading', status = 'loading', heartbeat_at = now() WHERE id = $1`, jobID, maxRow, ins, upd)
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
