-- Area polygons, each level the Voronoi cells of its seeds clipped to the
-- level above, so that siblings tile their parent. Edges stay long here
-- (fewer vertices, faster clipping); they are segmentized on publishing.

CREATE TEMP TABLE demo_city_poly ON COMMIT DROP AS
SELECT code, ST_Multi(outline) AS geom FROM demo_city;

-- Counties: the cells of each county's hand-placed seeds, united.
CREATE TEMP TABLE demo_county_poly ON COMMIT DROP AS
WITH cells AS (
  SELECT (ST_Dump(ST_VoronoiPolygons(ST_Collect(geom ORDER BY county_code, k), 0,
                                     (SELECT ST_Expand(geom, 0.5) FROM demo_city_poly)))).geom AS cell
    FROM demo_county_seed)
SELECT s.county_code AS code,
       ST_Multi(ST_CollectionExtract(
         ST_Intersection(ST_Union(c.cell ORDER BY s.k), (SELECT geom FROM demo_city_poly)), 3)) AS geom
  FROM demo_county_seed s JOIN cells c ON ST_Intersects(c.cell, s.geom)
 GROUP BY s.county_code;

-- Townships: streets and the seat town are seeded within the seat's radius,
-- the towns in the rest of the county; each group is relaxed within its zone.
CREATE TEMP TABLE demo_twp_seed ON COMMIT DROP AS
WITH grp AS (
  SELECT county_code, central, array_agg(code ORDER BY code) AS codes
    FROM demo_township GROUP BY county_code, central),
zone AS (
  SELECT g.*, ST_CollectionExtract(CASE WHEN g.central THEN ST_Intersection(p.geom, ST_Buffer(c.seat, c.radius))
                                        ELSE ST_Difference(p.geom, ST_Buffer(c.seat, c.radius)) END, 3) AS zone
    FROM grp g JOIN demo_county c ON c.code = g.county_code JOIN demo_county_poly p ON p.code = g.county_code)
SELECT z.codes[d.path[1]] AS code, z.county_code AS parent, d.geom AS seed, z.zone
  FROM zone z,
       ST_Dump(ST_GeneratePoints(z.zone, cardinality(z.codes), pg_temp.demo_seed('twp-' || z.county_code || '-' || z.central))) d;
SELECT pg_temp.demo_relax('demo_twp_seed', 3);
CREATE TEMP TABLE demo_township_poly ON COMMIT DROP AS
SELECT * FROM pg_temp.demo_cells('demo_twp_seed', 'demo_county_poly');

-- Villages: seeded anywhere in the township, relaxed within it.
CREATE TEMP TABLE demo_vil_seed ON COMMIT DROP AS
WITH grp AS (
  SELECT township_code, array_agg(code ORDER BY code) AS codes FROM demo_village GROUP BY township_code)
SELECT g.codes[d.path[1]] AS code, g.township_code AS parent, d.geom AS seed, t.geom AS zone
  FROM grp g JOIN demo_township_poly t ON t.code = g.township_code,
       ST_Dump(ST_GeneratePoints(t.geom, cardinality(g.codes), pg_temp.demo_seed('vil-' || g.township_code))) d;
SELECT pg_temp.demo_relax('demo_vil_seed', 2);
CREATE TEMP TABLE demo_village_poly ON COMMIT DROP AS
SELECT * FROM pg_temp.demo_cells('demo_vil_seed', 'demo_township_poly');
