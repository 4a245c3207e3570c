-- Moves the shared benchmark data set (loaded by bench/data/dataset.sql into
-- schema "bench") into riskmap's real tables, in a benchmark's own scratch
-- database only (package benchdata runs it for the tile, coverage and
-- import benchmarks, so all three see the same city). Grid populations vary
-- (100–999, from a hash of the grid id) so that coverage's population
-- shares differ from its grid-count shares.
--
-- The data set has no administrative areas and its grid codes are not
-- riskmap's 15-digit codes, so this builds a hierarchy covering it: the city
-- 441500000000, four counties (the real codes, split west to east by the
-- township's position), one township per data-set township (48) and one
-- village per township, each the union of its grids; grid codes are the
-- village code plus a sequence.
--
-- Triggers are off while loading (session_replication_role = replica): the
-- data set places points by "containing grid, else nearest", which riskmap's
-- placement trigger would refuse for the few points that the wiggled grid
-- edges leave outside every grid; the grid integrity trigger would refuse
-- the data set's (sub-metre) slivers; and the audit log and the per-row
-- change notifications have nothing to do in a benchmark load. Everything
-- the triggers would derive (grid, township and county codes, point
-- clusters, area shapes) is set here instead, and the geometry columns, indexes and
-- generated Web Mercator copies are riskmap's own.
SET session_replication_role = replica;

CREATE TEMP TABLE twp AS
WITH t AS (
  SELECT township AS name, ST_X(ST_Centroid(ST_Collect(geom))) AS lon
    FROM bench.grids GROUP BY township
), c AS (
  SELECT t.*, ntile(4) OVER (ORDER BY lon) AS county_no FROM t
)
SELECT c.name, (ARRAY['441502', '441521', '441523', '441581'])[c.county_no] AS county6,
       row_number() OVER (PARTITION BY c.county_no ORDER BY c.lon, c.name) AS seq
  FROM c;
ALTER TABLE twp ADD COLUMN code text;
UPDATE twp SET code = county6 || lpad(seq::text, 3, '0') || '000';

CREATE TEMP TABLE grid_map AS
SELECT g.id, twp.code AS township_code, left(twp.code, 9) || '001' ||
       lpad((row_number() OVER (PARTITION BY twp.code ORDER BY g.id))::text, 3, '0') AS code,
       g.name, g.geom
  FROM bench.grids g JOIN twp ON twp.name = g.township;

INSERT INTO areas (code, name, level, parent_code, geom)
SELECT '441500000000', '汕尾市', 'city', NULL, ST_Multi(ST_Union(geom)) FROM grid_map;
INSERT INTO areas (code, name, level, parent_code, geom)
SELECT county6 || '000000', (ARRAY['城区', '海丰县', '陆河县', '陆丰市'])[array_position(ARRAY['441502', '441521', '441523', '441581'], county6)],
       'county', '441500000000', ST_Multi(ST_Union(g.geom))
  FROM grid_map g JOIN twp ON twp.code = g.township_code GROUP BY county6;
INSERT INTO areas (code, name, level, parent_code, geom)
SELECT twp.code, twp.name, 'township', twp.county6 || '000000', ST_Multi(ST_Union(g.geom))
  FROM grid_map g JOIN twp ON twp.code = g.township_code GROUP BY twp.code, twp.name, twp.county6;
INSERT INTO areas (code, name, level, parent_code, geom)
SELECT left(code, 9) || '001', name || '社区', 'village', code, geom FROM areas WHERE level = 'township';

INSERT INTO grids (id, code, name, village_code, township_code, county_code, worker, households, population, geom)
OVERRIDING SYSTEM VALUE
SELECT id, code, name, left(code, 12), township_code, left(code, 6) || '000000', '网格员' || id,
       100, 100 + abs(hashtext('bench-pop-' || id)) % 900, geom
  FROM grid_map;

INSERT INTO risk_points (id, external_id, name, category, risk_level, status, grid_code, township_code, county_code, geom)
OVERRIDING SYSTEM VALUE
SELECT r.id, 'bench-' || r.id, r.name,
       CASE r.category WHEN '地质灾害' THEN 'geological' WHEN '消防安全' THEN 'fire' WHEN '防汛防台' THEN 'flood'
         WHEN '道路交通' THEN 'road_traffic' WHEN '建筑施工' THEN 'construction' WHEN '人员密集场所' THEN 'crowded_place'
         ELSE 'other' END,
       r.risk_level, CASE r.status WHEN '已销号' THEN 'retired' ELSE 'active' END,
       g.code, g.township_code, left(g.code, 6) || '000000', r.geom
  FROM bench.risk_points r JOIN grid_map g ON g.id = r.grid_id;

-- hazard sources, stations and depots: the containing grid, else the nearest
CREATE TEMP TABLE other_points AS
SELECT 'hazard_sources' AS layer, h.id, h.name, h.category AS kind, h.level, 0 AS n, h.geom FROM bench.hazard_sources h
UNION ALL SELECT 'stations', s.id, s.name, s.kind, NULL, s.staff, s.geom FROM bench.stations s
UNION ALL SELECT 'depots', d.id, d.name, d.kind, NULL, d.capacity, d.geom FROM bench.depots d;
ALTER TABLE other_points ADD COLUMN grid_code text;
UPDATE other_points p SET grid_code = coalesce(
  (SELECT g.code FROM grids g WHERE ST_Covers(g.geom, p.geom) ORDER BY g.code LIMIT 1),
  (SELECT g.code FROM grids g ORDER BY g.geom <-> p.geom LIMIT 1));

-- a valid GB 32100 credit code (the schema checks its check character)
CREATE FUNCTION pg_temp.uscc(base text) RETURNS text LANGUAGE sql AS $$
  SELECT base || substr('0123456789ABCDEFGHJKLMNPQRTUWXY', ((31 - s % 31) % 31 + 1)::integer, 1)
    FROM (SELECT sum((strpos('0123456789ABCDEFGHJKLMNPQRTUWXY', substr(base, i, 1)) - 1) *
                     (ARRAY[1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28])[i]) AS s
            FROM generate_series(1, 17) i) x
$$;

INSERT INTO hazard_sources (id, external_id, name, credit_code, category, major_hazard_level, grid_code, township_code, county_code, geom)
OVERRIDING SYSTEM VALUE
SELECT id, 'bench-' || id, name, pg_temp.uscc('91441500' || lpad(id::text, 9, '0')),
       CASE kind WHEN '储罐区' THEN 'hazardous_chemicals' WHEN '库区' THEN 'hazardous_chemicals' WHEN '生产场所' THEN 'industrial_trade'
         WHEN '尾矿库' THEN 'non_coal_mine' WHEN '燃气场站' THEN 'gas' ELSE 'other' END,
       level, grid_code, left(grid_code, 9) || '000', left(grid_code, 6) || '000000', geom
  FROM other_points WHERE layer = 'hazard_sources';
INSERT INTO stations (id, external_id, name, kind, staff, grid_code, township_code, county_code, geom)
OVERRIDING SYSTEM VALUE
SELECT id, 'bench-' || id, name,
       CASE kind WHEN '消防站' THEN 'rescue_team' WHEN '应急救援站' THEN 'office' ELSE 'platform' END,
       n, grid_code, left(grid_code, 9) || '000', left(grid_code, 6) || '000000', geom
  FROM other_points WHERE layer = 'stations';
INSERT INTO depots (id, external_id, name, capacity_m2, grid_code, township_code, county_code, geom)
OVERRIDING SYSTEM VALUE
SELECT id, 'bench-' || id, name, n, grid_code, left(grid_code, 9) || '000', left(grid_code, 6) || '000000', geom
  FROM other_points WHERE layer = 'depots';

SET session_replication_role = origin;
SELECT riskmap_area_shapes_refresh(ARRAY(SELECT id FROM areas));
SELECT riskmap_tile_clusters_rebuild('risk_points', 'risk_level', 13);
SELECT riskmap_tile_clusters_rebuild('hazard_sources', 'major_hazard_level', 11);
DO $$
DECLARE
  t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['areas', 'grids', 'risk_points', 'hazard_sources', 'stations', 'depots'] LOOP
    EXECUTE format('SELECT setval(pg_get_serial_sequence(%L, ''id''), (SELECT coalesce(max(id), 0) + 1 FROM %I), false)', t, t);
  END LOOP;
END $$;
-- (the benchmark then runs VACUUM ANALYZE, which cannot share this transaction)
