package cases

import (
	"context"
	"fmt"
	"strings"

	"riskmap"
	"riskmap/features"
)

// Search finds up to limit cases u may see by their number (2026-新港-0042,
// or any part of it: "0042", "新港-0042"), their id, or words of their
// description; numbers first, then the newest.
func (s *Store) Search(ctx context.Context, u *riskmap.User, q string, limit int) ([]features.Hit, error) {
	q, err := features.SearchText(q)
	if err != nil {
		return nil, err
	}
	vis, args := visibleSQL(u, 4)
	like := "%" + features.LikeEscape(q) + "%"
	rows, err := s.reads.Query(ctx, `
		SELECT c.id::text, c.number,
		       concat_ws(' · ', left(c.description, 40), (SELECT a.name FROM areas a WHERE a.code = c.township_code),
		                 (SELECT g.name FROM grids g WHERE g.code = c.grid_code)),
		       CASE WHEN c.number ILIKE $2 OR c.id::text = lower($1) THEN 'number' ELSE 'description' END,
		       CASE WHEN c.number = $1 OR c.id::text = lower($1) THEN 0 WHEN c.number ILIKE $2 THEN 1 ELSE 3 END AS rank,
		       ST_X(c.geom), ST_Y(c.geom)
		  FROM cases c
		 WHERE (c.number ILIKE $2 OR c.description ILIKE $2 OR c.id::text = lower($1)) AND `+vis+`
		 ORDER BY rank, c.reported_at DESC, c.seq DESC
		 LIMIT $3`, append([]any{q, like, limit}, args...)...)
	if err != nil {
		return nil, fmt.Errorf("search cases: %w", err)
	}
	defer rows.Close()
	var out []features.Hit
	for rows.Next() {
		h := features.Hit{Layer: "cases"}
		var id string
		if err := rows.Scan(&id, &h.Name, &h.Detail, &h.Match, &h.Rank, &h.Center[0], &h.Center[1]); err != nil {
			return nil, fmt.Errorf("search cases: %w", err)
		}
		h.ID = strings.ToLower(id)
		out = append(out, h)
	}
	return out, rows.Err()
}
