package demo

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"
)

// LoadsOver reads the grids tx holds once and gives a draw of the demo
// cases as a load at now would make them: each case's grid code and its
// state at now.
func LoadsOver(ctx context.Context, tx pgx.Tx) (func(now time.Time) (grids, states []string), error) {
	gs, err := demoGrids(ctx, tx)
	if err != nil {
		return nil, err
	}
	return func(now time.Time) (grids, states []string) {
		for _, c := range demoCases(gs, now) {
			grids = append(grids, c.grid.code)
			states = append(states, c.last().to)
		}
		return grids, states
	}, nil
}
