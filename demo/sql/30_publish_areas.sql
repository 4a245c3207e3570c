-- Publish areas and grids, parents first. Populations are the sums of the
-- grids', so every level adds up. Polygons are segmentized to 0.004° (about
-- 400 m) edges: areas are measured on the ellipsoid, where a long straight
-- lon/lat edge and the same edge split in pieces are not the same line, so
-- without it children would not add up to their parent. Grids go in in
-- code order, each passing the grid trigger's inside-township and
-- no-overlap checks.

CREATE TEMP TABLE demo_area ON COMMIT DROP AS
WITH people AS (
  SELECT code, sum(population) AS population
    FROM (SELECT village_code AS code, population FROM demo_grid
          UNION ALL SELECT township_code, population FROM demo_grid
          UNION ALL SELECT county_code, population FROM demo_grid
          UNION ALL SELECT (SELECT code FROM demo_city), population FROM demo_grid) g
   GROUP BY code)
SELECT a.*, people.population
  FROM (SELECT 1 AS depth, c.code, c.name, 'city' AS level, NULL AS parent_code, p.geom
          FROM demo_city c JOIN demo_city_poly p USING (code)
        UNION ALL
        SELECT 2, c.code, c.name, 'county', (SELECT code FROM demo_city), p.geom
          FROM demo_county c JOIN demo_county_poly p USING (code)
        UNION ALL
        SELECT 3, t.code, t.name, 'township', t.county_code, p.geom
          FROM demo_township t JOIN demo_township_poly p USING (code)
        UNION ALL
        SELECT 4, v.code, v.name, 'village', v.township_code, p.geom
          FROM demo_village v JOIN demo_village_poly p USING (code)) a
  JOIN people USING (code);

INSERT INTO areas (code, name, level, parent_code, population, geom)
SELECT code, name, level, parent_code, population, ST_Segmentize(geom, 0.004)
  FROM demo_area
 ORDER BY depth, code;

INSERT INTO grids (code, name, worker, worker_phone, households, population, geom)
SELECT code, name, worker, worker_phone, households, population, ST_Segmentize(geom, 0.004)
  FROM demo_grid
 ORDER BY code;
