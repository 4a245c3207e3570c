-- Patrols of risk points (巡查, package patrols): each active risk point is due
-- for a patrol a number of days after the last one, by risk level; a grid
-- worker's patrol records where the phone was, a checklist, photos and a
-- result, and a patrol that finds a problem opens hidden-hazard cases in
-- the same transaction.
--
-- The due date is derived in one place, riskmap_patrol_due_on, from the
-- risk point's row alone (its last_inspection, which patrols now keep, its
-- creation and level) and the intervals below: the API's due list, the
-- tiles and QGIS all read the same function. "Overdue" also needs today's
-- date, which the caller supplies (tests fix it).

-- Patrol interval by risk level, in days (docs/domain.md): the setting
-- `riskmap serve --patrol-days` writes, or an UPDATE here.
CREATE TABLE patrol_intervals (
  risk_level smallint PRIMARY KEY CHECK (risk_level BETWEEN 1 AND 4),
  days       integer NOT NULL CHECK (days BETWEEN 1 AND 3650),
  -- the audit log names a row by its id
  id         smallint GENERATED ALWAYS AS (risk_level) STORED
);
INSERT INTO patrol_intervals (risk_level, days) VALUES (1, 7), (2, 15), (3, 30), (4, 90);
CREATE TRIGGER zz_audit AFTER INSERT OR UPDATE OR DELETE ON patrol_intervals FOR EACH ROW EXECUTE FUNCTION riskmap_audit();

-- every level keeps an interval: a missing one would leave points never due
CREATE FUNCTION riskmap_patrol_intervals_keep() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION USING ERRCODE = 'RM003', MESSAGE = 'patrol_intervals keeps one row per risk level: update the days instead',
    DETAIL = json_build_object('field', 'patrol_intervals')::text;
END $$;
CREATE TRIGGER keep BEFORE DELETE ON patrol_intervals FOR EACH ROW EXECUTE FUNCTION riskmap_patrol_intervals_keep();
CREATE TRIGGER keep_truncate BEFORE TRUNCATE ON patrol_intervals FOR EACH STATEMENT EXECUTE FUNCTION riskmap_patrol_intervals_keep();

-- a changed interval moves the due dates of its whole level: every risk
-- point tile is made again
CREATE FUNCTION riskmap_patrol_intervals_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('riskmap_tiles', json_build_object('t', 'risk_points', 'all', true)::text);
  RETURN NULL;
END $$;
CREATE TRIGGER zz_tiles AFTER INSERT OR UPDATE ON patrol_intervals FOR EACH STATEMENT EXECUTE FUNCTION riskmap_patrol_intervals_changed();

-- The day a risk point is due for its next patrol: the last patrol (or the
-- last inspection recorded before patrols were kept here) plus its level's
-- interval; a point never patrolled nor inspected is due on the day it was
-- added. Overdue from the day after (today > due_on), by the calendar of
-- UTC+8.
CREATE FUNCTION riskmap_patrol_due_on(last_inspection date, created_at timestamptz, risk_level smallint) RETURNS date
  LANGUAGE sql STABLE PARALLEL SAFE AS $$
  SELECT CASE WHEN last_inspection IS NULL THEN riskmap_cst_day(created_at)
              ELSE last_inspection + (SELECT i.days FROM patrol_intervals i WHERE i.risk_level = riskmap_patrol_due_on.risk_level) END
$$;

CREATE TABLE patrols (
  -- made by the phone: a resent patrol is recognised by it
  id                uuid PRIMARY KEY,
  -- insertion order, for stable paging
  seq               bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
  risk_point_id     bigint NOT NULL REFERENCES risk_points (id),
  worker_id         bigint REFERENCES users (id),
  worker_name       text NOT NULL,
  -- the phone's clock, the server's, and the patrol's time: the phone's,
  -- never later than the server's (a phone clock running ahead cannot move
  -- a due date)
  device_time       timestamptz NOT NULL,
  received_at       timestamptz NOT NULL DEFAULT now(),
  patrolled_at      timestamptz NOT NULL,
  patrol_day        date NOT NULL,
  -- where the phone was, how sure it was, and how far from the point
  geom              geometry(Point, 4326) NOT NULL CHECK (NOT ST_IsEmpty(geom)),
  accuracy_m        real CHECK (accuracy_m >= 0),
  distance_m        real NOT NULL CHECK (distance_m >= 0),
  off_site          boolean NOT NULL,
  off_site_limit_m  real NOT NULL CHECK (off_site_limit_m > 0),
  -- the checklist answered: the point's category, the list's version, the answers
  category          text NOT NULL,
  checklist_version integer NOT NULL CHECK (checklist_version > 0),
  checklist         jsonb NOT NULL,
  result            text NOT NULL CHECK (result IN ('normal', 'problem')),
  note              text CHECK (length(note) <= 2000),
  -- the point as it stood: its level, the due date this patrol answered
  -- (on time when patrol_day <= due_on), its grid
  risk_level        smallint NOT NULL CHECK (risk_level BETWEEN 1 AND 4),
  due_on            date NOT NULL,
  grid_code         text NOT NULL,
  township_code     text NOT NULL,
  county_code       text NOT NULL,
  CONSTRAINT patrols_time CHECK (patrolled_at <= received_at AND patrolled_at <= device_time),
  CONSTRAINT patrols_off_site CHECK (off_site = (distance_m > off_site_limit_m))
);
CREATE INDEX patrols_point_idx ON patrols (risk_point_id, patrolled_at DESC);
CREATE INDEX patrols_grid_idx ON patrols (grid_code text_pattern_ops, patrolled_at);
CREATE INDEX patrols_worker_idx ON patrols (worker_id, patrolled_at);
CREATE INDEX patrols_off_site_idx ON patrols (patrolled_at) WHERE off_site;
-- the statistics: patrols made in a period, and patrols answering the due
-- dates of a period, read from the index alone
CREATE INDEX patrols_day_idx ON patrols (patrol_day) INCLUDE (township_code, county_code, grid_code, off_site, result);
CREATE INDEX patrols_due_idx ON patrols (due_on) INCLUDE (township_code, county_code, grid_code, patrol_day);
CREATE TRIGGER zz_audit AFTER INSERT OR UPDATE OR DELETE ON patrols FOR EACH ROW EXECUTE FUNCTION riskmap_audit();
-- a patrol is a record of what was seen: never changed or removed
CREATE TRIGGER append_only BEFORE UPDATE OR DELETE ON patrols FOR EACH ROW EXECUTE FUNCTION riskmap_append_only();
CREATE TRIGGER append_only_truncate BEFORE TRUNCATE ON patrols FOR EACH STATEMENT EXECUTE FUNCTION riskmap_append_only();

-- What a patrol takes from its risk point, whoever writes it (the API, the
-- demo, a bulk load): the category, level and grid, the distance from the
-- phone and whether that is off-site, and the due date it answered — from
-- the point's patrols before this one, else its last inspection (when it
-- has no patrol yet), else its creation.
CREATE FUNCTION riskmap_patrol_fill() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  rp risk_points;
  base date;
BEGIN
  -- locked, so that two patrols of one point at once answer one due date each
  SELECT * INTO rp FROM risk_points WHERE id = NEW.risk_point_id FOR UPDATE;
  IF NOT FOUND THEN
    RAISE EXCEPTION USING ERRCODE = 'RM003', MESSAGE = format('no risk point %s', NEW.risk_point_id),
      DETAIL = json_build_object('field', 'properties.risk_point_id', 'id', NEW.risk_point_id)::text;
  END IF;
  NEW.patrolled_at := least(NEW.device_time, NEW.received_at);
  NEW.patrol_day := riskmap_cst_day(NEW.patrolled_at);
  NEW.category := rp.category;
  NEW.risk_level := rp.risk_level;
  NEW.grid_code := rp.grid_code;
  NEW.township_code := rp.township_code;
  NEW.county_code := rp.county_code;
  NEW.distance_m := ST_Distance(NEW.geom::geography, rp.geom::geography);
  NEW.off_site := NEW.distance_m > NEW.off_site_limit_m;
  SELECT max(p.patrol_day) INTO base FROM patrols p WHERE p.risk_point_id = rp.id AND p.patrolled_at < NEW.patrolled_at;
  IF base IS NULL AND NOT EXISTS (SELECT 1 FROM patrols p WHERE p.risk_point_id = rp.id) THEN
    base := rp.last_inspection;
  END IF;
  NEW.due_on := riskmap_patrol_due_on(base, rp.created_at, rp.risk_level);
  RETURN NEW;
END $$;
CREATE TRIGGER a_fill BEFORE INSERT ON patrols FOR EACH ROW EXECUTE FUNCTION riskmap_patrol_fill();

-- A risk point's last_inspection is derived from its patrols: the day of the
-- last one, set in the patrol's transaction (so the point's version, its
-- history and its tiles follow). Before its first patrol the value typed in
-- or imported stands (and stays in the point's history afterwards).
CREATE FUNCTION riskmap_patrol_last() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM set_config('riskmap.patrol_sync', 'on', true);
  UPDATE risk_points r SET last_inspection = m.day
    FROM (SELECT p.risk_point_id, max(p.patrol_day) AS day
            FROM patrols p
           WHERE p.risk_point_id IN (SELECT DISTINCT n.risk_point_id FROM new_rows n)
           GROUP BY 1) m
   WHERE r.id = m.risk_point_id AND r.last_inspection IS DISTINCT FROM m.day;
  PERFORM set_config('riskmap.patrol_sync', '', true);
  RETURN NULL;
END $$;
CREATE TRIGGER zz_last AFTER INSERT ON patrols REFERENCING NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION riskmap_patrol_last();

-- ... and nobody else sets it once the point has been patrolled: a value
-- that is not the last patrol's day is refused, naming it.
CREATE FUNCTION riskmap_patrol_last_guard() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  last date;
BEGIN
  IF coalesce(current_setting('riskmap.patrol_sync', true), '') = 'on' THEN
    RETURN NEW;
  END IF;
  SELECT max(p.patrol_day) INTO last FROM patrols p WHERE p.risk_point_id = NEW.id;
  IF last IS NOT NULL AND NEW.last_inspection IS DISTINCT FROM last THEN
    RAISE EXCEPTION USING ERRCODE = 'RM003',
      MESSAGE = format('last_inspection of risk point %s is derived from its patrols: the last was on %s', NEW.id, last),
      DETAIL = json_build_object('field', 'properties.last_inspection', 'id', NEW.id, 'last_patrol_day', last)::text;
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER b_patrol_last BEFORE UPDATE OF last_inspection ON risk_points
  FOR EACH ROW WHEN (OLD.last_inspection IS DISTINCT FROM NEW.last_inspection) EXECUTE FUNCTION riskmap_patrol_last_guard();

-- The photos of a patrol (at least one, checked by the API before anything
-- is written). The bytes live in the blob store, as case evidence does.
CREATE TABLE patrol_photos (
  id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  patrol_id    uuid NOT NULL REFERENCES patrols (id),
  position     smallint NOT NULL CHECK (position >= 0),
  sha256       text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
  content_type text NOT NULL CHECK (content_type IN ('image/jpeg', 'image/png', 'image/webp')),
  size         bigint NOT NULL CHECK (size > 0),
  blob_key     text NOT NULL,
  filename     text,
  UNIQUE (patrol_id, position)
);
CREATE TRIGGER zz_audit AFTER INSERT OR UPDATE OR DELETE ON patrol_photos FOR EACH ROW EXECUTE FUNCTION riskmap_audit();
CREATE TRIGGER append_only BEFORE UPDATE OR DELETE ON patrol_photos FOR EACH ROW EXECUTE FUNCTION riskmap_append_only();

-- The first reply to each patrol id, replayed byte for byte when the phone
-- sends the same patrol again (as case_reports does for reports).
CREATE TABLE patrol_replies (
  patrol_id      uuid PRIMARY KEY REFERENCES patrols (id),
  worker_id      bigint,
  request_sha256 bytea NOT NULL,
  status         integer NOT NULL,
  reply          text NOT NULL
);

-- Cases a patrol opened carry it (and their risk point).
ALTER TABLE cases ADD COLUMN patrol_id uuid REFERENCES patrols (id);
CREATE INDEX cases_patrol_idx ON cases (patrol_id) WHERE patrol_id IS NOT NULL;
CREATE INDEX cases_patrol_stats_idx ON cases (reported_at) INCLUDE (township_code, county_code, grid_code)
  WHERE patrol_id IS NOT NULL AND state NOT IN ('void', 'duplicate');
