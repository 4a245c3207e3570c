package tiles

import (
	"fmt"
	"strings"

	"riskmap"
)

// The tile SQL. Every query takes $1 z, $2 x, $3 y, then the scope filter's
// arguments; identifiers and attribute expressions come only from Layers.
// The tile envelope is a scalar subquery, so PostgreSQL computes it once per
// query, not once per row, whatever plan it caches.

// variant is the kind of query a layer needs at a zoom.
type variant int

const (
	none       variant = iota // below the layer's MinZoom: no features
	raw                       // every feature, full detail
	simplified                // polygons simplified by half a pixel
	clustered                 // point clusters from tile_clusters
	shaped                    // polygons precomputed per zoom band (Layer.Shapes)
)

func (l *Layer) variantAt(z int) variant {
	switch {
	case z < l.MinZoom:
		return none
	case l.Cluster != nil && z <= l.Cluster.MaxZoom:
		return clustered
	case l.Shapes != "":
		return shaped
	case l.Simplify && z < SimplifyBelow:
		return simplified
	}
	return raw
}

const (
	envelope = "(SELECT ST_TileEnvelope($1::integer, $2::integer, $3::integer))"
	// the envelope grown by the buffer: what a feature must meet to show
	reachSQL = "(SELECT ST_TileEnvelope($1::integer, $2::integer, $3::integer, margin => 0.0625))"
	// half a pixel of a 256 px tile at zoom $1, in metres
	halfPixel = "(SELECT 78271.51696402048 / 2 ^ $1::integer)"
)

// daily reports whether l's query at variant v reads today's date: its
// attributes do (clusters carry none).
func (l *Layer) daily(v variant) bool { return l.Daily && v != none && v != clustered }

// layerSQL is the query returning l's MVT layer (possibly empty bytes) as
// bytea, with scope as its WHERE condition and today the parameter that
// stands for Today in the attributes.
func layerSQL(l *Layer, v variant, scope, today string) string {
	var b strings.Builder
	switch v {
	case none:
		return "SELECT ''::bytea"
	case clustered:
		// one feature per cell, from the cells of the tile and the ring
		// around it (drawn in the buffer, which the ring fills exactly);
		// cy = ANY (array) lets the primary key be searched row by row of
		// cells instead of scanning a strip. The centroid is put in tile
		// coordinates by arithmetic: it lies in its cell, so inside the
		// buffer, and ST_AsMVTGeom would only repeat the sums.
		fmt.Fprintf(&b, `SELECT coalesce(ST_AsMVT(q, '%[1]s', %[3]d, 'geom'), ''::bytea) FROM (
  SELECT sum(t.n)::integer AS point_count,
         CASE WHEN sum(t.n1) > 0 THEN 1 WHEN sum(t.n2) > 0 THEN 2 WHEN sum(t.n3) > 0 THEN 3 WHEN sum(t.n4) > 0 THEN 4 END AS %[2]s,
         ST_Point(round(((sum(t.sx) / sum(t.n) + %[6]v) * (2 ^ $1::integer) / %[7]v - $2::integer) * %[3]d),
                  round(((%[6]v - sum(t.sy) / sum(t.n)) * (2 ^ $1::integer) / %[7]v - $3::integer) * %[3]d)) AS geom
    FROM tile_clusters t
   WHERE t.layer = '%[4]s' AND t.z = $1
     AND t.cy = ANY (ARRAY(SELECT generate_series($3 * %[5]d - 1, $3 * %[5]d + %[5]d)))
     AND t.cx BETWEEN $2 * %[5]d - 1 AND $2 * %[5]d + %[5]d
     AND %[8]s
   GROUP BY t.cy, t.cx
  HAVING sum(t.n) > 0
) q`, l.Name, l.Cluster.Level, extent, l.Table, cellsPerTile, worldHalf, 2*worldHalf, scope)
		return b.String()
	}
	geom, from := "t.geom_3857", l.Table+" t"
	if l.Join != "" {
		from += " " + l.Join
	}
	switch v {
	case simplified:
		// without preserving collapsed rings: what is under a pixel goes
		geom = "ST_Simplify(t.geom_3857, " + halfPixel + ")"
	case shaped:
		// the pieces of the zoom's band that meet the tile, put together
		// per feature (ST_AsMVTGeom makes one valid polygon of them); the
		// table's own large geometry is not read at all
		geom = "s.g"
		from = fmt.Sprintf(`(SELECT p.%[2]s AS id, ST_Collect(p.geom) AS g FROM %[1]s p
           WHERE p.geom && %[3]s AND p.band = riskmap_tile_band($1::integer)
           GROUP BY p.%[2]s) s
    JOIN %[4]s t ON t.id = s.id`, l.Shapes, l.ShapesKey, reachSQL, l.Table)
	}
	cols := make([]string, 0, len(l.Attrs)+2)
	id := ""
	if l.FeatureID {
		cols = append(cols, "t.id")
		id = ", 'id'"
	}
	for _, a := range l.Attrs {
		cols = append(cols, strings.ReplaceAll(a.SQL, Today, today)+" AS "+a.Name)
	}
	cols = append(cols, fmt.Sprintf("ST_AsMVTGeom(%s, %s, %d, %d, true) AS geom", geom, envelope, extent, buffer))
	where := "t.geom_3857 && " + reachSQL
	if v == shaped {
		where = "true" // the shapes were chosen by the tile already
	}
	if l.Where != "" {
		where += " AND " + l.Where
	}
	fmt.Fprintf(&b, `SELECT coalesce(ST_AsMVT(q, '%s', %d, 'geom'%s), ''::bytea) FROM (
  SELECT %s
    FROM %s
   WHERE %s
     AND %s
) q`, l.Name, extent, id, strings.Join(cols, ",\n         "), from, where, scope)
	return b.String()
}

// statement is the SQL text of one tile query; it depends only on the
// layers, the zoom and whether the scope is everything (a scope's codes are
// arguments), so it is built once per such key.
type statementKey struct {
	layer string
	z     int
	all   bool
}

// buildSQL returns the query for layers at zoom z and its arguments for t
// and scope: one MVT layer per layer, concatenated (MVT layers are
// independent messages of the tile, so bytes of single-layer tiles join into
// one tile). A daily layer's arguments start with today (a date, YYYY-MM-DD
// in UTC+8).
func buildSQL(layers []*Layer, z int, scope riskmap.Scope, today string) (string, []any) {
	args := []any{}
	parts := make([]string, 0, len(layers))
	for _, l := range layers {
		v := l.variantAt(z)
		if v == none {
			continue
		}
		param := ""
		if l.daily(v) {
			args = append(args, today)
			param = fmt.Sprintf("$%d::date", 3+len(args))
		}
		cond, a := l.scopeSQL(scope, 4+len(args))
		args = append(args, a...)
		parts = append(parts, layerSQL(l, v, cond, param))
	}
	switch len(parts) {
	case 0:
		return "", nil
	case 1:
		return parts[0], args
	}
	return "SELECT (" + strings.Join(parts, ")\n || (") + ")", args
}
