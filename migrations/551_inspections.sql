-- Inspections of enterprises (监督检查, package inspections): an office's
-- inspection of a hazard source (the registry of 生产经营单位) by at least two
-- of its officers, with findings that become hidden-hazard cases in the same
-- transaction and an optional administrative penalty; and the 双随机 plans
-- that draw units and inspectors at random from a stored seed.

-- 双随机 draws. The candidates as they stood are kept with the seed, so a
-- draw can be replayed exactly even after the registry has changed.
CREATE TABLE inspection_plans (
  id                 bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  area_code          text NOT NULL CHECK (area_code ~ '^[0-9]{12}$'),
  category           text CHECK (category IN ('hazardous_chemicals', 'fireworks', 'non_coal_mine', 'gas', 'industrial_trade', 'other')),
  period_from        date NOT NULL,
  period_to          date NOT NULL,
  units              integer NOT NULL CHECK (units > 0),
  inspectors         integer NOT NULL CHECK (inspectors >= 2),
  seed               bigint NOT NULL CHECK (seed >= 0),
  -- the drawing office: its level and area
  level              text NOT NULL CHECK (level IN ('township', 'county', 'city')),
  drawn_by           bigint REFERENCES users (id),
  drawn_by_name      text NOT NULL,
  drawn_at           timestamptz NOT NULL DEFAULT now(),
  -- what was drawn from, in the order the draw reads it (ids ascending)
  unit_candidates    bigint[] NOT NULL,
  officer_candidates bigint[] NOT NULL,
  CONSTRAINT inspection_plans_period CHECK (period_to >= period_from)
);
CREATE INDEX inspection_plans_area_idx ON inspection_plans (area_code text_pattern_ops);
CREATE TRIGGER zz_audit AFTER INSERT OR UPDATE OR DELETE ON inspection_plans FOR EACH ROW EXECUTE FUNCTION riskmap_audit();

-- the units drawn, in draw order: the plan's planned inspections
CREATE TABLE inspection_plan_units (
  plan_id          bigint NOT NULL REFERENCES inspection_plans (id),
  position         integer NOT NULL CHECK (position >= 0),
  hazard_source_id bigint NOT NULL REFERENCES hazard_sources (id),
  PRIMARY KEY (plan_id, position),
  UNIQUE (plan_id, hazard_source_id)
);

-- the officers drawn, in draw order
CREATE TABLE inspection_plan_inspectors (
  plan_id  bigint NOT NULL REFERENCES inspection_plans (id),
  position integer NOT NULL CHECK (position >= 0),
  user_id  bigint NOT NULL REFERENCES users (id),
  name     text NOT NULL,
  PRIMARY KEY (plan_id, position),
  UNIQUE (plan_id, user_id)
);

CREATE TABLE inspections (
  -- a client may make it (a resend is then recognised); else the server does
  id                  uuid PRIMARY KEY,
  seq                 bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
  hazard_source_id    bigint NOT NULL REFERENCES hazard_sources (id),
  inspected_on        date NOT NULL,
  kind                text NOT NULL CHECK (kind IN ('routine', 'random', 'special', 'follow_up')),
  -- the inspecting office: its level ("市局检查" counts level city) and area
  level               text NOT NULL CHECK (level IN ('township', 'county', 'city')),
  office_code         text NOT NULL CHECK (office_code ~ '^[0-9]{12}$'),
  -- a planned unit of a 双随机 draw, when this inspection carries it out
  plan_id             bigint REFERENCES inspection_plans (id),
  note                text CHECK (length(note) <= 2000),
  -- 行政处罚: decision number and fine in yuan, both or neither
  penalty_decision_no text CHECK (btrim(penalty_decision_no) <> '' AND length(penalty_decision_no) <= 100),
  penalty_yuan        numeric(14, 2) CHECK (penalty_yuan >= 0),
  recorded_by         bigint REFERENCES users (id),
  recorded_by_name    text NOT NULL,
  recorded_at         timestamptz NOT NULL DEFAULT now(),
  -- the enterprise as it stood: where it was and its grid
  geom                geometry(Point, 4326) NOT NULL,
  grid_code           text NOT NULL,
  township_code       text NOT NULL,
  county_code         text NOT NULL,
  CONSTRAINT inspections_penalty CHECK ((penalty_decision_no IS NULL) = (penalty_yuan IS NULL)),
  CONSTRAINT inspections_plan_kind CHECK (plan_id IS NULL OR kind = 'random')
);
CREATE INDEX inspections_on_idx ON inspections (inspected_on) INCLUDE (township_code, county_code, hazard_source_id, level, penalty_yuan);
CREATE INDEX inspections_grid_idx ON inspections (grid_code text_pattern_ops, inspected_on);
CREATE INDEX inspections_source_idx ON inspections (hazard_source_id, inspected_on);
CREATE INDEX inspections_plan_idx ON inspections (plan_id, hazard_source_id) WHERE plan_id IS NOT NULL;
CREATE TRIGGER zz_audit AFTER INSERT OR UPDATE OR DELETE ON inspections FOR EACH ROW EXECUTE FUNCTION riskmap_audit();
CREATE TRIGGER append_only BEFORE UPDATE OR DELETE ON inspections FOR EACH ROW EXECUTE FUNCTION riskmap_append_only();

-- the enterprise's place, whoever writes the inspection
CREATE FUNCTION riskmap_inspection_fill() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  hs hazard_sources;
BEGIN
  SELECT * INTO hs FROM hazard_sources WHERE id = NEW.hazard_source_id;
  IF NOT FOUND THEN
    RAISE EXCEPTION USING ERRCODE = 'RM003', MESSAGE = format('no hazard source %s', NEW.hazard_source_id),
      DETAIL = json_build_object('field', 'hazard_source_id', 'id', NEW.hazard_source_id)::text;
  END IF;
  NEW.geom := hs.geom;
  NEW.grid_code := hs.grid_code;
  NEW.township_code := hs.township_code;
  NEW.county_code := hs.county_code;
  RETURN NEW;
END $$;
CREATE TRIGGER a_fill BEFORE INSERT ON inspections FOR EACH ROW EXECUTE FUNCTION riskmap_inspection_fill();

-- the enforcement officers of an inspection, in the order named
CREATE TABLE inspection_inspectors (
  -- the audit log names a row by its id
  id            bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
  inspection_id uuid NOT NULL REFERENCES inspections (id),
  position      smallint NOT NULL CHECK (position >= 0),
  user_id       bigint REFERENCES users (id),
  name          text NOT NULL CHECK (btrim(name) <> ''),
  PRIMARY KEY (inspection_id, position),
  UNIQUE (inspection_id, user_id)
);
CREATE TRIGGER zz_audit AFTER INSERT OR UPDATE OR DELETE ON inspection_inspectors FOR EACH ROW EXECUTE FUNCTION riskmap_audit();

-- The law asks for two enforcement officers: checked at commit, so however
-- an inspection is written, it never stands with fewer.
CREATE FUNCTION riskmap_inspection_two() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  n integer;
BEGIN
  SELECT count(*) INTO n FROM inspection_inspectors WHERE inspection_id = NEW.id;
  IF n < 2 THEN
    RAISE EXCEPTION USING ERRCODE = 'RM003', MESSAGE = format('inspection %s names %s inspector(s): at least two are required', NEW.id, n),
      DETAIL = json_build_object('field', 'inspectors', 'id', NEW.id)::text;
  END IF;
  RETURN NULL;
END $$;
CREATE CONSTRAINT TRIGGER two_inspectors AFTER INSERT ON inspections
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION riskmap_inspection_two();

-- The first reply to a client-made inspection id, replayed on a resend.
CREATE TABLE inspection_replies (
  inspection_id  uuid PRIMARY KEY REFERENCES inspections (id),
  user_id        bigint,
  request_sha256 bytea NOT NULL,
  status         integer NOT NULL,
  reply          text NOT NULL
);

-- Cases an inspection's findings opened carry it (and their hazard source).
-- The statistics count them by report time, like every case, reading only
-- this index.
ALTER TABLE cases ADD COLUMN inspection_id uuid REFERENCES inspections (id);
CREATE INDEX cases_inspection_idx ON cases (inspection_id) WHERE inspection_id IS NOT NULL;
CREATE INDEX cases_inspection_stats_idx ON cases (reported_at)
  INCLUDE (township_code, county_code, grid_code, grade, closed_at, deadline, reopened_at, deadline_changed_at)
  WHERE inspection_id IS NOT NULL AND state NOT IN ('void', 'duplicate');
