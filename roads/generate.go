package roads

import (
	"context"
	_ "embed"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

//go:embed generate.sql
var generateSQL string

// Generate replaces the network with one made from the grids (see
// generate.sql): deterministic, so the same grids give the same roads.
// sourceRef marks the roads it makes.
func Generate(ctx context.Context, pool *pgxpool.Pool, sourceRef string) (Report, error) {
	rep := Report{Format: "generated", KmByClass: map[string]float64{}}
	err := pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock($1), set_config('jit', 'off', true)", importLock); err != nil {
			return err
		}
		return generate(ctx, tx, sourceRef, &rep)
	})
	return rep, err
}

func generate(ctx context.Context, tx pgx.Tx, sourceRef string, rep *Report) error {
	var grids int
	if err := tx.QueryRow(ctx, "SELECT count(*) FROM grids").Scan(&grids); err != nil {
		return fmt.Errorf("roads: generate: %w", err)
	}
	if grids < 2 {
		return fmt.Errorf("roads: generate: %d grids: a network needs at least two", grids)
	}
	tag, err := tx.Exec(ctx, "DELETE FROM roads")
	if err != nil {
		return fmt.Errorf("roads: generate: %w", err)
	}
	rep.Replaced = int(tag.RowsAffected())
	// the script is several statements; only the last takes $1, so it runs
	// as a whole with the reference spliced in as a literal
	if _, err := tx.Exec(ctx, "SELECT set_config('riskmap.road_source', $1, true)", sourceRef); err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, generateSQL); err != nil {
		return fmt.Errorf("roads: generate: %w", NoPgRouting(err))
	}
	if err := tx.QueryRow(ctx, "SELECT count(*) FROM roads").Scan(&rep.Edges); err != nil {
		return err
	}
	rep.Lines = rep.Edges
	if err := rebuild(ctx, tx, rep); err != nil {
		return err
	}
	return classLengths(ctx, tx, rep)
}

// LoadDemo gives the demo city its road network, once: when the network
// is empty it generates one (source_ref "demo") and returns true; otherwise
// it does nothing. Call it after demo.Load.
func LoadDemo(ctx context.Context, pool *pgxpool.Pool) (bool, error) {
	loaded := false
	err := pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock($1), set_config('jit', 'off', true)", importLock); err != nil {
			return err
		}
		var present bool
		if err := tx.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM roads)").Scan(&present); err != nil {
			return fmt.Errorf("roads: demo: %w", err)
		}
		if present {
			return nil
		}
		var grids int
		if err := tx.QueryRow(ctx, "SELECT count(*) FROM grids").Scan(&grids); err != nil || grids < 2 {
			return err // no city yet: nothing to connect
		}
		loaded = true
		return generate(ctx, tx, "demo", &Report{KmByClass: map[string]float64{}})
	})
	return loaded && err == nil, err
}
