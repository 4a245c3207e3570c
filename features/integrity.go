package features

import (
	"context"
	"encoding/json"
	"fmt"

	"riskmap"
)

// IntegrityReport lists where the grids of townships fail to tile them:
// overlapping pairs and uncovered gaps (each larger than 1 m²).
type IntegrityReport struct {
	Townships int       `json:"townships_checked"`
	Overlaps  []Overlap `json:"overlaps"`
	Gaps      []Gap     `json:"gaps"`
}

// Overlap is two grids of one township sharing area.
type Overlap struct {
	Township string          `json:"township_code"`
	GridA    string          `json:"grid_a"`
	GridB    string          `json:"grid_b"`
	AreaM2   float64         `json:"area_m2"`
	Geometry json.RawMessage `json:"geometry"`
}

// Gap is part of a township no grid covers.
type Gap struct {
	Township string          `json:"township_code"`
	Name     string          `json:"township_name"`
	AreaM2   float64         `json:"area_m2"`
	Geometry json.RawMessage `json:"geometry"`
}

// Integrity checks the grids of every township in scope as the data stands.
// The write triggers stop new overlaps; this finds gaps, and anything
// loaded straight into the database around them.
func (s *Store) Integrity(ctx context.Context, scope riskmap.Scope, area string) (IntegrityReport, error) {
	rep := IntegrityReport{Overlaps: []Overlap{}, Gaps: []Gap{}}
	cond, scopeArgs := s.Layers["areas"].ScopeSQL(scope, 2)
	prefix := riskmap.AreaPrefix(area) + "%"
	rows, err := s.reads.Query(ctx, `
		WITH tw AS (SELECT t.code, t.name, t.geom FROM areas t WHERE t.level = 'township' AND t.code LIKE $1 AND `+cond+`),
		cover AS (SELECT tw.code, tw.name, tw.geom, ST_Union(g.geom) AS grids
		            FROM tw LEFT JOIN grids g ON g.township_code = tw.code GROUP BY tw.code, tw.name, tw.geom),
		gaps AS (SELECT code, name, (ST_Dump(CASE WHEN grids IS NULL THEN geom ELSE ST_Difference(geom, grids) END)).geom AS g FROM cover)
		SELECT code, name, ST_Area(g::geography), ST_AsGeoJSON(g, 7), (SELECT count(*) FROM tw)
		  FROM gaps WHERE ST_Dimension(g) = 2 AND ST_Area(g::geography) > 1 ORDER BY code`, append([]any{prefix}, scopeArgs...)...)
	if err != nil {
		return rep, fmt.Errorf("integrity gaps: %w", err)
	}
	for rows.Next() {
		var g Gap
		var geom string
		if err := rows.Scan(&g.Township, &g.Name, &g.AreaM2, &geom, &rep.Townships); err != nil {
			rows.Close()
			return rep, fmt.Errorf("integrity gaps: %w", err)
		}
		g.Geometry = json.RawMessage(geom)
		rep.Gaps = append(rep.Gaps, g)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return rep, fmt.Errorf("integrity gaps: %w", err)
	}
	if rep.Townships == 0 {
		if err := s.reads.QueryRow(ctx, `SELECT count(*) FROM areas t WHERE t.level = 'township' AND t.code LIKE $1 AND `+cond,
			append([]any{prefix}, scopeArgs...)...).Scan(&rep.Townships); err != nil {
			return rep, fmt.Errorf("integrity: %w", err)
		}
	}
	rows, err = s.reads.Query(ctx, `
		SELECT a.township_code, a.code, b.code, ST_Area(ST_Intersection(a.geom, b.geom)::geography), ST_AsGeoJSON(ST_Intersection(a.geom, b.geom), 7)
		  FROM grids a JOIN grids b ON a.township_code = b.township_code AND a.code < b.code AND a.geom && b.geom
		 WHERE a.code LIKE $1 AND ST_Relate(a.geom, b.geom, '2********')
		   AND a.township_code IN (SELECT t.code FROM areas t WHERE t.level = 'township' AND `+cond+`)
		   AND ST_Area(ST_Intersection(a.geom, b.geom)::geography) > 1
		 ORDER BY a.code, b.code`, append([]any{prefix}, scopeArgs...)...)
	if err != nil {
		return rep, fmt.Errorf("integrity overlaps: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var o Overlap
		var geom string
		if err := rows.Scan(&o.Township, &o.GridA, &o.GridB, &o.AreaM2, &geom); err != nil {
			return rep, fmt.Errorf("integrity overlaps: %w", err)
		}
		o.Geometry = json.RawMessage(geom)
		rep.Overlaps = append(rep.Overlaps, o)
	}
	return rep, rows.Err()
}
