-- Vector tiles, continued (package tiles; 100_tiles.sql has the rest).
-- Idempotent: a copy of 100_tiles.sql briefly carried this part.

-- Area shapes per zoom band. Township, county and city outlines have
-- thousands of vertices and show in almost every tile, so tiles do not read
-- them whole: each area is kept in Web Mercator, simplified (topology
-- preserved) once per band of zooms, and for the deepest zooms cut into
-- pieces of at most 128 vertices; a tile reads only the pieces that meet
-- it. riskmap_tile_band maps a zoom to its band, whose tolerance is half a
-- pixel (of a 256 px tile) at the band's deepest zoom.
CREATE OR REPLACE FUNCTION riskmap_tile_band(z integer) RETURNS smallint LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT (CASE WHEN z <= 9 THEN 9 WHEN z <= 11 THEN 11 WHEN z <= 13 THEN 13 ELSE 22 END)::smallint
$$;

CREATE TABLE IF NOT EXISTS area_tile_shapes (
  area_id bigint NOT NULL REFERENCES areas (id) ON DELETE CASCADE,
  band    smallint NOT NULL,
  geom    geometry(Polygon, 3857) NOT NULL
);
CREATE INDEX IF NOT EXISTS area_tile_shapes_area_idx ON area_tile_shapes (area_id, band);
CREATE INDEX IF NOT EXISTS area_tile_shapes_geom_idx ON area_tile_shapes USING gist (geom);

CREATE OR REPLACE FUNCTION riskmap_area_shapes_refresh(ids bigint[]) RETURNS void LANGUAGE sql AS $$
  DELETE FROM area_tile_shapes WHERE area_id = ANY (ids);
  INSERT INTO area_tile_shapes (area_id, band, geom)
  SELECT a.id, b.band, d.geom
    FROM areas a
   CROSS JOIN (VALUES (9, 152.874), (11, 38.2185), (13, 9.5546)) b (band, tol)
   CROSS JOIN LATERAL ST_Dump(ST_SimplifyPreserveTopology(a.geom_3857, b.tol)) d
   WHERE a.id = ANY (ids) AND GeometryType(d.geom) = 'POLYGON'
  UNION ALL
  SELECT a.id, 22, ST_Subdivide(a.geom_3857, 128) FROM areas a WHERE a.id = ANY (ids);
$$;

CREATE OR REPLACE FUNCTION riskmap_area_shapes() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM riskmap_area_shapes_refresh(ARRAY[NEW.id]);
  RETURN NULL;
END $$;
DROP TRIGGER IF EXISTS tile_shapes ON areas;
CREATE TRIGGER tile_shapes AFTER INSERT OR UPDATE OF geom ON areas FOR EACH ROW EXECUTE FUNCTION riskmap_area_shapes();

-- The point clusters' trigger function as 100_tiles.sql has it now: a
-- database migrated with an early copy of that file gets the version that
-- deletes emptied cells in a statement of its own.
CREATE OR REPLACE FUNCTION riskmap_tile_clusters_sync() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  lvl text := TG_ARGV[0];
  maxz integer := TG_ARGV[1]::integer;
  delta text;
  zs smallint[];
  cys integer[];
  cxs integer[];
  gcs text[];
BEGIN
  delta := CASE TG_OP
    WHEN 'INSERT' THEN format('SELECT 1 AS s, r.grid_code, r.%1$I::integer AS l, r.geom_3857 AS g FROM new_rows r WHERE r.status = ''active''', lvl)
    WHEN 'DELETE' THEN format('SELECT -1 AS s, r.grid_code, r.%1$I::integer AS l, r.geom_3857 AS g FROM old_rows r WHERE r.status = ''active''', lvl)
    ELSE format('SELECT 1 AS s, r.grid_code, r.%1$I::integer AS l, r.geom_3857 AS g FROM new_rows r WHERE r.status = ''active''
                 UNION ALL
                 SELECT -1, r.grid_code, r.%1$I::integer, r.geom_3857 FROM old_rows r WHERE r.status = ''active''', lvl)
  END;
  EXECUTE format($q$
    WITH d AS (%1$s),
    agg AS (
      SELECT c.z, c.cy, c.cx, d.grid_code, sum(d.s)::integer AS n,
             coalesce(sum(d.s) FILTER (WHERE d.l = 1), 0)::integer AS n1,
             coalesce(sum(d.s) FILTER (WHERE d.l = 2), 0)::integer AS n2,
             coalesce(sum(d.s) FILTER (WHERE d.l = 3), 0)::integer AS n3,
             coalesce(sum(d.s) FILTER (WHERE d.l = 4), 0)::integer AS n4,
             sum(d.s * ST_X(d.g)) AS sx, sum(d.s * ST_Y(d.g)) AS sy
        FROM d CROSS JOIN LATERAL riskmap_tile_cells(d.g, %2$s) c
       GROUP BY 1, 2, 3, 4
      -- an UPDATE that moved nothing between cells nets out to zero: skip it
      HAVING sum(d.s) <> 0 OR sum(d.s * ST_X(d.g)) <> 0 OR sum(d.s * ST_Y(d.g)) <> 0
          OR sum(d.s) FILTER (WHERE d.l = 1) <> 0 OR sum(d.s) FILTER (WHERE d.l = 2) <> 0
          OR sum(d.s) FILTER (WHERE d.l = 3) <> 0 OR sum(d.s) FILTER (WHERE d.l = 4) <> 0
    ),
    up AS (
      INSERT INTO tile_clusters AS t (layer, z, cy, cx, grid_code, n, n1, n2, n3, n4, sx, sy)
      SELECT %3$L, z, cy, cx, grid_code, n, n1, n2, n3, n4, sx, sy FROM agg ORDER BY z, cy, cx, grid_code
      ON CONFLICT (layer, z, cy, cx, grid_code) DO UPDATE
        SET n = t.n + excluded.n, n1 = t.n1 + excluded.n1, n2 = t.n2 + excluded.n2,
            n3 = t.n3 + excluded.n3, n4 = t.n4 + excluded.n4, sx = t.sx + excluded.sx, sy = t.sy + excluded.sy
      RETURNING t.z, t.cy, t.cx, t.grid_code, t.n
    )
    SELECT array_agg(z), array_agg(cy), array_agg(cx), array_agg(grid_code) FROM up WHERE n <= 0
  $q$, delta, maxz, TG_TABLE_NAME) INTO zs, cys, cxs, gcs;
  -- emptied cells go, in a statement of their own: one statement cannot
  -- delete the row versions it has just written
  IF zs IS NOT NULL THEN
    DELETE FROM tile_clusters t USING unnest(zs, cys, cxs, gcs) AS e(z, cy, cx, grid_code)
     WHERE t.layer = TG_TABLE_NAME AND t.z = e.z AND t.cy = e.cy AND t.cx = e.cx AND t.grid_code = e.grid_code;
  END IF;
  RETURN NULL;
END $$;

-- Fill what is derived for a database that has data already (a database
-- migrated with an early copy of 100_tiles.sql may lack clusters, too).
SELECT riskmap_area_shapes_refresh(ARRAY(SELECT id FROM areas));
SELECT riskmap_tile_clusters_rebuild('risk_points', 'risk_level', 13);
SELECT riskmap_tile_clusters_rebuild('hazard_sources', 'major_hazard_level', 11);
