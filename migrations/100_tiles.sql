-- Vector tiles (package tiles). Three things live here:
--  1. a Web Mercator copy of every layer geometry (geom_3857), so no tile
--     request transforms geometries;
--  2. tile_clusters: point counts per zoom, cluster cell and grid, kept up to
--     date in the writing transaction, so low-zoom tiles read a few hundred
--     rows instead of every point under them;
--  3. NOTIFY riskmap_tiles on every change to a layer table (and
--     riskmap_auth on account changes), so every replica drops exactly the
--     cached tiles (and resolved tokens) the change makes stale, whatever
--     wrote it: the API of any replica, an import, QGIS, psql.

-- 1. Web Mercator copies -------------------------------------------------------
ALTER TABLE areas ADD COLUMN geom_3857 geometry(MultiPolygon, 3857) GENERATED ALWAYS AS (ST_Transform(geom, 3857)) STORED;
ALTER TABLE grids ADD COLUMN geom_3857 geometry(MultiPolygon, 3857) GENERATED ALWAYS AS (ST_Transform(geom, 3857)) STORED;
ALTER TABLE risk_points ADD COLUMN geom_3857 geometry(Point, 3857) GENERATED ALWAYS AS (ST_Transform(geom, 3857)) STORED;
ALTER TABLE hazard_sources ADD COLUMN geom_3857 geometry(Point, 3857) GENERATED ALWAYS AS (ST_Transform(geom, 3857)) STORED;
ALTER TABLE stations ADD COLUMN geom_3857 geometry(Point, 3857) GENERATED ALWAYS AS (ST_Transform(geom, 3857)) STORED;
ALTER TABLE depots ADD COLUMN geom_3857 geometry(Point, 3857) GENERATED ALWAYS AS (ST_Transform(geom, 3857)) STORED;
CREATE INDEX areas_geom_3857_idx ON areas USING gist (geom_3857);
CREATE INDEX grids_geom_3857_idx ON grids USING gist (geom_3857);
CREATE INDEX risk_points_geom_3857_idx ON risk_points USING gist (geom_3857);
CREATE INDEX hazard_sources_geom_3857_idx ON hazard_sources USING gist (geom_3857);
CREATE INDEX stations_geom_3857_idx ON stations USING gist (geom_3857);
CREATE INDEX depots_geom_3857_idx ON depots USING gist (geom_3857);

-- 2. Open cases per grid: the one place the grid tiles read them from. Empty
-- until the closed loop exists; its migration redefines it, e.g.
--   CREATE OR REPLACE VIEW grid_open_cases (grid_code, open_cases) AS
--     SELECT grid_code, count(*)::integer FROM cases WHERE state IN (...) GROUP BY grid_code;
-- The tile query asks it one grid at a time (WHERE grid_code = ...), so keep
-- grid_code a grouping column: PostgreSQL then pushes the filter down to an
-- index on cases (grid_code). A change to cases must also call
-- riskmap_tiles_changed('grids', ...) for the grid (see below), since the
-- count is an attribute of the grid's tiles.
CREATE VIEW grid_open_cases (grid_code, open_cases) AS
  SELECT NULL::text, 0::integer WHERE false;

-- 3. Point clusters for low zooms ---------------------------------------------
-- A cell is 1/16 of a tile's side at zoom z (16 px on a 256 px tile), counted
-- from the top-left corner of Web Mercator: cx grows east, cy south. Rows are
-- kept per grid so the scope filter (a prefix match on grid codes) applies
-- to clusters exactly as to points. n counts the active points of the cell
-- in the grid, n1..n4 those of each level (risk_level for risk points,
-- major_hazard_level for hazard sources); sx, sy sum their coordinates, so a
-- cluster is drawn at its points' centroid. Retired points are not counted.
CREATE TABLE tile_clusters (
  layer     text NOT NULL,
  z         smallint NOT NULL,
  cy        integer NOT NULL,
  cx        integer NOT NULL,
  grid_code text NOT NULL,
  n         integer NOT NULL,
  n1        integer NOT NULL,
  n2        integer NOT NULL,
  n3        integer NOT NULL,
  n4        integer NOT NULL,
  sx        double precision NOT NULL,
  sy        double precision NOT NULL,
  PRIMARY KEY (layer, z, cy, cx, grid_code)
);

-- The cells of a point at zooms 0..maxz. Must agree with tiles.clusterCells.
CREATE FUNCTION riskmap_tile_cells(g geometry, maxz integer)
RETURNS TABLE (z smallint, cy integer, cx integer) LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT zz::smallint,
         floor((20037508.342789244 - ST_Y(g)) / (40075016.685578488 / (16 * 2 ^ zz)))::integer,
         floor((ST_X(g) + 20037508.342789244) / (40075016.685578488 / (16 * 2 ^ zz)))::integer
    FROM generate_series(0, maxz) zz
$$;

-- Statement-level, with transition tables: one aggregated upsert per
-- statement, whatever the number of rows (an import of a million points
-- costs one GROUP BY, not a million upserts). Arguments: the level column,
-- the highest clustered zoom. Rows are upserted in key order so concurrent
-- writers lock them in the same order.
CREATE FUNCTION riskmap_tile_clusters_sync() RETURNS trigger LANGUAGE plpgsql AS $$
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

-- risk points cluster up to z13, hazard sources up to z11 (tiles.Layers says the same)
CREATE TRIGGER tile_clusters_ins AFTER INSERT ON risk_points REFERENCING NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION riskmap_tile_clusters_sync('risk_level', 13);
CREATE TRIGGER tile_clusters_upd AFTER UPDATE ON risk_points REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION riskmap_tile_clusters_sync('risk_level', 13);
CREATE TRIGGER tile_clusters_del AFTER DELETE ON risk_points REFERENCING OLD TABLE AS old_rows
  FOR EACH STATEMENT EXECUTE FUNCTION riskmap_tile_clusters_sync('risk_level', 13);
CREATE TRIGGER tile_clusters_ins AFTER INSERT ON hazard_sources REFERENCING NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION riskmap_tile_clusters_sync('major_hazard_level', 11);
CREATE TRIGGER tile_clusters_upd AFTER UPDATE ON hazard_sources REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION riskmap_tile_clusters_sync('major_hazard_level', 11);
CREATE TRIGGER tile_clusters_del AFTER DELETE ON hazard_sources REFERENCING OLD TABLE AS old_rows
  FOR EACH STATEMENT EXECUTE FUNCTION riskmap_tile_clusters_sync('major_hazard_level', 11);

-- Rebuilds the clusters of a layer from scratch (after a load made with
-- triggers disabled, e.g. session_replication_role = replica).
CREATE FUNCTION riskmap_tile_clusters_rebuild(layer text, lvl text, maxz integer) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM tile_clusters t WHERE t.layer = riskmap_tile_clusters_rebuild.layer;
  EXECUTE format($q$
    INSERT INTO tile_clusters (layer, z, cy, cx, grid_code, n, n1, n2, n3, n4, sx, sy)
    SELECT %1$L, c.z, c.cy, c.cx, r.grid_code, count(*),
           count(*) FILTER (WHERE r.%2$I = 1), count(*) FILTER (WHERE r.%2$I = 2),
           count(*) FILTER (WHERE r.%2$I = 3), count(*) FILTER (WHERE r.%2$I = 4),
           sum(ST_X(r.geom_3857)), sum(ST_Y(r.geom_3857))
      FROM %1$I r CROSS JOIN LATERAL riskmap_tile_cells(r.geom_3857, %3$s) c
     WHERE r.status = 'active'
     GROUP BY 1, 2, 3, 4, 5
     ORDER BY 2, 3, 4, 5$q$, layer, lvl, maxz);
END $$;

-- 4. Change notifications -----------------------------------------------------
-- Payload (JSON, at most 8000 bytes, so large statements send several):
--   {"t": layer, "c": [[id, old box, new box], ...]}   boxes [xmin, ymin, xmax, ymax] in EPSG:3857, null when absent
--   {"t": layer, "all": true}                          everything of the layer (TRUNCATE)
-- A statement changing more than 2,000 rows sends, instead of one box per
-- row, the extent of the changed boxes in each 2 km cell (ids null): still
-- every tile the change touches, and a bounded number of messages.
-- Boxes are rounded outwards to the centimetre.
CREATE FUNCTION riskmap_tiles_box(g geometry) RETURNS json LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT CASE WHEN g IS NULL OR ST_IsEmpty(g) THEN NULL ELSE json_build_array(
    floor(ST_XMin(g) * 100) / 100, floor(ST_YMin(g) * 100) / 100,
    ceil(ST_XMax(g) * 100) / 100, ceil(ST_YMax(g) * 100) / 100) END
$$;

-- Transition tables are visible only in the trigger function itself, so the
-- sending is done here, not in a helper.
CREATE FUNCTION riskmap_tiles_notify() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  changes text;
  n bigint;
  payload text;
BEGIN
  IF TG_OP = 'TRUNCATE' THEN
    PERFORM pg_notify('riskmap_tiles', json_build_object('t', TG_TABLE_NAME, 'all', true)::text);
    RETURN NULL;
  END IF;
  changes := CASE TG_OP
    WHEN 'INSERT' THEN 'SELECT n.id::text AS id, NULL::geometry AS og, n.geom_3857 AS ng FROM new_rows n'
    WHEN 'DELETE' THEN 'SELECT o.id::text AS id, o.geom_3857 AS og, NULL::geometry AS ng FROM old_rows o'
    -- rows an UPDATE rewrote without changing (e.g. points re-placed into
    -- the same grid) change no tile
    ELSE 'SELECT n.id::text AS id, o.geom_3857 AS og, n.geom_3857 AS ng
            FROM old_rows o JOIN new_rows n ON n.id = o.id WHERE o IS DISTINCT FROM n'
  END;
  EXECUTE 'SELECT count(*) FROM (' || changes || ') c' INTO n;
  IF n = 0 THEN
    RETURN NULL;
  ELSIF n <= 2000 THEN
    FOR payload IN EXECUTE format($q$
      SELECT json_build_object('t', %L, 'c', json_agg(json_build_array(c.id, riskmap_tiles_box(c.og), riskmap_tiles_box(c.ng))))::text
        FROM (SELECT c.*, (row_number() OVER () - 1) / 40 AS chunk FROM (%s) c) c
       GROUP BY c.chunk$q$, TG_TABLE_NAME, changes)
    LOOP
      PERFORM pg_notify('riskmap_tiles', payload);
    END LOOP;
  ELSE
    FOR payload IN EXECUTE format($q$
      WITH c AS (%2$s),
      b AS (SELECT c.og AS g FROM c WHERE c.og IS NOT NULL UNION ALL SELECT c.ng FROM c WHERE c.ng IS NOT NULL),
      cells AS (
        SELECT ST_Extent(b.g)::geometry AS g
          FROM b GROUP BY floor(ST_X(ST_Centroid(b.g)) / 2000), floor(ST_Y(ST_Centroid(b.g)) / 2000)
      )
      SELECT json_build_object('t', %1$L, 'c', json_agg(json_build_array(NULL, NULL, riskmap_tiles_box(cells.g))))::text
        FROM (SELECT cells.*, (row_number() OVER () - 1) / 60 AS chunk FROM cells) cells
       GROUP BY cells.chunk$q$, TG_TABLE_NAME, changes)
    LOOP
      PERFORM pg_notify('riskmap_tiles', payload);
    END LOOP;
  END IF;
  RETURN NULL;
END $$;

DO $$
DECLARE
  t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['areas', 'grids', 'risk_points', 'hazard_sources', 'stations', 'depots'] LOOP
    EXECUTE format('CREATE TRIGGER tiles_notify_ins AFTER INSERT ON %I REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION riskmap_tiles_notify()', t);
    EXECUTE format('CREATE TRIGGER tiles_notify_upd AFTER UPDATE ON %I REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION riskmap_tiles_notify()', t);
    EXECUTE format('CREATE TRIGGER tiles_notify_del AFTER DELETE ON %I REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION riskmap_tiles_notify()', t);
    EXECUTE format('CREATE TRIGGER tiles_notify_trunc AFTER TRUNCATE ON %I FOR EACH STATEMENT EXECUTE FUNCTION riskmap_tiles_notify()', t);
  END LOOP;
END $$;

-- For changes a table trigger cannot see, e.g. a case opening or closing
-- changes its grid's open_cases attribute:
--   PERFORM riskmap_tiles_changed('grids', g.id::text, g.geom, g.geom) FROM grids g WHERE g.code = NEW.grid_code;
-- Geometries in any SRID; NULL where absent.
CREATE FUNCTION riskmap_tiles_changed(layer text, id text, old_geom geometry, new_geom geometry) RETURNS void LANGUAGE sql AS $$
  SELECT pg_notify('riskmap_tiles', json_build_object('t', layer, 'c', json_build_array(json_build_array(id,
    riskmap_tiles_box(ST_Transform(old_geom, 3857)), riskmap_tiles_box(ST_Transform(new_geom, 3857)))))::text)
$$;

-- Account changes that can invalidate a resolved bearer token (logout,
-- password change, disabled user, changed scope) flush every replica's token
-- cache for tile requests. New sessions need no message.
CREATE FUNCTION riskmap_auth_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('riskmap_auth', TG_TABLE_NAME);
  RETURN NULL;
END $$;
CREATE TRIGGER auth_notify AFTER UPDATE OR DELETE OR TRUNCATE ON sessions FOR EACH STATEMENT EXECUTE FUNCTION riskmap_auth_notify();
CREATE TRIGGER auth_notify AFTER UPDATE OR DELETE OR TRUNCATE ON users FOR EACH STATEMENT EXECUTE FUNCTION riskmap_auth_notify();
CREATE TRIGGER auth_notify AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON user_areas FOR EACH STATEMENT EXECUTE FUNCTION riskmap_auth_notify();
CREATE TRIGGER auth_notify AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON user_grids FOR EACH STATEMENT EXECUTE FUNCTION riskmap_auth_notify();
