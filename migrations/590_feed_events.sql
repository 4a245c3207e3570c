-- The live feed, stored: every event sent on GET /api/v1/events (a case
-- change, a notification, an inbox change) is kept for a while under a
-- number, so that a client reconnecting with Last-Event-ID gets exactly
-- what it missed (cases/replay.go).
--
-- Replay is "every event numbered after N", which is only right if numbers
-- follow commit order: a number taken by a transaction that commits later
-- than one with a higher number would be skipped by a client that had seen
-- the higher one. So events are numbered at commit, one transaction at a
-- time: riskmap_feed_publish takes a transaction-level advisory lock before
-- taking a number, and it is called from deferred (commit-time) triggers,
-- so the lock is held only for the commit itself. NOTIFY delivers in commit
-- order too, so live and replayed events agree.

CREATE SEQUENCE feed_events_seq;
CREATE TABLE feed_events (
  id      bigint PRIMARY KEY,
  at      timestamptz NOT NULL DEFAULT now(),
  kind    text NOT NULL CHECK (kind IN ('case', 'notification', 'inbox')),
  -- the event as NOTIFY carries it, without its number
  payload jsonb NOT NULL
);
CREATE INDEX feed_events_at_idx ON feed_events (at);

-- Events up to pruned_through have been removed (older than the replay
-- window): a client that saw less must reload.
CREATE TABLE feed_state (
  one            boolean PRIMARY KEY DEFAULT true CHECK (one),
  pruned_through bigint NOT NULL DEFAULT 0
);
INSERT INTO feed_state DEFAULT VALUES;

CREATE FUNCTION riskmap_feed_publish(kind text, payload jsonb) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
  n bigint;
BEGIN
  -- one committing transaction at a time takes numbers (see above);
  -- 72417590 is this lock's key
  PERFORM pg_advisory_xact_lock(72417590);
  n := nextval('feed_events_seq');
  INSERT INTO feed_events (id, at, kind, payload) VALUES (n, clock_timestamp(), kind, payload);
  PERFORM pg_notify('riskmap_cases', (payload || jsonb_build_object('seq', n, 'kind', kind))::text);
  RETURN n;
END $$;

-- The case trigger of migration 200, now stored and numbered at commit.
CREATE OR REPLACE FUNCTION riskmap_case_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM riskmap_feed_publish('case', jsonb_build_object(
    'id', NEW.id, 'state', NEW.state, 'version', NEW.version,
    'action', nullif(current_setting('riskmap.case_action', true), ''),
    'grid_code', NEW.grid_code, 'township_code', NEW.township_code, 'county_code', NEW.county_code,
    'assignee', NEW.assignee_id,
    'previous_grid_code', CASE WHEN TG_OP = 'UPDATE' THEN OLD.grid_code END,
    'previous_assignee', CASE WHEN TG_OP = 'UPDATE' THEN OLD.assignee_id END,
    'at', now()));
  RETURN NULL;
END $$;
DROP TRIGGER zz_notify ON cases;
CREATE CONSTRAINT TRIGGER zz_notify AFTER INSERT OR UPDATE ON cases
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION riskmap_case_notify();
