package cases

import (
	"context"
	"fmt"
)

// CountByState counts every case by state (and "overdue" for open cases
// past their deadline), for the metrics endpoint.
func (s *Store) CountByState(ctx context.Context) (map[string]float64, error) {
	rows, err := s.reads.Query(ctx, `
		SELECT state, count(*) FROM cases GROUP BY state
		UNION ALL
		SELECT 'overdue', count(*) FROM cases WHERE state NOT IN ('closed', 'void', 'duplicate') AND deadline < now()`)
	if err != nil {
		return nil, fmt.Errorf("count cases: %w", err)
	}
	defer rows.Close()
	out := map[string]float64{}
	for rows.Next() {
		var state string
		var n int64
		if err := rows.Scan(&state, &n); err != nil {
			return nil, fmt.Errorf("count cases: %w", err)
		}
		out[state] = float64(n)
	}
	return out, rows.Err()
}
