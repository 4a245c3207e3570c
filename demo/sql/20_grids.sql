-- Grids: each village split into 1–3 Voronoi cells (38% one, 48% two, 14%
-- three: about 1,500 grids over the 852 villages), numbered in reading
-- order, with a worker and a head count.

CREATE TEMP TABLE demo_grid_seed ON COMMIT DROP AS
WITH v AS (
  SELECT code, geom,
         1 + (pg_temp.demo_h('grids-' || code) % 100 >= 38)::integer
           + (pg_temp.demo_h('grids-' || code) % 100 >= 86)::integer AS n
    FROM demo_village_poly)
SELECT v.code || '-' || d.path[1] AS code, v.code AS parent, d.geom AS seed, v.geom AS zone
  FROM v, ST_Dump(ST_GeneratePoints(v.geom, v.n, pg_temp.demo_seed('grid-' || v.code))) d;
SELECT pg_temp.demo_relax('demo_grid_seed', 1);

-- Where a grid lies decides what risks it has: the streets and seat towns
-- are urban, grids within about 3 km of the coastline coastal, grids more
-- than about 20 km inland hilly (Shanwei rises from the coast to the
-- 莲花山 range in the north).
CREATE TEMP TABLE demo_grid ON COMMIT DROP AS
WITH cells AS (
  SELECT split_part(c.code, '-', 1) AS village_code, c.code AS seed_code, c.geom, ST_Centroid(c.geom) AS mid
    FROM pg_temp.demo_cells('demo_grid_seed', 'demo_village_poly') c),
numbered AS (
  SELECT c.*, row_number() OVER (PARTITION BY village_code
                                 ORDER BY floor(ST_Y(mid) / 0.01) DESC, ST_X(mid), seed_code) AS seq
    FROM cells c)
SELECT n.village_code || lpad(n.seq::text, 3, '0') AS code,
       v.short || '第' || n.seq || '网格' AS name,
       n.village_code, v.short AS village_short, v.name AS village_name,
       t.code AS township_code, t.name AS township_name, t.short AS township_short, t.government,
       co.code AS county_code, co.name AS county_name,
       t.central AS urban,
       ST_DWithin(n.geom, (SELECT coast FROM demo_city), 0.03) AS coastal,
       NOT ST_DWithin(n.mid, (SELECT coast FROM demo_city), 0.2) AS hilly,
       n.geom
  FROM numbered n
  JOIN demo_village v ON v.code = n.village_code
  JOIN demo_township t ON t.code = v.township_code
  JOIN demo_county co ON co.code = t.county_code;

-- households, then people at 2.8–3.5 per household; urban grids are fuller
ALTER TABLE demo_grid ADD COLUMN worker text, ADD COLUMN worker_phone text,
  ADD COLUMN households integer, ADD COLUMN population integer;
UPDATE demo_grid g
   SET worker = coalesce((SELECT w.name FROM demo_worker w WHERE w.village_code = g.village_code),
                         pg_temp.demo_person('grid-worker-' || g.code)),
       worker_phone = coalesce((SELECT w.phone FROM demo_worker w WHERE w.village_code = g.village_code),
                               pg_temp.demo_mobile('grid-worker-' || g.code)),
       households = CASE WHEN g.urban THEN 350 + pg_temp.demo_h('households-' || g.code) % 450
                         ELSE 180 + pg_temp.demo_h('households-' || g.code) % 520 END;
UPDATE demo_grid
   SET population = round(households * (280 + pg_temp.demo_h('people-' || code) % 71) / 100.0);
CREATE INDEX ON demo_grid USING gist (geom);
