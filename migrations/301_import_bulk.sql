-- Bulk imports without the per-row costs that made them slow (issue #6).
-- Every write is still placed, checked and audited by the database; only the
-- way it is done for a whole statement changes.
--
-- 1. Placement checked per statement. A transaction that sets
--    riskmap.placement = 'verify' (the importer does, transaction-local)
--    writes grid_code, township_code and county_code itself (the importer
--    places each point with geo.GridIndex, the same rule in memory). The
--    row trigger a_place (a grid lookup per row) stands aside, and a
--    statement-level trigger checks all the statement's rows in two
--    set-based queries instead: each point's grid exists and covers it, its
--    township and county codes are its grid's, and no grid with a smaller
--    code covers it (a point on a shared edge belongs to the smallest code,
--    as riskmap_grid_at says). A row that fails refuses the whole statement
--    with the same error (RM001) the row trigger raises. Any client may set
--    the mode: it changes how the check is done, never whether. Writes that
--    do not set it (the API, QGIS, psql) are placed row by row as before.
--
-- 2. Statement-level audit rows built column by column. to_jsonb of a
--    whole row turns geom_3857 into GeoJSON as well (PostGIS's cast), which
--    looks up its CRS in spatial_ref_sys for every row: 85% of the audit's
--    time, for a column the log then throws away. The rows logged are the
--    very same.

-- 1. Placement -------------------------------------------------------------

CREATE OR REPLACE FUNCTION riskmap_place_verify() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  bad record;
  right_grid text;
BEGIN
  -- the grid named covers the point and the codes below it are derived from it
  EXECUTE $q$
    SELECT n.id, n.geom, n.grid_code FROM new_rows n LEFT JOIN grids g ON g.code = n.grid_code
     WHERE g.code IS NULL
        OR n.township_code IS DISTINCT FROM left(n.grid_code, 9) || '000'
        OR n.county_code IS DISTINCT FROM left(n.grid_code, 6) || '000000'
        OR NOT ST_Covers(g.geom, n.geom)
     ORDER BY n.id LIMIT 1$q$ INTO bad;
  IF bad.id IS NULL THEN
    -- no grid with a smaller code covers it: only the neighbours of its grid
    -- (bounding boxes meet) can, and only where their box holds the point
    EXECUTE $q$
      WITH a AS (SELECT DISTINCT grid_code FROM new_rows),
      nb AS (SELECT a.grid_code, b.code, b.geom
               FROM a JOIN grids ga ON ga.code = a.grid_code
               JOIN grids b ON b.geom && ga.geom AND b.code < a.grid_code)
      SELECT n.id, n.geom, n.grid_code FROM new_rows n JOIN nb ON nb.grid_code = n.grid_code
       WHERE nb.geom && n.geom AND ST_Covers(nb.geom, n.geom)
       ORDER BY n.id LIMIT 1$q$ INTO bad;
  END IF;
  IF bad.id IS NULL THEN
    RETURN NULL;
  END IF;
  right_grid := riskmap_grid_at(bad.geom);
  IF right_grid IS NULL THEN
    RAISE EXCEPTION USING ERRCODE = 'RM001',
      MESSAGE = format('point (%s, %s) lies in no grid', round(ST_X(bad.geom)::numeric, 7), round(ST_Y(bad.geom)::numeric, 7)),
      DETAIL = json_build_object('field', 'geometry', 'layer', TG_TABLE_NAME, 'id', bad.id,
                                 'lon', ST_X(bad.geom), 'lat', ST_Y(bad.geom))::text;
  END IF;
  RAISE EXCEPTION USING ERRCODE = 'RM001',
    MESSAGE = format('point (%s, %s) lies in grid %s, not in grid %s', round(ST_X(bad.geom)::numeric, 7),
                     round(ST_Y(bad.geom)::numeric, 7), right_grid, coalesce(bad.grid_code, 'none')),
    DETAIL = json_build_object('field', 'geometry', 'layer', TG_TABLE_NAME, 'id', bad.id, 'grid', right_grid,
                               'given_grid', bad.grid_code, 'lon', ST_X(bad.geom), 'lat', ST_Y(bad.geom))::text;
END $$;

DO $$
DECLARE
  t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['risk_points', 'hazard_sources', 'stations', 'depots'] LOOP
    EXECUTE format('DROP TRIGGER IF EXISTS a_place ON %I', t);
    EXECUTE format('DROP TRIGGER IF EXISTS a_place_verify_ins ON %I', t);
    EXECUTE format('DROP TRIGGER IF EXISTS a_place_verify_upd ON %I', t);
    EXECUTE format($q$CREATE TRIGGER a_place BEFORE INSERT OR UPDATE OF geom, grid_code ON %I FOR EACH ROW
      WHEN (current_setting('riskmap.placement', true) IS DISTINCT FROM 'verify') EXECUTE FUNCTION riskmap_place()$q$, t);
    EXECUTE format($q$CREATE TRIGGER a_place_verify_ins AFTER INSERT ON %I REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT
      WHEN (current_setting('riskmap.placement', true) = 'verify') EXECUTE FUNCTION riskmap_place_verify()$q$, t);
    EXECUTE format($q$CREATE TRIGGER a_place_verify_upd AFTER UPDATE ON %I REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT
      WHEN (current_setting('riskmap.placement', true) = 'verify') EXECUTE FUNCTION riskmap_place_verify()$q$, t);
  END LOOP;
END $$;

-- 2. Audit ----------------------------------------------------------------

CREATE OR REPLACE FUNCTION riskmap_audit_statement() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  actor_id bigint := nullif(current_setting('riskmap.actor_id', true), '')::bigint;
  actor text := coalesce(nullif(current_setting('riskmap.actor', true), ''), 'db:' || current_user);
  cols text;
  rowjson text;
BEGIN
  IF current_setting('riskmap.audit_mode', true) IS DISTINCT FROM 'statement' THEN
    RETURN NULL;
  END IF;
  -- as riskmap_audit: the row as JSON without geom_3857, its geometry as
  -- GeoJSON; an update that changed nothing is not logged. Rows are logged
  -- in the order the statement wrote them (not sorted: a sort of the
  -- statement's JSON spills to disk).
  SELECT string_agg(CASE WHEN a.attname = 'geom' THEN 'ST_AsGeoJSON(r.geom, 8)::jsonb AS geom' ELSE format('r.%I', a.attname) END,
                    ', ' ORDER BY a.attnum)
    INTO cols
    FROM pg_attribute a
   WHERE a.attrelid = TG_RELID AND a.attnum > 0 AND NOT a.attisdropped AND a.attname NOT IN ('geom_3857', 'password_hash');
  rowjson := 'SELECT x.id, to_jsonb(x) AS j FROM (SELECT ' || cols || ' FROM %s r) x';
  IF TG_OP = 'INSERT' THEN
    EXECUTE format($q$INSERT INTO audit_log (actor_id, actor, tbl, row_id, action, before, after)
      SELECT $1, $2, $3, n.id::text, 'insert', NULL, n.j FROM (%s) n$q$, format(rowjson, 'new_rows'))
      USING actor_id, actor, TG_TABLE_NAME;
  ELSIF TG_OP = 'UPDATE' THEN
    EXECUTE format($q$INSERT INTO audit_log (actor_id, actor, tbl, row_id, action, before, after)
      SELECT $1, $2, $3, n.id::text, 'update', o.j, n.j FROM (%s) o JOIN (%s) n ON n.id = o.id
       WHERE n.j IS DISTINCT FROM o.j$q$, format(rowjson, 'old_rows'), format(rowjson, 'new_rows'))
      USING actor_id, actor, TG_TABLE_NAME;
  ELSE
    EXECUTE format($q$INSERT INTO audit_log (actor_id, actor, tbl, row_id, action, before, after)
      SELECT $1, $2, $3, o.id::text, 'delete', o.j, NULL FROM (%s) o$q$, format(rowjson, 'old_rows'))
      USING actor_id, actor, TG_TABLE_NAME;
  END IF;
  RETURN NULL;
END $$;
