package features

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"unicode/utf8"

	"riskmap"
)

// Hit is one search result: what was found, named as people name it, and
// where on the map it is.
type Hit struct {
	Layer  string      `json:"layer"`
	ID     any         `json:"id"` // the feature's id (a case's UUID)
	Name   string      `json:"name"`
	Detail string      `json:"detail"` // where it lies (township · grid), or what it is
	Match  string      `json:"match"`  // the field that matched: name, address, code, credit_code, worker, number, description
	Center [2]float64  `json:"center"`
	BBox   *[4]float64 `json:"bbox,omitempty"` // areas and grids: fit the map to this
	// Rank orders hits of all kinds: 0 the whole name (or number), 1 its
	// start, 2 part of it, 3 and up another field.
	Rank int `json:"-"`
}

// SortHits orders hits best first (layers in the order given among equals)
// and keeps the first limit.
func SortHits(hits []Hit, limit int) []Hit {
	sort.SliceStable(hits, func(i, j int) bool { return hits[i].Rank < hits[j].Rank })
	if len(hits) > limit {
		hits = hits[:limit]
	}
	return hits
}

// A searchable layer: the columns a query is matched against, in order of
// how good a match on them is, and how its hits are described. Columns and
// expressions are fixed here; only the query text is a parameter.
type searchSpec struct {
	layer string
	// match lists column → how it matches: "contains" (ILIKE %q%),
	// "prefix" (LIKE q%, for codes), "upper-prefix" (credit codes).
	match  []searchColumn
	detail string // SQL over alias t naming where the feature lies
	point  bool   // a point layer (center from the geometry itself)
}

type searchColumn struct{ name, how string }

// placeOf names the township and the grid of a point feature (alias t).
const placeOf = `concat_ws(' · ', (SELECT a.name FROM areas a WHERE a.code = t.township_code), (SELECT g.name FROM grids g WHERE g.code = t.grid_code))`

// searchSpecs is the order results of equal rank are listed in.
var searchSpecs = []searchSpec{
	{layer: "risk_points", point: true, detail: placeOf,
		match: []searchColumn{{"name", "contains"}, {"address", "contains"}}},
	{layer: "hazard_sources", point: true, detail: placeOf,
		match: []searchColumn{{"name", "contains"}, {"credit_code", "upper-prefix"}, {"address", "contains"}}},
	{layer: "stations", point: true, detail: placeOf,
		match: []searchColumn{{"name", "contains"}, {"address", "contains"}}},
	{layer: "depots", point: true, detail: placeOf,
		match: []searchColumn{{"name", "contains"}, {"address", "contains"}}},
	{layer: "grids",
		detail: `concat_ws(' · ', (SELECT a.name FROM areas a WHERE a.code = t.township_code), (SELECT a.name FROM areas a WHERE a.code = t.village_code), t.code)`,
		match:  []searchColumn{{"name", "contains"}, {"code", "prefix"}, {"worker", "contains"}}},
	{layer: "areas",
		detail: `concat_ws(' · ', (SELECT p.name FROM areas p WHERE p.code = t.parent_code), t.code)`,
		match:  []searchColumn{{"name", "contains"}, {"code", "prefix"}}},
}

// SearchLayers are the layers Search looks in.
func SearchLayers() []string {
	out := make([]string, len(searchSpecs))
	for i, s := range searchSpecs {
		out[i] = s.layer
	}
	return out
}

// SearchText checks a search query: trimmed, 1 to 100 characters.
func SearchText(q string) (string, error) {
	q = strings.TrimSpace(q)
	switch n := utf8.RuneCountInString(q); {
	case n < 1:
		return "", riskmap.Errorf(riskmap.EINVALID, "q: say what to search for").
			WithDetails(riskmap.Detail{Field: "q", Message: "required"})
	case n > 100:
		return "", riskmap.Errorf(riskmap.EINVALID, "q: at most 100 characters, got %d", n).
			WithDetails(riskmap.Detail{Field: "q", Message: "too long"})
	}
	return q, nil
}

// LikeEscape makes q literal inside a LIKE pattern.
func LikeEscape(q string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(q)
}

// Search finds up to limit features in scope whose name (or address, code,
// credit code, grid worker) contains q, best matches first: the whole name,
// then names starting with q, then names containing it, then the other
// fields; shorter names first among equals. layers narrows the search
// (nil: all of SearchLayers).
func (s *Store) Search(ctx context.Context, scope riskmap.Scope, q string, layers []string, limit int) ([]Hit, error) {
	q, err := SearchText(q)
	if err != nil {
		return nil, err
	}
	var hits []Hit
	for _, sp := range searchSpecs {
		if layers != nil && !contains(layers, sp.layer) {
			continue
		}
		h, err := s.searchLayer(ctx, sp, scope, q, limit)
		if err != nil {
			return nil, err
		}
		hits = append(hits, h...)
	}
	return SortHits(hits, limit), nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// searchLayer ranks inside SQL: 0 the whole name, 1 a name starting with q,
// 2 a name containing q, 3 + i a match on the i-th other column; then by
// the name's length.
func (s *Store) searchLayer(ctx context.Context, sp searchSpec, scope riskmap.Scope, q string, limit int) ([]Hit, error) {
	l := s.Layers[sp.layer]
	// $1 the query, $2 its LIKE pattern anywhere, $3 at the start, $4 the limit
	args := []any{q, "%" + LikeEscape(q) + "%", LikeEscape(q) + "%", limit}
	var conds, ranks []string
	for i, c := range sp.match {
		var cond string
		switch c.how {
		case "contains":
			cond = fmt.Sprintf("t.%s ILIKE $2", c.name)
		case "prefix":
			cond = fmt.Sprintf("t.%s LIKE $3", c.name)
		case "upper-prefix":
			args = append(args, strings.ToUpper(LikeEscape(q))+"%")
			cond = fmt.Sprintf("t.%s LIKE $%d", c.name, len(args))
		}
		conds = append(conds, cond)
		if i == 0 {
			ranks = append(ranks, fmt.Sprintf("WHEN t.%s = $1 THEN 0 WHEN t.%s ILIKE $3 THEN 1 WHEN %s THEN 2", c.name, c.name, cond))
		} else {
			ranks = append(ranks, fmt.Sprintf("WHEN %s THEN %d", cond, 2+i))
		}
	}
	matched := "CASE"
	for i, c := range sp.match {
		matched += fmt.Sprintf(" WHEN %s THEN '%s'", conds[i], c.name)
	}
	matched += " END"
	scopeSQL, scopeArgs := l.ScopeSQL(scope, len(args)+1)
	args = append(args, scopeArgs...)
	center := "ST_X(t.geom), ST_Y(t.geom), NULL::float8[]"
	if !sp.point {
		center = `ST_X(ST_PointOnSurface(t.geom)), ST_Y(ST_PointOnSurface(t.geom)),
			ARRAY[ST_XMin(t.geom), ST_YMin(t.geom), ST_XMax(t.geom), ST_YMax(t.geom)]`
	}
	sql := fmt.Sprintf(`SELECT t.id, t.name, %s, %s, CASE %s END AS rank, %s
		  FROM %s t
		 WHERE (%s) AND %s
		 ORDER BY rank, length(t.name), t.name, t.id
		 LIMIT $4`, sp.detail, matched, strings.Join(ranks, " "), center, l.Name, strings.Join(conds, " OR "), scopeSQL)
	rows, err := s.reads.Query(ctx, sql, args...)
	if err != nil {
		return nil, fmt.Errorf("search %s: %w", sp.layer, err)
	}
	defer rows.Close()
	var out []Hit
	for rows.Next() {
		h := Hit{Layer: sp.layer}
		var id int64
		var bbox []float64
		if err := rows.Scan(&id, &h.Name, &h.Detail, &h.Match, &h.Rank, &h.Center[0], &h.Center[1], &bbox); err != nil {
			return nil, fmt.Errorf("search %s: %w", sp.layer, err)
		}
		h.ID = id
		if len(bbox) == 4 {
			h.BBox = &[4]float64{bbox[0], bbox[1], bbox[2], bbox[3]}
		}
		out = append(out, h)
	}
	return out, rows.Err()
}
