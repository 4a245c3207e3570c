// Package audit reads the audit log that database triggers write for every
// change to layers and accounts.
package audit

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
)

// Entry is one logged write.
type Entry struct {
	ID      int64           `json:"id"`
	At      time.Time       `json:"at"`
	ActorID *int64          `json:"actor_id"`
	Actor   string          `json:"actor"`
	Table   string          `json:"table"`
	RowID   string          `json:"row_id"`
	Action  string          `json:"action"`
	Before  json.RawMessage `json:"before"`
	After   json.RawMessage `json:"after"`
}

// Filter selects entries; zero values match everything. Entries come newest
// first; Before pages back (ids below it).
type Filter struct {
	Table   string
	RowID   string
	ActorID int64
	Before  int64
	Limit   int
}

// Log reads the audit log.
type Log struct{ pool *pgxpool.Pool }

// NewLog returns a reader over pool.
func NewLog(pool *pgxpool.Pool) *Log { return &Log{pool: pool} }

// List returns entries matching f.
func (l *Log) List(ctx context.Context, f Filter) ([]Entry, error) {
	rows, err := l.pool.Query(ctx, `
		SELECT id, at, actor_id, actor, tbl, row_id, action, coalesce(before, 'null'::jsonb), coalesce(after, 'null'::jsonb)
		  FROM audit_log
		 WHERE ($1 = '' OR tbl = $1) AND ($2 = '' OR row_id = $2) AND ($3 = 0 OR actor_id = $3) AND ($4 = 0 OR id < $4)
		 ORDER BY id DESC LIMIT $5`, f.Table, f.RowID, f.ActorID, f.Before, f.Limit)
	if err != nil {
		return nil, fmt.Errorf("audit log: %w", err)
	}
	defer rows.Close()
	out := []Entry{}
	for rows.Next() {
		var e Entry
		var b, a []byte
		if err := rows.Scan(&e.ID, &e.At, &e.ActorID, &e.Actor, &e.Table, &e.RowID, &e.Action, &b, &a); err != nil {
			return nil, fmt.Errorf("audit log: %w", err)
		}
		e.Before, e.After = b, a
		out = append(out, e)
	}
	return out, rows.Err()
}

// KnownTable reports whether the audit log covers table t.
func KnownTable(t string) bool {
	switch t {
	case "areas", "grids", "risk_points", "hazard_sources", "stations", "depots", "depot_items",
		"users", "user_areas", "user_grids", "cases", "case_events", "attachments":
		return true
	}
	return false
}
