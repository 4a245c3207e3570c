-- Hidden hazards (隐患) and their closed loop (docs/domain.md): the cases, the
-- append-only event log of every action on them, the evidence files, and
-- the stored first reply to each client-made report id (offline phones
-- resend; the replay must be identical).

-- States in which a case still needs work; overdue and duplicates look only
-- at these.
CREATE FUNCTION riskmap_case_open(state text) RETURNS boolean LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT state IN ('reported', 'registered', 'assigned', 'rectifying', 'submitted', 'suspended')
$$;

CREATE TABLE cases (
  id                  uuid PRIMARY KEY,
  -- insertion order, for stable paging (uuids carry no order)
  seq                 bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
  state               text NOT NULL DEFAULT 'reported' CHECK (state IN ('reported', 'registered', 'assigned', 'rectifying',
                        'submitted', 'closed', 'void', 'duplicate', 'suspended')),
  grade               text NOT NULL CHECK (grade IN ('general', 'major')),
  category            text NOT NULL CHECK (category IN ('geological', 'flood', 'reservoir', 'coastal', 'forest_fire',
                        'crowded_place', 'construction', 'road_traffic', 'fire', 'other')),
  description         text NOT NULL CHECK (btrim(description) <> '' AND length(description) <= 2000),
  -- server time of the report, and the phone's own clock (offline reports)
  reported_at         timestamptz NOT NULL DEFAULT now(),
  device_time         timestamptz,
  -- people: ids when they have accounts; names always (historical data and
  -- grid workers without accounts)
  reporter_id         bigint REFERENCES users (id),
  reporter_name       text NOT NULL,
  assignee_id         bigint REFERENCES users (id),
  assignee_name       text,
  submitted_by        bigint REFERENCES users (id),
  deadline            timestamptz,
  -- when the current deadline was set: statistics at a past date read the
  -- event history only for cases whose deadline changed after that date
  deadline_set_at     timestamptz,
  closed_at           timestamptz,
  -- the last reopening: likewise, history is read only when it is later
  -- than the date asked about
  reopened_at         timestamptz,
  -- 五落实 of a major hazard, recorded on assignment (the deadline is above)
  responsibility      text,
  measures            text,
  funds               text,
  plan                text,
  interim_controls    text,
  risk_point_id       bigint REFERENCES risk_points (id) ON DELETE SET NULL,
  hazard_source_id    bigint REFERENCES hazard_sources (id) ON DELETE SET NULL,
  duplicate_of        uuid REFERENCES cases (id),
  -- open cases of the same category nearby when it was reported
  possible_duplicates uuid[] NOT NULL DEFAULT '{}',
  grid_code           text NOT NULL REFERENCES grids (code) ON UPDATE CASCADE,
  township_code       text NOT NULL,
  county_code         text NOT NULL,
  geom                geometry(Point, 4326) NOT NULL CHECK (NOT ST_IsEmpty(geom)),
  version             integer NOT NULL DEFAULT 1,
  created_at          timestamptz NOT NULL DEFAULT now(),
  updated_at          timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT cases_closed_at CHECK ((state = 'closed') = (closed_at IS NOT NULL)),
  CONSTRAINT cases_duplicate_of CHECK ((state = 'duplicate') = (duplicate_of IS NOT NULL) AND duplicate_of IS DISTINCT FROM id)
);
CREATE INDEX cases_geom_idx ON cases USING gist (geom);
CREATE INDEX cases_grid_idx ON cases (grid_code text_pattern_ops);
CREATE INDEX cases_township_idx ON cases (township_code);
CREATE INDEX cases_reported_idx ON cases (reported_at);
CREATE INDEX cases_assignee_idx ON cases (assignee_id) WHERE assignee_id IS NOT NULL;
CREATE INDEX cases_open_deadline_idx ON cases (deadline) WHERE riskmap_case_open(state);
CREATE INDEX cases_open_grid_idx ON cases (grid_code) WHERE riskmap_case_open(state);
CREATE TRIGGER a_place BEFORE INSERT OR UPDATE OF geom, grid_code ON cases FOR EACH ROW EXECUTE FUNCTION riskmap_place();
CREATE TRIGGER z_version BEFORE UPDATE ON cases FOR EACH ROW EXECUTE FUNCTION riskmap_bump_version();
CREATE TRIGGER zz_audit AFTER INSERT OR UPDATE OR DELETE ON cases FOR EACH ROW EXECUTE FUNCTION riskmap_audit();

-- Every action on a case, in order. Never updated or deleted.
CREATE TABLE case_events (
  id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  case_id      uuid NOT NULL REFERENCES cases (id),
  at           timestamptz NOT NULL DEFAULT now(),
  actor_id     bigint REFERENCES users (id),
  actor        text NOT NULL,
  role         text NOT NULL,
  action       text NOT NULL CHECK (action IN ('report', 'register', 'void', 'merge', 'assign', 'return', 'start', 'extend',
                 'suspend', 'resume', 'submit', 'approve', 'reject', 'reopen')),
  from_state   text,
  to_state     text NOT NULL,
  -- the case's version after this event
  version      integer NOT NULL,
  note         text,
  reason       text,
  attachments  uuid[] NOT NULL DEFAULT '{}',
  -- what the action set: the deadline (assign, extend), the assignee
  -- (assign), the case it duplicates (merge), other fields (details)
  deadline     timestamptz,
  assignee_id  bigint,
  duplicate_of uuid,
  details      jsonb,
  -- where the actor stood, when the phone sent it
  geom         geometry(Point, 4326)
);
CREATE INDEX case_events_case_idx ON case_events (case_id, at, id);

CREATE FUNCTION riskmap_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION USING ERRCODE = 'RM003',
    MESSAGE = format('%s is append-only: rows are never updated or deleted', TG_TABLE_NAME),
    DETAIL = json_build_object('field', TG_TABLE_NAME, 'operation', lower(TG_OP))::text;
END $$;
CREATE TRIGGER append_only BEFORE UPDATE OR DELETE ON case_events FOR EACH ROW EXECUTE FUNCTION riskmap_append_only();
CREATE TRIGGER append_only_truncate BEFORE TRUNCATE ON case_events FOR EACH STATEMENT EXECUTE FUNCTION riskmap_append_only();

-- Evidence: photos and documents. The bytes live in the blob store under a
-- content-derived key; the row is written only once the blob is in place.
CREATE TABLE attachments (
  id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  case_id      uuid NOT NULL REFERENCES cases (id),
  sha256       text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
  content_type text NOT NULL CHECK (content_type IN ('image/jpeg', 'image/png', 'image/webp', 'application/pdf')),
  size         bigint NOT NULL CHECK (size > 0),
  blob_key     text NOT NULL,
  filename     text,
  uploaded_by  bigint REFERENCES users (id),
  uploaded_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX attachments_case_idx ON attachments (case_id);
CREATE TRIGGER zz_audit AFTER INSERT OR UPDATE OR DELETE ON attachments FOR EACH ROW EXECUTE FUNCTION riskmap_audit();

-- The first reply to each report, replayed byte for byte when the same
-- client-made id comes again with the same content.
CREATE TABLE case_reports (
  case_id        uuid PRIMARY KEY REFERENCES cases (id),
  reporter_id    bigint,
  request_sha256 bytea NOT NULL,
  status         integer NOT NULL,
  reply          text NOT NULL,
  at             timestamptz NOT NULL DEFAULT now()
);

-- The live feed: every change to a case is announced (at commit) on channel
-- riskmap_cases, with what a subscriber needs to decide whether it is in its
-- scope. The action, when the API performs one, comes from the
-- transaction-local setting riskmap.case_action.
CREATE FUNCTION riskmap_case_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('riskmap_cases', json_build_object(
    'id', NEW.id, 'state', NEW.state, 'version', NEW.version,
    'action', nullif(current_setting('riskmap.case_action', true), ''),
    'grid_code', NEW.grid_code, 'township_code', NEW.township_code, 'county_code', NEW.county_code,
    'assignee', NEW.assignee_id,
    'previous_grid_code', CASE WHEN TG_OP = 'UPDATE' THEN OLD.grid_code END,
    'previous_assignee', CASE WHEN TG_OP = 'UPDATE' THEN OLD.assignee_id END,
    'at', now())::text);
  RETURN NULL;
END $$;
CREATE TRIGGER zz_notify AFTER INSERT OR UPDATE ON cases FOR EACH ROW EXECUTE FUNCTION riskmap_case_notify();

-- When a grid's polygon changes, cases it gains or loses are placed again,
-- as points are (riskmap_grid_replace); only cases whose grid really
-- changes are touched.
CREATE FUNCTION riskmap_case_grid_replace() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE cases SET grid_code = grid_code
   WHERE ((geom && OLD.geom AND ST_Intersects(geom, OLD.geom)) OR (geom && NEW.geom AND ST_Intersects(geom, NEW.geom)))
     AND grid_code IS DISTINCT FROM riskmap_grid_at(geom);
  RETURN NULL;
END $$;
CREATE CONSTRAINT TRIGGER case_grid_replace AFTER UPDATE OF geom ON grids
  DEFERRABLE INITIALLY IMMEDIATE FOR EACH ROW EXECUTE FUNCTION riskmap_case_grid_replace();

-- Open cases per grid, for the map (the tiles migration defines this view
-- with no rows; here it starts counting). grid_code stays a grouping column
-- so a filter on it reaches the index. The column type follows an existing
-- definition so CREATE OR REPLACE works whichever side ran first.
DO $$
DECLARE
  typ text;
BEGIN
  SELECT format_type(a.atttypid, a.atttypmod) INTO typ
    FROM pg_attribute a
   WHERE a.attrelid = to_regclass('grid_open_cases') AND a.attname = 'open_cases' AND NOT a.attisdropped;
  EXECUTE format($v$CREATE OR REPLACE VIEW grid_open_cases (grid_code, open_cases) AS
    SELECT grid_code, count(*)::%s FROM cases WHERE riskmap_case_open(state) GROUP BY grid_code$v$, coalesce(typ, 'integer'));
END $$;

-- A case opening, closing or moving changes its grid's open_cases, an
-- attribute of the grid tiles: tell the tile caches (when the tiles
-- migration is there).
CREATE FUNCTION riskmap_case_tiles() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF to_regprocedure('riskmap_tiles_changed(text,text,geometry,geometry)') IS NULL THEN
    RETURN NULL;
  END IF;
  IF TG_OP = 'INSERT' OR riskmap_case_open(OLD.state) <> riskmap_case_open(NEW.state) OR OLD.grid_code <> NEW.grid_code THEN
    PERFORM riskmap_tiles_changed('grids', g.id::text, g.geom, g.geom)
       FROM grids g
      WHERE g.code = NEW.grid_code OR (TG_OP = 'UPDATE' AND g.code = OLD.grid_code);
  END IF;
  RETURN NULL;
END $$;
CREATE TRIGGER zz_tiles AFTER INSERT OR UPDATE OF state, grid_code ON cases FOR EACH ROW EXECUTE FUNCTION riskmap_case_tiles();
