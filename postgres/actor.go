package postgres

import (
	"context"
	"fmt"
	"strconv"

	"github.com/jackc/pgx/v5"

	"riskmap"
)

// BeginAudited runs fn in a transaction that names the context's user for
// the audit trigger (transaction-local settings, so pooled connections
// never carry one request's actor into another).
func BeginAudited(ctx context.Context, db interface {
	Begin(context.Context) (pgx.Tx, error)
}, fn func(pgx.Tx) error) error {
	return pgx.BeginFunc(ctx, db, func(tx pgx.Tx) error {
		if u := riskmap.UserFromContext(ctx); u != nil {
			if _, err := tx.Exec(ctx, "SELECT set_config('riskmap.actor_id', $1, true), set_config('riskmap.actor', $2, true)",
				strconv.FormatInt(u.ID, 10), u.Username+" ("+u.Role+")"); err != nil {
				return fmt.Errorf("name actor: %w", err)
			}
		}
		return fn(tx)
	})
}
