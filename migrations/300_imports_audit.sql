-- Bulk audit for imports. The row-level audit trigger (riskmap_audit: one
-- PL/pgSQL call and one INSERT per row) was about 60% of an import's time.
-- In a transaction that sets riskmap.audit_mode = 'statement' (the
-- importer does, transaction-local, next to the actor), the point layers
-- write the very same audit rows from statement-level triggers, one
-- INSERT … SELECT over the statement's transition tables. Every other
-- write is audited row by row exactly as before.
CREATE FUNCTION riskmap_audit_statement() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  actor_id bigint := nullif(current_setting('riskmap.actor_id', true), '')::bigint;
  actor text := coalesce(nullif(current_setting('riskmap.actor', true), ''), 'db:' || current_user);
BEGIN
  IF current_setting('riskmap.audit_mode', true) IS DISTINCT FROM 'statement' THEN
    RETURN NULL;
  END IF;
  -- as riskmap_audit: the row as JSON with its geometry as GeoJSON; an
  -- update that changed nothing is not logged
  IF TG_OP = 'INSERT' THEN
    INSERT INTO audit_log (actor_id, actor, tbl, row_id, action, before, after)
    SELECT actor_id, actor, TG_TABLE_NAME, n.id::text, 'insert', NULL,
           jsonb_set(to_jsonb(n) - 'geom_3857', '{geom}', ST_AsGeoJSON(n.geom, 8)::jsonb)
      FROM new_rows n ORDER BY n.id;
  ELSIF TG_OP = 'UPDATE' THEN
    INSERT INTO audit_log (actor_id, actor, tbl, row_id, action, before, after)
    SELECT actor_id, actor, TG_TABLE_NAME, x.id::text, 'update', x.b, x.a
      FROM (SELECT n.id, jsonb_set(to_jsonb(o) - 'geom_3857', '{geom}', ST_AsGeoJSON(o.geom, 8)::jsonb) AS b,
                   jsonb_set(to_jsonb(n) - 'geom_3857', '{geom}', ST_AsGeoJSON(n.geom, 8)::jsonb) AS a
              FROM old_rows o JOIN new_rows n ON n.id = o.id) x
     WHERE x.a IS DISTINCT FROM x.b ORDER BY x.id;
  ELSE
    INSERT INTO audit_log (actor_id, actor, tbl, row_id, action, before, after)
    SELECT actor_id, actor, TG_TABLE_NAME, o.id::text, 'delete', jsonb_set(to_jsonb(o) - 'geom_3857', '{geom}', ST_AsGeoJSON(o.geom, 8)::jsonb), NULL
      FROM old_rows o ORDER BY o.id;
  END IF;
  RETURN NULL;
END $$;

DO $$
DECLARE
  t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['risk_points', 'hazard_sources', 'stations', 'depots'] LOOP
    -- the row-level trigger as before, silent only in statement mode
    EXECUTE format('DROP TRIGGER zz_audit ON %I', t);
    EXECUTE format($q$CREATE TRIGGER zz_audit AFTER INSERT OR UPDATE OR DELETE ON %I FOR EACH ROW
      WHEN (current_setting('riskmap.audit_mode', true) IS DISTINCT FROM 'statement') EXECUTE FUNCTION riskmap_audit()$q$, t);
    EXECUTE format('CREATE TRIGGER zz_audit_bulk_ins AFTER INSERT ON %I REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION riskmap_audit_statement()', t);
    EXECUTE format('CREATE TRIGGER zz_audit_bulk_upd AFTER UPDATE ON %I REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION riskmap_audit_statement()', t);
    EXECUTE format('CREATE TRIGGER zz_audit_bulk_del AFTER DELETE ON %I REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION riskmap_audit_statement()', t);
  END LOOP;
END $$;
