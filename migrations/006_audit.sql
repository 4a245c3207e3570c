-- The audit log: every write to a layer or account table, with who, when,
-- what, and the row before and after. Written by trigger, so edits made
-- straight in the database (QGIS, psql) are logged too: the API names its
-- user in the transaction setting riskmap.actor; otherwise the database
-- role is recorded.
CREATE TABLE audit_log (
  id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  at         timestamptz NOT NULL DEFAULT now(),
  actor_id   bigint,
  actor      text NOT NULL,
  db_role    text NOT NULL DEFAULT current_user,
  tbl        text NOT NULL,
  row_id     text NOT NULL,
  action     text NOT NULL CHECK (action IN ('insert', 'update', 'delete')),
  before     jsonb,
  after      jsonb
);
CREATE INDEX audit_log_row_idx ON audit_log (tbl, row_id, id);
CREATE INDEX audit_log_at_idx ON audit_log (at);

CREATE FUNCTION riskmap_audit() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  actor_id text := nullif(current_setting('riskmap.actor_id', true), '');
  actor text := coalesce(nullif(current_setting('riskmap.actor', true), ''), 'db:' || current_user);
  b jsonb;
  a jsonb;
BEGIN
  IF TG_OP <> 'INSERT' THEN
    b := to_jsonb(OLD) - 'password_hash' - 'geom_3857';
  END IF;
  IF TG_OP <> 'DELETE' THEN
    a := to_jsonb(NEW) - 'password_hash' - 'geom_3857';
  END IF;
  -- geometries as GeoJSON, readable in the log
  IF b ? 'geom' THEN b := jsonb_set(b, '{geom}', ST_AsGeoJSON(OLD.geom, 8)::jsonb); END IF;
  IF a ? 'geom' THEN a := jsonb_set(a, '{geom}', ST_AsGeoJSON(NEW.geom, 8)::jsonb); END IF;
  IF TG_OP = 'UPDATE' AND a = b THEN
    RETURN NULL;
  END IF;
  INSERT INTO audit_log (actor_id, actor, tbl, row_id, action, before, after)
  VALUES (actor_id::bigint, actor, TG_TABLE_NAME, coalesce(a ->> 'id', b ->> 'id', coalesce(a, b) ->> 'depot_id', coalesce(a, b) ->> 'user_id'),
          lower(TG_OP), b, a);
  RETURN NULL;
END $$;

DO $$
DECLARE
  t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['areas', 'grids', 'risk_points', 'hazard_sources', 'stations', 'depots', 'depot_items',
                           'users', 'user_areas', 'user_grids'] LOOP
    EXECUTE format('CREATE TRIGGER zz_audit AFTER INSERT OR UPDATE OR DELETE ON %I FOR EACH ROW EXECUTE FUNCTION riskmap_audit()', t);
  END LOOP;
END $$;
