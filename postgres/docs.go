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
