package demo

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// createAccounts inserts the demo users with their scopes: areas for the
// area roles, every grid of one village for each worker (the grids already
// carry the worker's name, see workerStep).
func createAccounts(ctx context.Context, tx pgx.Tx, accs []account, hashes []string) error {
	for i, a := range accs {
		var id int64
		err := tx.QueryRow(ctx, `INSERT INTO users (username, display_name, role, phone, password_hash)
			VALUES ($1, $2, $3, nullif($4, ''), $5) RETURNING id`,
			a.Username, a.DisplayName, a.Role, a.Phone, hashes[i]).Scan(&id)
		if err != nil {
			return fmt.Errorf("demo: create user %s: %w", a.Username, err)
		}
		if len(a.Areas) > 0 {
			if _, err := tx.Exec(ctx, `INSERT INTO user_areas (user_id, area_code)
				SELECT $1, code FROM unnest($2::text[]) AS code`, id, a.Areas); err != nil {
				return fmt.Errorf("demo: scope user %s: %w", a.Username, err)
			}
		}
		if a.GridVillage != "" {
			tag, err := tx.Exec(ctx, `INSERT INTO user_grids (user_id, grid_code)
				SELECT $1, code FROM grids WHERE village_code = $2`, id, a.GridVillage)
			if err != nil {
				return fmt.Errorf("demo: give grids to user %s: %w", a.Username, err)
			}
			if tag.RowsAffected() == 0 {
				return fmt.Errorf("demo: user %s: village %s has no grids", a.Username, a.GridVillage)
			}
		}
	}
	return nil
}
