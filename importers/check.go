package importers

import (
	"context"
	"fmt"

	"riskmap/features"
	"riskmap/postgres"
)

// check runs the checks that need PostGIS over the staged rows, marking
// each failing row with its field and reason. Statements only ever mark
// rows that have no problem yet, so each row keeps its first reason.
func (im *Importer) check(ctx context.Context, stage string, l *features.Layer, v *validator) error {
	// rn: the batches read the staged rows by range; key: a refused grid
	// or area write is traced back to its row by key (blame), which point
	// layers never need (their duplicate check is one hash join)
	idx := "CREATE INDEX ON " + stage + " (rn); "
	if l.Geometry != "Point" {
		idx += "CREATE INDEX ON " + stage + " (key); "
	}
	if _, err := im.pool.Exec(ctx, idx+"ANALYZE "+stage); err != nil {
		return fmt.Errorf("index staging: %w", err)
	}
	var stmts []string
	polygons := l.Geometry == "MultiPolygon"
	switch {
	case v.crs.Projected():
		geom := fmt.Sprintf("ST_Transform(ST_SetSRID(ST_GeomFromWKB(wkb), %d), 4326)", v.crs.SRID)
		if polygons {
			geom = "ST_Multi(" + geom + ")"
		}
		stmts = append(stmts, "UPDATE "+stage+" SET geom = "+geom)
		if v.bounds != nil {
			b := v.bounds
			env := fmt.Sprintf("ST_MakeEnvelope(%v, %v, %v, %v, 4326)", b.MinLon, b.MinLat, b.MaxLon, b.MaxLat)
			// in a projected file, a swapped pair is easting and northing
			// exchanged (surveyors write x for northing)
			stmts = append(stmts, fmt.Sprintf(`UPDATE %[1]s SET problem_field = 'geometry', problem = CASE
				WHEN ST_CoveredBy(ST_Transform(ST_SetSRID(ST_FlipCoordinates(ST_GeomFromWKB(wkb)), %[3]d), 4326), %[2]s)
				THEN format('(%%s, %%s) in EPSG:%[3]d lies outside the city; easting and northing look swapped',
				            ST_XMin(ST_GeomFromWKB(wkb)), ST_YMin(ST_GeomFromWKB(wkb)))
				ELSE format('lies outside the city: transformed from EPSG:%[3]d it falls at (%%s, %%s)',
				            round(ST_X(ST_Centroid(geom))::numeric, 6), round(ST_Y(ST_Centroid(geom))::numeric, 6)) END
				WHERE problem IS NULL AND NOT ST_CoveredBy(geom, %[2]s)`, stage, env, v.crs.SRID))
		}
		if l.Placed {
			// placed here, once transformed (other files are placed in Go)
			stmts = append(stmts, "UPDATE "+stage+" SET grid = riskmap_grid_at(geom) WHERE problem IS NULL",
				"UPDATE "+stage+` SET problem_field = 'geometry',
				problem = format('point (%s, %s) lies in no grid', round(ST_X(geom)::numeric, 7), round(ST_Y(geom)::numeric, 7))
				WHERE problem IS NULL AND grid IS NULL`)
		}
	case polygons:
		stmts = append(stmts, "UPDATE "+stage+" SET geom = ST_Multi(ST_SetSRID(ST_GeomFromWKB(wkb), 4326))")
	}
	if polygons {
		stmts = append(stmts, "UPDATE "+stage+` SET problem_field = 'geometry', problem = 'geometry is not valid: ' || ST_IsValidReason(geom)
			WHERE problem IS NULL AND NOT ST_IsValid(geom)`)
	}
	// the same key twice in the file: every occurrence is rejected, since
	// which one is right cannot be told
	stmts = append(stmts, fmt.Sprintf(`UPDATE %[1]s s SET problem_field = %[2]s,
		problem = format('%%s %%s appears %%s times in the file (rows %%s)', %[2]s, d.key, d.n, d.rows)
		FROM (SELECT key, count(*) AS n, string_agg(rn::text, ', ' ORDER BY rn) AS rows FROM %[1]s GROUP BY key HAVING count(*) > 1) d
		WHERE s.key = d.key AND s.problem IS NULL`, stage, quoteLiteral(v.keyField)))
	switch l.Name {
	case "hazard_sources":
		stmts = append(stmts,
			"UPDATE "+stage+` SET problem_field = 'credit_code', problem = format('unified social credit code %s fails its check (GB 32100: 18 characters, the last a check character)', credit_code)
				WHERE problem IS NULL AND credit_code IS NOT NULL AND NOT riskmap_uscc_valid(credit_code)`,
			"UPDATE "+stage+` s SET problem_field = 'credit_code', problem = 'required: hazard_sources refuses a row without a valid unified social credit code'
				WHERE problem IS NULL AND credit_code IS NULL
				  AND NOT EXISTS (SELECT 1 FROM hazard_sources h WHERE h.external_id = s.key AND h.credit_code IS NOT NULL)`,
			"UPDATE "+stage+` s SET problem_field = 'credit_code', problem = format('credit code %s appears %s times in the file', s.credit_code, d.n)
				FROM (SELECT credit_code, count(*) AS n FROM `+stage+` WHERE credit_code IS NOT NULL GROUP BY 1 HAVING count(*) > 1) d
				WHERE s.credit_code = d.credit_code AND s.problem IS NULL`,
			"UPDATE "+stage+` s SET problem_field = 'credit_code', problem = format('credit code %s already belongs to hazard source %s (external id %s)', s.credit_code, h.id, coalesce(h.external_id, 'none'))
				FROM hazard_sources h WHERE h.credit_code = s.credit_code AND h.external_id IS DISTINCT FROM s.key AND s.problem IS NULL`)
	case "grids":
		stmts = append(stmts,
			"UPDATE "+stage+` SET problem_field = 'code', problem = format('grid code %s ends in 000, which no grid may', code)
				WHERE problem IS NULL AND right(code, 3) = '000'`,
			"UPDATE "+stage+` s SET problem_field = 'code', problem = format('village %s of grid code %s does not exist: import the areas first', left(s.code, 12), s.code)
				WHERE problem IS NULL AND NOT EXISTS (SELECT 1 FROM areas a WHERE a.code = left(s.code, 12))`)
	case "areas":
		stmts = append(stmts,
			"UPDATE "+stage+` s SET problem_field = 'parent_code', problem = format('parent area %s does not exist in riskmap or in the file', s.parent_code)
				WHERE problem IS NULL AND s.parent_code IS NOT NULL
				  AND NOT EXISTS (SELECT 1 FROM areas a WHERE a.code = s.parent_code)
				  AND NOT EXISTS (SELECT 1 FROM `+stage+` p WHERE p.code = s.parent_code)`)
	}
	for _, q := range stmts {
		if _, err := im.pool.Exec(ctx, q); err != nil {
			return fmt.Errorf("check staged rows: %w", postgres.Translate(err))
		}
	}
	return nil
}

func quoteLiteral(s string) string { return "'" + s + "'" }
