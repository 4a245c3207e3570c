-- Geometries in the audit log with every digit. The audit wrote them with
-- 8 decimals (about 1 mm), and decided whether an update changed anything
-- by comparing those: a vertex moved by less than that was a new version
-- with no audit line, and the history could not give back the shape that
-- was stored. 15 decimals is PostGIS's shortest round-trip form for
-- coordinates in degrees (a double prints back to the same bits).
CREATE OR REPLACE FUNCTION riskmap_audit() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  actor_id text := nullif(current_setting('riskmap.actor_id', true), '');
  actor text := coalesce(nullif(current_setting('riskmap.actor', true), ''), 'db:' || current_user);
  blank constant jsonb := '{"geom": null, "geom_3857": null}';
  b jsonb;
  a jsonb;
BEGIN
  IF TG_OP <> 'INSERT' THEN
    b := to_jsonb(jsonb_populate_record(OLD, blank)) - 'password_hash' - 'geom_3857';
  END IF;
  IF TG_OP <> 'DELETE' THEN
    a := to_jsonb(jsonb_populate_record(NEW, blank)) - 'password_hash' - 'geom_3857';
  END IF;
  -- geometries as GeoJSON, readable in the log
  IF b ? 'geom' THEN b := jsonb_set(b, '{geom}', ST_AsGeoJSON(OLD.geom, 15)::jsonb); END IF;
  IF a ? 'geom' THEN a := jsonb_set(a, '{geom}', ST_AsGeoJSON(NEW.geom, 15)::jsonb); END IF;
  IF TG_OP = 'UPDATE' AND a = b THEN
    RETURN NULL;
  END IF;
  INSERT INTO audit_log (actor_id, actor, tbl, row_id, action, before, after)
  VALUES (actor_id::bigint, actor, TG_TABLE_NAME, coalesce(a ->> 'id', b ->> 'id', coalesce(a, b) ->> 'depot_id', coalesce(a, b) ->> 'user_id'),
          lower(TG_OP), b, a);
  RETURN NULL;
END $$;

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
  SELECT string_agg(CASE WHEN a.attname = 'geom' THEN 'ST_AsGeoJSON(r.geom, 15)::jsonb AS geom' ELSE format('r.%I', a.attname) END,
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
