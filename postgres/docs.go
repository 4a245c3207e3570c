package postgres

import (
	"context"
	"encoding/json"

	"github.com/jackc/pgx/v5"
)

// Querier runs a query: a pool, a connection or a transaction.
type Querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}

// QueryDocs returns the documents a query selects, one text column of JSON
// the database built, in the order it gives them.
func QueryDocs(ctx context.Context, q Querier, sql string, args ...any) ([]json.RawMessage, error) {
	rows, err := q.Query(ctx, sql, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []json.RawMessage{}
	for rows.Next() {
		var doc string
		if err := rows.Scan(&doc); err != nil {
			return nil, err
		}
		out = append(out, json.RawMessage(doc))
	}
	return out, rows.Err()
}

// QueryPage returns a page of documents: sql selects (seq, doc) in page
// order with LIMIT limit + 1, so that the extra row tells whether more
// follow. next is the seq of the page's last document when they do, else 0.
func QueryPage(ctx context.Context, q Querier, limit int, sql string, args ...any) (docs []json.RawMessage, next int64, err error) {
	rows, err := q.Query(ctx, sql, args...)
	if err != nil {
		return nil, 0, err
	}
	defer rows.Close()
	var last int64
	for rows.Next() {
		var seq int64
		var doc string
		if err := rows.Scan(&seq, &doc); err != nil {
			return nil, 0, err
		}
		if len(docs) == limit {
			next = last
			break
		}
		docs = append(docs, json.RawMessage(doc))
		last = seq
	}
	return docs, next, rows.Err()
}

// Beginner begins transactions: a pool, or Reads (a fresh standby or the
// primary).
type Beginner interface {
	BeginTx(ctx context.Context, opts pgx.TxOptions) (pgx.Tx, error)
}

// Statistics runs a statistics query in a read-only transaction and hands
// each row to each, without JIT (the queries are short: compiling cost
// more than it saved, tens to hundreds of milliseconds on a busy machine)
// and planned for the values at hand each time (a generic plan of the
// cases' counted query, guessing one pending case, probed the spans once
// per case and took four times as long).
func Statistics(ctx context.Context, db Beginner, sql string, args []any, each func(pgx.Rows) error) error {
	return pgx.BeginTxFunc(ctx, db, pgx.TxOptions{AccessMode: pgx.ReadOnly}, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, "SET LOCAL jit = off; SET LOCAL plan_cache_mode = force_custom_plan"); err != nil {
			return err
		}
		rows, err := tx.Query(ctx, sql, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			if err := each(rows); err != nil {
				return err
			}
		}
		return rows.Err()
	})
}
