-- A plausible road network for a city that has grids but no roads (the demo
-- city, the benchmark): deterministic, from the grids alone.
--
-- Every grid's representative point (ST_PointOnSurface, the point coverage
-- measures the grid from) is a junction. The candidate streets are the
-- edges of the Delaunay triangulation of those points, so no two streets
-- cross without meeting. The network is their minimum spanning tree (every
-- grid reachable) plus a fixed share of the other short edges, picked by a
-- hash of their ends: loops where they are short, detours where a link is
-- missing. Classes follow the trips the roads carry: shortest paths between
-- county seats are motorway, between neighbouring township seats primary,
-- from each village centre to its township seat secondary, the rest
-- residential. A seat is the most populous grid of its township (county:
-- of its most populous township; village centre: of its village) — where
-- the demo puts the township's stations.
--
-- Runs in the caller's transaction; the setting riskmap.road_source is the
-- source_ref of the new roads.

CREATE TEMP TABLE gen_node ON COMMIT DROP AS
SELECT row_number() OVER (ORDER BY g.code) AS id, g.code, g.village_code, g.township_code, g.county_code, g.population,
       ST_PointOnSurface(g.geom) AS geom
  FROM grids g;
ALTER TABLE gen_node ADD COLUMN x double precision, ADD COLUMN y double precision;
UPDATE gen_node SET x = ST_X(geom), y = ST_Y(geom);
CREATE INDEX ON gen_node (x, y);

CREATE TEMP TABLE gen_seat ON COMMIT DROP AS
WITH twp AS (
  SELECT DISTINCT ON (township_code) township_code, county_code, id
    FROM gen_node ORDER BY township_code, population DESC, code
), twp_pop AS (
  SELECT township_code, sum(population) AS pop FROM gen_node GROUP BY township_code
)
SELECT t.township_code, t.county_code, t.id,
       t.id = (SELECT t2.id FROM twp t2 JOIN twp_pop p2 USING (township_code)
                WHERE t2.county_code = t.county_code ORDER BY p2.pop DESC, t2.township_code LIMIT 1) AS county_seat
  FROM twp t;

CREATE TEMP TABLE gen_village ON COMMIT DROP AS
SELECT DISTINCT ON (village_code) village_code, township_code, id
  FROM gen_node ORDER BY village_code, population DESC, code;

-- Delaunay edges between the junctions, matched back to them by coordinates
-- (a zero tolerance keeps the input coordinates).
CREATE TEMP TABLE gen_edge ON COMMIT DROP AS
WITH lines AS (
  SELECT (ST_Dump(ST_DelaunayTriangles(ST_Collect(geom ORDER BY id), 0, 1))).geom AS g FROM gen_node
)
SELECT row_number() OVER (ORDER BY least(a.id, b.id), greatest(a.id, b.id)) AS id,
       least(a.id, b.id) AS source, greatest(a.id, b.id) AS target,
       ST_Distance(a.geom::geography, b.geom::geography, false) AS length_m
  FROM lines l
  JOIN gen_node a ON a.x = ST_X(ST_StartPoint(l.g)) AND a.y = ST_Y(ST_StartPoint(l.g))
  JOIN gen_node b ON b.x = ST_X(ST_EndPoint(l.g)) AND b.y = ST_Y(ST_EndPoint(l.g))
 WHERE a.id <> b.id;

ALTER TABLE gen_edge ADD COLUMN keep boolean NOT NULL DEFAULT false, ADD COLUMN class text NOT NULL DEFAULT 'residential';
UPDATE gen_edge e SET keep = true
  FROM pgr_kruskal('SELECT id, source, target, length_m AS cost, length_m AS reverse_cost FROM gen_edge') k
 WHERE k.edge = e.id;
-- the long Delaunay edges span bays and empty land: only the tree keeps them
UPDATE gen_edge SET keep = true
 WHERE NOT keep AND length_m <= 2.2 * (SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY length_m) FROM gen_edge)
   AND abs(hashtext('road-' || source || '-' || target)) % 100 < 45;
DELETE FROM gen_edge WHERE NOT keep;

CREATE TEMP TABLE gen_trip (kind text, a bigint, b bigint) ON COMMIT DROP;
-- county seats, every pair
INSERT INTO gen_trip
SELECT 'motorway', s1.id, s2.id FROM gen_seat s1 JOIN gen_seat s2 ON s1.county_seat AND s2.county_seat AND s1.id < s2.id;
-- township seats that are Delaunay neighbours
INSERT INTO gen_trip
WITH seats AS (SELECT s.id, n.x, n.y, n.geom FROM gen_seat s JOIN gen_node n ON n.id = s.id),
lines AS (
  SELECT (ST_Dump(ST_DelaunayTriangles(ST_Collect(geom ORDER BY id), 0, 1))).geom AS g FROM seats
  HAVING count(*) >= 3
)
SELECT 'primary', a.id, b.id
  FROM lines l
  JOIN seats a ON a.x = ST_X(ST_StartPoint(l.g)) AND a.y = ST_Y(ST_StartPoint(l.g))
  JOIN seats b ON b.x = ST_X(ST_EndPoint(l.g)) AND b.y = ST_Y(ST_EndPoint(l.g))
 WHERE a.id <> b.id
UNION ALL
SELECT 'primary', s1.id, s2.id FROM gen_seat s1 JOIN gen_seat s2 ON s1.id < s2.id
 WHERE (SELECT count(*) FROM gen_seat) < 3;
-- village centres to their township seat
INSERT INTO gen_trip
SELECT 'secondary', v.id, s.id FROM gen_village v JOIN gen_seat s USING (township_code) WHERE v.id <> s.id;

-- the edges each kind of trip uses, the gravest class winning
WITH used AS (
  SELECT DISTINCT k.kind, d.edge
    FROM (SELECT DISTINCT kind FROM gen_trip) k
   CROSS JOIN LATERAL pgr_dijkstra(
           'SELECT id, source, target, length_m AS cost, length_m AS reverse_cost FROM gen_edge',
           format('SELECT a AS source, b AS target FROM gen_trip WHERE kind = %L', k.kind), false) d
   WHERE d.edge > 0
)
UPDATE gen_edge e SET class = (
  SELECT u.kind FROM used u WHERE u.edge = e.id
   ORDER BY array_position(ARRAY['motorway', 'primary', 'secondary'], u.kind) LIMIT 1)
 WHERE EXISTS (SELECT 1 FROM used u WHERE u.edge = e.id);

INSERT INTO roads (source_ref, name, class, geom)
SELECT current_setting('riskmap.road_source'), NULL, e.class, ST_MakeLine(a.geom, b.geom)
  FROM gen_edge e JOIN gen_node a ON a.id = e.source JOIN gen_node b ON b.id = e.target
 ORDER BY e.id;
