package demo

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"
)

// LastStatesAt draws the demo cases as a load at now would, over the
// grids tx reads, and gives each case's grid code and state at now.
func LastStatesAt(ctx context.Context, tx pgx.Tx, now time.Time) (grids, states []string, err error) {
	gs, err := demoGrids(ctx, tx)
	if err != nil {
		return nil, nil, err
	}
	for _, c := range demoCases(gs, now) {
		grids = append(grids, c.grid.code)
		states = append(states, c.last().to)
	}
	return grids, states, nil
}
