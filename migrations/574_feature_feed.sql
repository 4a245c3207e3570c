-- The live feed learns of feature changes (docs/editing.md): a write to a
-- feature layer — through the API, the app, an approved proposal, an import
-- or QGIS — tells the users whose scope it touches that their map changed,
-- so the app fetches its tiles again at once instead of asking every few
-- seconds. And a proposal's proposer hears its decision.
--
-- These events are announced on the feed's channel (riskmap_cases) at
-- commit (NOTIFY is transactional) without a number: they are not stored
-- for replay, since a client that reconnects reloads its tiles anyway.
-- One event per statement, not per row, so a bulk import sends one:
--   {"kind": "feature", "places": [codes], "all": bool,
--    "data": {"layer": ..., "ids": [first 50], "count": n}}
-- places are the grid codes (15 digits) of the rows before and after, or
-- for area rows their codes; beyond 200 grids the townships' codes
-- (12 digits) instead, and beyond 200 townships "all" (NOTIFY payloads are
-- limited to 8000 bytes).

CREATE FUNCTION riskmap_feature_feed() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  col text := TG_ARGV[0];
  changes text;
  places text[];
  ids jsonb;
  n bigint;
  everywhere boolean := false;
BEGIN
  changes := CASE TG_OP
    WHEN 'INSERT' THEN format('SELECT n.id, NULL::text AS was, n.%1$I::text AS now FROM new_rows n', col)
    WHEN 'DELETE' THEN format('SELECT o.id, o.%1$I::text AS was, NULL::text AS now FROM old_rows o', col)
    -- rows an UPDATE rewrote without changing change no map
    ELSE format('SELECT n.id, o.%1$I::text AS was, n.%1$I::text AS now FROM old_rows o JOIN new_rows n ON n.id = o.id WHERE o IS DISTINCT FROM n', col)
  END;
  EXECUTE format($q$
    SELECT count(*), (SELECT coalesce(jsonb_agg(x.id), '[]') FROM (SELECT c.id FROM (%1$s) c LIMIT 50) x),
           (SELECT array_agg(DISTINCT p) FROM (SELECT c.was AS p FROM (%1$s) c UNION SELECT c.now FROM (%1$s) c) q WHERE p IS NOT NULL)
      FROM (%1$s) c$q$, changes) INTO n, ids, places;
  IF n = 0 THEN
    RETURN NULL;
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
    'data', jsonb_build_object('layer', TG_TABLE_NAME, 'ids', ids, 'count', n))::text);
  RETURN NULL;
END $$;

DO $$
DECLARE
  t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['risk_points', 'hazard_sources', 'stations', 'depots', 'grids', 'areas'] LOOP
    EXECUTE format('CREATE TRIGGER feature_feed_ins AFTER INSERT ON %I REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION riskmap_feature_feed(%L)',
      t, CASE WHEN t IN ('grids', 'areas') THEN 'code' ELSE 'grid_code' END);
    EXECUTE format('CREATE TRIGGER feature_feed_upd AFTER UPDATE ON %I REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION riskmap_feature_feed(%L)',
      t, CASE WHEN t IN ('grids', 'areas') THEN 'code' ELSE 'grid_code' END);
    EXECUTE format('CREATE TRIGGER feature_feed_del AFTER DELETE ON %I REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION riskmap_feature_feed(%L)',
      t, CASE WHEN t IN ('grids', 'areas') THEN 'code' ELSE 'grid_code' END);
  END LOOP;
END $$;

-- A proposal's decision reaches its proposer on the feed ("proposal", for
-- that user alone); the channel riskmap_proposals of migration 571 had no
-- listener and is no longer sent.
CREATE OR REPLACE FUNCTION riskmap_proposals_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'UPDATE' AND NEW.state IS NOT DISTINCT FROM OLD.state THEN
    RETURN NULL;
  END IF;
  PERFORM pg_notify('riskmap_cases', jsonb_build_object('kind', 'proposal', 'user_id', NEW.proposed_by,
    'data', jsonb_build_object('id', NEW.id, 'state', NEW.state, 'version', NEW.version, 'kind', NEW.kind,
      'layer', NEW.layer, 'applied_id', NEW.applied_id, 'grid_code', NEW.grid_code))::text);
  RETURN NULL;
END $$;
