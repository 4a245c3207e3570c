// Package demo loads the demo city: Shanwei (汕尾市 441500) with its real
// county, township and village names and codes (see data/README.md) on
// generated boundaries, about 1,500 grids, 20,000 risk points, 600 hazard
// sources, township stations and depots, and one account per role.
//
// Everything is derived from fixed inputs and hashes of stable keys, never
// from random(), so every load produces the same city, byte for byte (on
// the same PostGIS and GEOS: another GEOS may clip a last digit apart):
//
//   - the city is a hand-drawn outline (outline.go), the counties are unions
//     of Voronoi cells around a few hand-placed seeds, clipped to it;
//   - townships are Voronoi cells of seeds drawn with ST_GeneratePoints
//     inside their county (streets and the seat town near the county seat)
//     and spread by a few rounds of Lloyd relaxation; villages are Voronoi
//     cells inside their township, grids 1–3 Voronoi cells inside their
//     village. Each level is clipped to its parent, so siblings tile it;
//   - grid codes are the village code and a 3-digit sequence in reading
//     order: north first by 0.01° bands of centroid latitude, then west
//     first within a band;
//   - attributes (names, phones, counts, levels, categories) come from
//     hashtext of a key such as 'rp-level-17'.
//
// Polygons are published segmentized to 0.004° (about 400 m) edges so that
// the geodesic areas of children and parent agree: a long straight edge in
// lon/lat is not the same line on the ellipsoid once it is split.
//
// The generation runs as SQL scripts (sql/*.sql) in the load's one
// transaction, reading the inputs that stage.go puts in temp tables.
package demo
