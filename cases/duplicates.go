package cases

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// duplicates lists the open cases of the same category within the
// configured radius of (lon, lat), nearest first: possible duplicates of a
// new report, for the office to merge. The bounding-box test (in degrees,
// widened for the latitude) lets the spatial index do the work; the
// geodesic distance decides.
func (s *Store) duplicates(ctx context.Context, tx pgx.Tx, self, category string, lon, lat float64) ([]string, error) {
	rows, err := tx.Query(ctx, `
		WITH p AS (SELECT ST_SetSRID(ST_MakePoint($3, $4), 4326) AS g)
		SELECT c.id::text FROM cases c, p
		 WHERE riskmap_case_open(c.state) AND c.category = $2 AND c.id <> $1
		   AND c.geom && ST_Expand(p.g, $5 / (111320 * greatest(cos(radians($4)), 0.01)))
		   AND ST_DWithin(c.geom::geography, p.g::geography, $5)
		 ORDER BY ST_Distance(c.geom::geography, p.g::geography), c.seq
		 LIMIT 20`, self, category, lon, lat, s.cfg.DuplicateRadiusM)
	if err != nil {
		return nil, fmt.Errorf("look for duplicates: %w", err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("look for duplicates: %w", err)
	}
	if ids == nil {
		ids = []string{}
	}
	return ids, nil
}
