package postgres

import (
	"context"
	"fmt"
	"strconv"

	"github.com/jackc/pgx/v5"

	"riskmap"
)

// BeginAudited runs fn in a transaction that names the context's user and
// provenance for the audit log (transaction-local settings, so pooled
// connections never carry one request's actor into another; audit_log's
// via, import_job_id and proposal_id default to them, migration 570).
func BeginAudited(ctx context.Context, db interface {
	Begin(context.Context) (pgx.Tx, error)
}, fn func(pgx.Tx) error) error {
	return pgx.BeginFunc(ctx, db, func(tx pgx.Tx) error {
		if err := NameActor(ctx, tx); err != nil {
			return err
		}
		return fn(tx)
	})
}

// NameActor names the context's user and provenance in tx, as
// BeginAudited does, for a transaction begun elsewhere.
func NameActor(ctx context.Context, tx pgx.Tx) error {
	u := riskmap.UserFromContext(ctx)
	p := riskmap.ProvenanceFromContext(ctx)
	if u == nil && p.Via == "" {
		return nil
	}
	var id, name string
	if u != nil {
		id, name = strconv.FormatInt(u.ID, 10), u.Username+" ("+u.Role+")"
	}
	opt := func(n int64) string {
		if n == 0 {
			return ""
		}
		return strconv.FormatInt(n, 10)
	}
	if _, err := tx.Exec(ctx, `SELECT set_config('riskmap.actor_id', $1, true), set_config('riskmap.actor', $2, true),
		set_config('riskmap.via', $3, true), set_config('riskmap.import_job_id', $4, true), set_config('riskmap.proposal_id', $5, true)`,
		id, name, p.Via, opt(p.ImportJobID), opt(p.ProposalID)); err != nil {
		return fmt.Errorf("name actor: %w", err)
	}
	return nil
}
