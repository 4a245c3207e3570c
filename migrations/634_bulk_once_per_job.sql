-- A bulk load does once per job what the point layers' triggers do once per
-- statement (docs/imports.md, "Bulk loads"). A bulk load of a million points
-- is 50 batch statements, and each paid for its own tile clusters (an
-- aggregate and 30,000 upserts, 0.55 s, the same cells upserted 50 times),
-- placement check, tile notifications and live-feed event: half the load.
--
-- A transaction that sets riskmap.bulk = 'job' (the bulk loader does,
-- transaction-local) and riskmap.placement = 'job' writes a point layer with
-- these triggers standing aside; riskmap_bulk_finish(layer), called once
-- before commit, then does the same work once over all the job's rows:
-- the placement check (same queries, same RM001 refusal), the tile clusters
-- (the same delta, new rows minus the rows they replaced), the tile
-- notifications, the feed event and the risk-area notifications (the same
-- messages one statement writing the whole job would send). The rows the
-- job replaced are kept, as they were before it, in a temporary table as
-- its statements update them.
--
-- The mode cannot skip the work, only move it: a statement in it is refused
-- unless the transaction audits per job (632_import_job_audit.sql: every
-- row it writes names the job, which is how the finish finds them; the
-- finish refuses a job that rows written before named) and holds the layer
-- ACCESS EXCLUSIVE (nobody else writes it meanwhile), and a deferred
-- trigger finishes a job at commit if the client did not.
--
-- Numbered after every issue's range: it redefines triggers that 573 and
-- 574 create.

-- 1. The per-statement work as queries built from a row source, shared by
--    the triggers (transition tables, visible only to the trigger function
--    itself, so each trigger still runs the query) and the finish (tables).

-- Placement: step 1, the grid named covers the point and the codes below it
-- are derived from it; step 2, no grid with a smaller code covers it (only
-- the neighbours of its grid can). src yields the written rows; read once
-- (a plan that looked them up per neighbouring grid read a whole job's
-- rows thousands of times).
CREATE FUNCTION riskmap_place_check_sql(src text, step integer) RETURNS text LANGUAGE sql IMMUTABLE AS $$
  SELECT CASE step WHEN 1 THEN format($q$
    SELECT n.id, n.geom, n.grid_code FROM %1$s n LEFT JOIN grids g ON g.code = n.grid_code
     WHERE g.code IS NULL
        OR n.township_code IS DISTINCT FROM left(n.grid_code, 9) || '000'
        OR n.county_code IS DISTINCT FROM left(n.grid_code, 6) || '000000'
        OR NOT ST_Covers(g.geom, n.geom)
     ORDER BY n.id LIMIT 1$q$, src)
  ELSE format($q$
    WITH n AS MATERIALIZED (SELECT n.id, n.geom, n.grid_code FROM %1$s n),
    a AS (SELECT DISTINCT grid_code FROM n),
    nb AS MATERIALIZED (SELECT a.grid_code, b.code, b.geom
             FROM a JOIN grids ga ON ga.code = a.grid_code
             JOIN grids b ON b.geom && ga.geom AND b.code < a.grid_code)
    SELECT n.id, n.geom, n.grid_code FROM n JOIN nb ON nb.grid_code = n.grid_code
     WHERE nb.geom && n.geom AND ST_Covers(nb.geom, n.geom)
     ORDER BY n.id LIMIT 1$q$, src) END
$$;

-- The refusal of a misplaced point (RM001, as the row trigger raises it).
CREATE FUNCTION riskmap_place_refuse(tbl text, id bigint, geom geometry, given text) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
  right_grid text := riskmap_grid_at(geom);
BEGIN
  IF right_grid IS NULL THEN
    RAISE EXCEPTION USING ERRCODE = 'RM001',
      MESSAGE = format('point (%s, %s) lies in no grid', round(ST_X(geom)::numeric, 7), round(ST_Y(geom)::numeric, 7)),
      DETAIL = json_build_object('field', 'geometry', 'layer', tbl, 'id', id, 'lon', ST_X(geom), 'lat', ST_Y(geom))::text;
  END IF;
  RAISE EXCEPTION USING ERRCODE = 'RM001',
    MESSAGE = format('point (%s, %s) lies in grid %s, not in grid %s', round(ST_X(geom)::numeric, 7),
                     round(ST_Y(geom)::numeric, 7), right_grid, coalesce(given, 'none')),
    DETAIL = json_build_object('field', 'geometry', 'layer', tbl, 'id', id, 'grid', right_grid,
                               'given_grid', given, 'lon', ST_X(geom), 'lat', ST_Y(geom))::text;
END $$;

CREATE OR REPLACE FUNCTION riskmap_place_verify() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  bad record;
BEGIN
  EXECUTE riskmap_place_check_sql('new_rows', 1) INTO bad;
  IF bad.id IS NULL THEN
    EXECUTE riskmap_place_check_sql('new_rows', 2) INTO bad;
  END IF;
  IF bad.id IS NOT NULL THEN
    PERFORM riskmap_place_refuse(TG_TABLE_NAME, bad.id, bad.geom, bad.grid_code);
  END IF;
  RETURN NULL;
END $$;

-- Tile clusters: delta yields (s = +1 or -1, grid_code, l = level, g =
-- geom_3857); the query upserts the sums and returns the cells it emptied,
-- which riskmap_tile_clusters_prune deletes in a statement of its own (one
-- statement cannot delete the row versions it has just written). As in
-- 302_tile_clusters_bulk.sql the points are summed once per cell of the
-- highest zoom; each lower zoom is now summed from the one above it (the
-- cell of zoom z-1 holding a cell of zoom z is its indices shifted right by
-- one) instead of every zoom from the highest: a million points made 14
-- million rows to group, the cascade about a tenth of that. Counts are
-- exact as before; coordinate sums are added in another order. Cells that
-- net out to zero (an UPDATE that moved nothing between cells) are skipped.
CREATE FUNCTION riskmap_tile_clusters_sql(tbl text, maxz integer, delta text) RETURNS text LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
  q text;
  z integer;
  levels text[] := ARRAY[format('SELECT * FROM l%s', maxz)];
BEGIN
  q := format($q$
    WITH d AS (%1$s),
    l%2$s AS MATERIALIZED (
      SELECT %2$s::smallint AS z, c.cy, c.cx, d.grid_code, sum(d.s)::integer AS n,
             coalesce(sum(d.s) FILTER (WHERE d.l = 1), 0)::integer AS n1,
             coalesce(sum(d.s) FILTER (WHERE d.l = 2), 0)::integer AS n2,
             coalesce(sum(d.s) FILTER (WHERE d.l = 3), 0)::integer AS n3,
             coalesce(sum(d.s) FILTER (WHERE d.l = 4), 0)::integer AS n4,
             sum(d.s * ST_X(d.g)) AS sx, sum(d.s * ST_Y(d.g)) AS sy
        FROM d CROSS JOIN LATERAL riskmap_tile_cells(d.g, %2$s) c
       WHERE c.z = %2$s
       GROUP BY 2, 3, 4
    )$q$, delta, maxz);
  FOR z IN REVERSE maxz - 1 .. 0 LOOP
    q := q || format($q$,
    l%1$s AS MATERIALIZED (
      SELECT %1$s::smallint AS z, u.cy >> 1 AS cy, u.cx >> 1 AS cx, u.grid_code, sum(u.n)::integer AS n,
             sum(u.n1)::integer AS n1, sum(u.n2)::integer AS n2, sum(u.n3)::integer AS n3, sum(u.n4)::integer AS n4,
             sum(u.sx) AS sx, sum(u.sy) AS sy
        FROM l%2$s u GROUP BY 2, 3, 4
    )$q$, z, z + 1);
    levels := levels || format('SELECT * FROM l%s', z);
  END LOOP;
  RETURN q || format($q$,
    agg AS (%1$s),
    up AS (
      INSERT INTO tile_clusters AS t (layer, z, cy, cx, grid_code, n, n1, n2, n3, n4, sx, sy)
      SELECT %2$L, z, cy, cx, grid_code, n, n1, n2, n3, n4, sx, sy FROM agg
       WHERE n <> 0 OR sx <> 0 OR sy <> 0 OR n1 <> 0 OR n2 <> 0 OR n3 <> 0 OR n4 <> 0
       ORDER BY z, cy, cx, grid_code
      ON CONFLICT (layer, z, cy, cx, grid_code) DO UPDATE
        SET n = t.n + excluded.n, n1 = t.n1 + excluded.n1, n2 = t.n2 + excluded.n2,
            n3 = t.n3 + excluded.n3, n4 = t.n4 + excluded.n4, sx = t.sx + excluded.sx, sy = t.sy + excluded.sy
      RETURNING t.z, t.cy, t.cx, t.grid_code, t.n
    )
    SELECT array_agg(z), array_agg(cy), array_agg(cx), array_agg(grid_code) FROM up WHERE n <= 0
  $q$, array_to_string(levels, ' UNION ALL '), tbl);
END $$;

CREATE FUNCTION riskmap_tile_clusters_prune(tbl text, zs smallint[], cys integer[], cxs integer[], gcs text[]) RETURNS void LANGUAGE sql AS $$
  DELETE FROM tile_clusters t USING unnest(zs, cys, cxs, gcs) AS e(z, cy, cx, grid_code)
   WHERE t.layer = tbl AND t.z = e.z AND t.cy = e.cy AND t.cx = e.cx AND t.grid_code = e.grid_code
$$;

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
  EXECUTE riskmap_tile_clusters_sql(TG_TABLE_NAME, maxz, delta) INTO zs, cys, cxs, gcs;
  IF zs IS NOT NULL THEN
    PERFORM riskmap_tile_clusters_prune(TG_TABLE_NAME, zs, cys, cxs, gcs);
  END IF;
  RETURN NULL;
END $$;

-- Tile notifications (100_tiles.sql): changes yields (id, og, ng), n is
-- its count; the query yields the payloads to send.
CREATE FUNCTION riskmap_tiles_notify_sql(tbl text, changes text, n bigint) RETURNS text LANGUAGE sql IMMUTABLE AS $$
  SELECT CASE WHEN n <= 2000 THEN format($q$
      SELECT json_build_object('t', %L, 'c', json_agg(json_build_array(c.id, riskmap_tiles_box(c.og), riskmap_tiles_box(c.ng))))::text
        FROM (SELECT c.*, (row_number() OVER () - 1) / 40 AS chunk FROM (%s) c) c
       GROUP BY c.chunk$q$, tbl, changes)
  ELSE format($q$
      WITH c AS (%2$s),
      b AS (SELECT c.og AS g FROM c WHERE c.og IS NOT NULL UNION ALL SELECT c.ng FROM c WHERE c.ng IS NOT NULL),
      cells AS (
        SELECT ST_Extent(b.g)::geometry AS g
          FROM b GROUP BY floor(ST_X(ST_Centroid(b.g)) / 2000), floor(ST_Y(ST_Centroid(b.g)) / 2000)
      )
      SELECT json_build_object('t', %1$L, 'c', json_agg(json_build_array(NULL, NULL, riskmap_tiles_box(cells.g))))::text
        FROM (SELECT cells.*, (row_number() OVER () - 1) / 60 AS chunk FROM cells) cells
       GROUP BY cells.chunk$q$, tbl, changes) END
$$;

CREATE OR REPLACE FUNCTION riskmap_tiles_notify() RETURNS trigger LANGUAGE plpgsql AS $$
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
  END IF;
  FOR payload IN EXECUTE riskmap_tiles_notify_sql(TG_TABLE_NAME, changes, n) LOOP
    PERFORM pg_notify('riskmap_tiles', payload);
  END LOOP;
  RETURN NULL;
END $$;

-- The live feed (574_feature_feed.sql): changes yields (id, was, now); the
-- query yields the count, the first 50 ids and the places.
CREATE FUNCTION riskmap_feature_feed_sql(changes text) RETURNS text LANGUAGE sql IMMUTABLE AS $$
  SELECT format($q$
    SELECT count(*), (SELECT coalesce(jsonb_agg(x.id), '[]') FROM (SELECT c.id FROM (%1$s) c LIMIT 50) x),
           (SELECT array_agg(DISTINCT p) FROM (SELECT c.was AS p FROM (%1$s) c UNION SELECT c.now FROM (%1$s) c) q WHERE p IS NOT NULL)
      FROM (%1$s) c$q$, changes)
$$;

CREATE FUNCTION riskmap_feature_feed_send(tbl text, n bigint, ids jsonb, places text[]) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
  everywhere boolean := false;
BEGIN
  IF n = 0 THEN
    RETURN;
  END IF;
  IF cardinality(places) > 200 THEN
    -- the townships instead: the first 9 digits, as a 12-digit area code
    SELECT array_agg(DISTINCT left(p, 9) || '000') INTO places FROM unnest(places) p;
    IF cardinality(places) > 200 THEN
      places := '{}';
      everywhere := true;
    END IF;
  END IF;
  PERFORM pg_notify('riskmap_cases', jsonb_build_object('kind', 'feature', 'places', coalesce(places, '{}'), 'all', everywhere,
    'data', jsonb_build_object('layer', tbl, 'ids', ids, 'count', n))::text);
END $$;

CREATE OR REPLACE FUNCTION riskmap_feature_feed() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  col text := TG_ARGV[0];
  changes text;
  places text[];
  ids jsonb;
  n bigint;
BEGIN
  changes := CASE TG_OP
    WHEN 'INSERT' THEN format('SELECT n.id, NULL::text AS was, n.%1$I::text AS now FROM new_rows n', col)
    WHEN 'DELETE' THEN format('SELECT o.id, o.%1$I::text AS was, NULL::text AS now FROM old_rows o', col)
    -- rows an UPDATE rewrote without changing change no map
    ELSE format('SELECT n.id, o.%1$I::text AS was, n.%1$I::text AS now FROM old_rows o JOIN new_rows n ON n.id = o.id WHERE o IS DISTINCT FROM n', col)
  END;
  EXECUTE riskmap_feature_feed_sql(changes) INTO n, ids, places;
  PERFORM riskmap_feature_feed_send(TG_TABLE_NAME, n, ids, places);
  RETURN NULL;
END $$;

-- Risk areas (573_risk_areas.sql): grids yields the grid codes whose
-- township's risk_areas tiles change; the query yields those townships.
CREATE FUNCTION riskmap_risk_areas_sql(grids text) RETURNS text LANGUAGE sql IMMUTABLE AS $$
  SELECT format($q$
    SELECT a.code, a.geom FROM areas a WHERE a.level = 'township' AND a.code IN (
      SELECT left(x.grid_code, 9) || '000' FROM (%s) x)$q$, grids)
$$;

CREATE OR REPLACE FUNCTION riskmap_risk_areas_notify() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  twp record;
BEGIN
  FOR twp IN EXECUTE riskmap_risk_areas_sql(CASE TG_OP
      WHEN 'INSERT' THEN 'SELECT grid_code FROM new_rows'
      WHEN 'DELETE' THEN 'SELECT grid_code FROM old_rows'
      ELSE 'SELECT n.grid_code FROM new_rows n JOIN old_rows o ON o.id = n.id
             WHERE (n.grid_code, n.risk_level, n.status) IS DISTINCT FROM (o.grid_code, o.risk_level, o.status)
            UNION SELECT o.grid_code FROM new_rows n JOIN old_rows o ON o.id = n.id
             WHERE (n.grid_code, n.risk_level, n.status) IS DISTINCT FROM (o.grid_code, o.risk_level, o.status)'
    END)
  LOOP
    PERFORM riskmap_tiles_changed('risk_areas', twp.code, twp.geom, twp.geom);
  END LOOP;
  RETURN NULL;
END $$;

-- 2. The bulk mode.

-- Jobs written in bulk and not finished yet in this transaction.
CREATE TABLE import_bulk_pending (
  layer  text PRIMARY KEY,
  job_id bigint NOT NULL,
  rows   bigint NOT NULL -- rows the transaction's statements wrote, each once
);

-- Every statement of a bulk job: refused unless audited per job and the
-- layer is the transaction's alone; the rows an UPDATE replaces are kept
-- as they were before the job (a row the job already wrote names it); the
-- job is marked to finish.
CREATE FUNCTION riskmap_bulk_job() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  job bigint := nullif(current_setting('riskmap.import_job_id', true), '')::bigint;
  stash text := 'riskmap_bulk_old_' || TG_TABLE_NAME;
  written bigint;
BEGIN
  IF current_setting('riskmap.bulk', true) IS DISTINCT FROM 'job' THEN
    RAISE EXCEPTION 'riskmap.placement = job: only a bulk load (riskmap.bulk = job) checks its placement per job';
  END IF;
  IF current_setting('riskmap.audit_mode', true) IS DISTINCT FROM 'job' OR job IS NULL THEN
    RAISE EXCEPTION 'riskmap.bulk = job: the load must be audited per job (riskmap.audit_mode = job and riskmap.import_job_id)';
  END IF;
  IF TG_OP = 'DELETE' THEN
    RAISE EXCEPTION 'riskmap.bulk = job: a bulk load cannot delete from %', TG_TABLE_NAME;
  END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_locks l
                  WHERE l.locktype = 'relation' AND l.relation = TG_RELID AND l.pid = pg_backend_pid()
                    AND l.mode = 'AccessExclusiveLock' AND l.granted) THEN
    RAISE EXCEPTION 'riskmap.bulk = job: % must be locked ACCESS EXCLUSIVE by the transaction', TG_TABLE_NAME;
  END IF;
  IF to_regclass('pg_temp.' || quote_ident(stash)) IS NULL THEN
    EXECUTE format('CREATE TEMP TABLE %I (LIKE %I) ON COMMIT DROP', stash, TG_TABLE_NAME);
  END IF;
  IF TG_OP = 'UPDATE' THEN
    EXECUTE format('INSERT INTO pg_temp.%I SELECT * FROM old_rows o WHERE o.import_job_id IS DISTINCT FROM $1', stash) USING job;
    GET DIAGNOSTICS written = ROW_COUNT;
  ELSE
    SELECT count(*) INTO written FROM new_rows;
  END IF;
  INSERT INTO import_bulk_pending AS p (layer, job_id, rows) VALUES (TG_TABLE_NAME, job, written)
    ON CONFLICT (layer) DO UPDATE SET rows = p.rows + excluded.rows;
  RETURN NULL;
END $$;

-- Does a bulk job's per-statement work once: its rows are those naming the
-- job, the rows they replaced are kept in pg_temp.riskmap_bulk_old_<layer>.
-- Leaves the bulk mode: later statements of the transaction are handled
-- statement by statement again.
CREATE FUNCTION riskmap_bulk_finish(layer text) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
  job bigint;
  written bigint;
  stash text := 'riskmap_bulk_old_' || layer;
  new_src text;
  old_src text;
  bad record;
  args text[];
  zs smallint[];
  cys integer[];
  cxs integer[];
  gcs text[];
  changes text;
  n bigint;
  ids jsonb;
  places text[];
  payload text;
  twp record;
BEGIN
  SELECT p.job_id, p.rows INTO job, written FROM import_bulk_pending p WHERE p.layer = riskmap_bulk_finish.layer;
  IF job IS NULL THEN
    RETURN; -- nothing written in bulk
  END IF;
  -- the job's rows are those naming it: all written by this transaction
  EXECUTE format('SELECT count(*) FROM %I WHERE import_job_id = $1', layer) USING job INTO n;
  IF n <> written THEN
    RAISE EXCEPTION 'riskmap.bulk = job: % rows of % name job %, this transaction wrote %: a bulk load needs a job of its own',
      n, layer, job, written;
  END IF;
  new_src := format('(SELECT * FROM %I WHERE import_job_id = %s)', layer, job);
  old_src := format('pg_temp.%I', stash);
  -- the planner's figures for what the job wrote (a layer empty when it
  -- last looked would be joined row by row)
  EXECUTE format('ANALYZE %I', layer);
  EXECUTE format('ANALYZE %s', old_src);
  -- placement
  IF current_setting('riskmap.placement', true) = 'job' THEN
    EXECUTE riskmap_place_check_sql(new_src, 1) INTO bad;
    IF bad.id IS NULL THEN
      EXECUTE riskmap_place_check_sql(new_src, 2) INTO bad;
    END IF;
    IF bad.id IS NOT NULL THEN
      PERFORM riskmap_place_refuse(layer, bad.id, bad.geom, bad.grid_code);
    END IF;
  END IF;
  -- tile clusters, with the arguments the layer's trigger gives
  SELECT string_to_array(encode(t.tgargs, 'escape'), '\000') INTO args
    FROM pg_trigger t WHERE t.tgrelid = layer::regclass AND t.tgname = 'tile_clusters_ins';
  IF args IS NOT NULL THEN
    EXECUTE riskmap_tile_clusters_sql(layer, args[2]::integer, format(
      'SELECT 1 AS s, r.grid_code, r.%1$I::integer AS l, r.geom_3857 AS g FROM %2$s r WHERE r.status = ''active''
       UNION ALL
       SELECT -1, r.grid_code, r.%1$I::integer, r.geom_3857 FROM %3$s r WHERE r.status = ''active''', args[1], new_src, old_src))
      INTO zs, cys, cxs, gcs;
    IF zs IS NOT NULL THEN
      PERFORM riskmap_tile_clusters_prune(layer, zs, cys, cxs, gcs);
    END IF;
  END IF;
  -- tile notifications (a new row has no old geometry)
  changes := format('SELECT n.id::text AS id, o.geom_3857 AS og, n.geom_3857 AS ng FROM %s n LEFT JOIN %s o ON o.id = n.id', new_src, old_src);
  EXECUTE 'SELECT count(*) FROM (' || changes || ') c' INTO n;
  IF n > 0 THEN
    FOR payload IN EXECUTE riskmap_tiles_notify_sql(layer, changes, n) LOOP
      PERFORM pg_notify('riskmap_tiles', payload);
    END LOOP;
  END IF;
  -- the live feed
  EXECUTE riskmap_feature_feed_sql(format('SELECT n.id, o.grid_code::text AS was, n.grid_code::text AS now FROM %s n LEFT JOIN %s o ON o.id = n.id',
    new_src, old_src)) INTO n, ids, places;
  PERFORM riskmap_feature_feed_send(layer, n, ids, places);
  -- risk areas
  IF EXISTS (SELECT 1 FROM pg_trigger t WHERE t.tgrelid = layer::regclass AND t.tgname = 'risk_areas_notify_ins') THEN
    FOR twp IN EXECUTE riskmap_risk_areas_sql(format(
        'SELECT n.grid_code FROM %1$s n LEFT JOIN %2$s o ON o.id = n.id
          WHERE (n.grid_code, n.risk_level, n.status) IS DISTINCT FROM (o.grid_code, o.risk_level, o.status)
         UNION SELECT o.grid_code FROM %1$s n JOIN %2$s o ON o.id = n.id
          WHERE (n.grid_code, n.risk_level, n.status) IS DISTINCT FROM (o.grid_code, o.risk_level, o.status)', new_src, old_src))
    LOOP
      PERFORM riskmap_tiles_changed('risk_areas', twp.code, twp.geom, twp.geom);
    END LOOP;
  END IF;
  DELETE FROM import_bulk_pending p WHERE p.layer = riskmap_bulk_finish.layer;
  EXECUTE format('DROP TABLE %s', old_src);
  PERFORM set_config('riskmap.bulk', '', true), set_config('riskmap.placement', '', true);
END $$;

-- A job the client left unfinished is finished at commit.
CREATE FUNCTION riskmap_bulk_pending() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF EXISTS (SELECT 1 FROM import_bulk_pending p WHERE p.layer = NEW.layer) THEN
    PERFORM riskmap_bulk_finish(NEW.layer);
  END IF;
  RETURN NULL;
END $$;
CREATE CONSTRAINT TRIGGER finish_at_commit AFTER INSERT ON import_bulk_pending DEFERRABLE INITIALLY DEFERRED
  FOR EACH ROW EXECUTE FUNCTION riskmap_bulk_pending();

-- 3. The point layers' triggers in bulk mode: the per-statement work stands
--    aside (same triggers, same arguments, one more condition), the row
--    placement stands aside for placement 'job' as for 'verify', and the
--    bulk job trigger runs.
DO $$
DECLARE
  t text;
  tg record;
BEGIN
  FOREACH t IN ARRAY ARRAY['risk_points', 'hazard_sources', 'stations', 'depots'] LOOP
    FOR tg IN SELECT g.tgname, pg_get_triggerdef(g.oid) AS def FROM pg_trigger g
               WHERE g.tgrelid = t::regclass AND NOT g.tgisinternal
                 AND (g.tgname ~ '^(tile_clusters|tiles_notify|feature_feed|risk_areas_notify)_(ins|upd|del)$')
    LOOP
      IF tg.def ~ ' WHEN ' THEN
        RAISE EXCEPTION 'trigger % on % has a condition already', tg.tgname, t;
      END IF;
      EXECUTE format('DROP TRIGGER %I ON %I', tg.tgname, t);
      EXECUTE replace(tg.def, ' EXECUTE FUNCTION ', $w$ WHEN (current_setting('riskmap.bulk', true) IS DISTINCT FROM 'job') EXECUTE FUNCTION $w$);
    END LOOP;
    EXECUTE format('DROP TRIGGER a_place ON %I', t);
    EXECUTE format($q$CREATE TRIGGER a_place BEFORE INSERT OR UPDATE OF geom, grid_code ON %I FOR EACH ROW
      WHEN (coalesce(current_setting('riskmap.placement', true), '') NOT IN ('verify', 'job')) EXECUTE FUNCTION riskmap_place()$q$, t);
    EXECUTE format($q$CREATE TRIGGER zz_bulk_job_ins AFTER INSERT ON %I REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT
      WHEN (current_setting('riskmap.bulk', true) = 'job' OR current_setting('riskmap.placement', true) = 'job')
      EXECUTE FUNCTION riskmap_bulk_job()$q$, t);
    EXECUTE format($q$CREATE TRIGGER zz_bulk_job_upd AFTER UPDATE ON %I REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT
      WHEN (current_setting('riskmap.bulk', true) = 'job' OR current_setting('riskmap.placement', true) = 'job')
      EXECUTE FUNCTION riskmap_bulk_job()$q$, t);
    EXECUTE format($q$CREATE TRIGGER zz_bulk_job_del AFTER DELETE ON %I FOR EACH STATEMENT
      WHEN (current_setting('riskmap.bulk', true) = 'job' OR current_setting('riskmap.placement', true) = 'job')
      EXECUTE FUNCTION riskmap_bulk_job()$q$, t);
  END LOOP;
END $$;
