-- Point layers: risk points, hazard sources, emergency stations and supply
-- depots. Every point carries grid_code, township_code and county_code,
-- derived by trigger from where it lies, never typed in by hand.

-- The grid containing a point: covered by the grid (boundary included); on a
-- shared edge the smallest code wins. geo.GridIndex implements the same rule.
CREATE FUNCTION riskmap_grid_at(p geometry) RETURNS text LANGUAGE sql STABLE PARALLEL SAFE AS $$
  SELECT code FROM grids WHERE ST_Covers(geom, p) ORDER BY code LIMIT 1
$$;

CREATE FUNCTION riskmap_place() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.grid_code := riskmap_grid_at(NEW.geom);
  IF NEW.grid_code IS NULL THEN
    RAISE EXCEPTION USING ERRCODE = 'RM001',
      MESSAGE = format('point (%s, %s) lies in no grid', round(ST_X(NEW.geom)::numeric, 7), round(ST_Y(NEW.geom)::numeric, 7)),
      DETAIL = json_build_object('field', 'geometry', 'layer', TG_TABLE_NAME, 'id', NEW.id,
                                 'lon', ST_X(NEW.geom), 'lat', ST_Y(NEW.geom))::text;
  END IF;
  NEW.township_code := left(NEW.grid_code, 9) || '000';
  NEW.county_code := left(NEW.grid_code, 6) || '000000';
  RETURN NEW;
END $$;

CREATE TABLE risk_points (
  id                 bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  external_id        text UNIQUE,
  name               text NOT NULL CHECK (btrim(name) <> ''),
  category           text NOT NULL CHECK (category IN ('geological', 'flood', 'reservoir', 'coastal', 'forest_fire',
                                                       'crowded_place', 'construction', 'road_traffic', 'fire', 'other')),
  risk_level         smallint NOT NULL CHECK (risk_level BETWEEN 1 AND 4),
  address            text,
  responsible_unit   text,
  responsible_person text,
  phone              text CHECK (phone ~ '^[0-9+() -]{5,20}$'),
  population_exposed integer NOT NULL DEFAULT 0 CHECK (population_exposed >= 0),
  last_inspection    date,
  status             text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'retired')),
  grid_code          text NOT NULL REFERENCES grids (code) ON UPDATE CASCADE,
  township_code      text NOT NULL,
  county_code        text NOT NULL,
  geom               geometry(Point, 4326) NOT NULL CHECK (NOT ST_IsEmpty(geom)),
  version            integer NOT NULL DEFAULT 1,
  created_at         timestamptz NOT NULL DEFAULT now(),
  updated_at         timestamptz NOT NULL DEFAULT now()
);

-- GB 32100 统一社会信用代码: 18 characters over a 31-symbol alphabet, the last
-- one a check character.
CREATE FUNCTION riskmap_uscc_valid(c text) RETURNS boolean LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
DECLARE
  alphabet constant text := '0123456789ABCDEFGHJKLMNPQRTUWXY';
  weights constant int[] := ARRAY[1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28];
  s int := 0;
  v int;
BEGIN
  IF c IS NULL OR c !~ '^[0-9A-HJ-NPQRTUWXY]{18}$' THEN
    RETURN false;
  END IF;
  FOR i IN 1..17 LOOP
    v := strpos(alphabet, substr(c, i, 1)) - 1;
    s := s + v * weights[i];
  END LOOP;
  v := (31 - s % 31) % 31;
  RETURN substr(alphabet, v + 1, 1) = substr(c, 18, 1);
END $$;

CREATE TABLE hazard_sources (
  id                   bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  external_id          text UNIQUE,
  name                 text NOT NULL CHECK (btrim(name) <> ''),
  credit_code          text UNIQUE CHECK (credit_code IS NULL OR riskmap_uscc_valid(credit_code)),
  category             text NOT NULL CHECK (category IN ('hazardous_chemicals', 'fireworks', 'non_coal_mine', 'gas',
                                                         'industrial_trade', 'other')),
  major_hazard_level   smallint CHECK (major_hazard_level BETWEEN 1 AND 4),
  main_substances      text,
  legal_representative text,
  safety_officer       text,
  safety_phone         text CHECK (safety_phone ~ '^[0-9+() -]{5,20}$'),
  licence_no           text,
  licence_expiry       date,
  address              text,
  status               text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'retired')),
  grid_code            text NOT NULL REFERENCES grids (code) ON UPDATE CASCADE,
  township_code        text NOT NULL,
  county_code          text NOT NULL,
  geom                 geometry(Point, 4326) NOT NULL CHECK (NOT ST_IsEmpty(geom)),
  version              integer NOT NULL DEFAULT 1,
  created_at           timestamptz NOT NULL DEFAULT now(),
  updated_at           timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE stations (
  id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  external_id   text UNIQUE,
  name          text NOT NULL CHECK (btrim(name) <> ''),
  kind          text NOT NULL CHECK (kind IN ('office', 'rescue_team', 'platform')),
  staff         integer NOT NULL DEFAULT 0 CHECK (staff >= 0),
  vehicles      integer NOT NULL DEFAULT 0 CHECK (vehicles >= 0),
  phone         text CHECK (phone ~ '^[0-9+() -]{5,20}$'),
  on_duty_24h   boolean NOT NULL DEFAULT false,
  address       text,
  status        text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'retired')),
  grid_code     text NOT NULL REFERENCES grids (code) ON UPDATE CASCADE,
  township_code text NOT NULL,
  county_code   text NOT NULL,
  geom          geometry(Point, 4326) NOT NULL CHECK (NOT ST_IsEmpty(geom)),
  version       integer NOT NULL DEFAULT 1,
  created_at    timestamptz NOT NULL DEFAULT now(),
  updated_at    timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE depots (
  id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  external_id   text UNIQUE,
  name          text NOT NULL CHECK (btrim(name) <> ''),
  capacity_m2   numeric(10, 1) CHECK (capacity_m2 >= 0),
  keeper        text,
  keeper_phone  text CHECK (keeper_phone ~ '^[0-9+() -]{5,20}$'),
  address       text,
  status        text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'retired')),
  grid_code     text NOT NULL REFERENCES grids (code) ON UPDATE CASCADE,
  township_code text NOT NULL,
  county_code   text NOT NULL,
  geom          geometry(Point, 4326) NOT NULL CHECK (NOT ST_IsEmpty(geom)),
  version       integer NOT NULL DEFAULT 1,
  created_at    timestamptz NOT NULL DEFAULT now(),
  updated_at    timestamptz NOT NULL DEFAULT now()
);

-- Inventory lines belong to their depot; changing them bumps the depot's version.
CREATE TABLE depot_items (
  depot_id   bigint NOT NULL REFERENCES depots (id) ON DELETE CASCADE,
  item       text NOT NULL CHECK (item ~ '^[a-z][a-z0-9_]{0,39}$'),
  unit       text NOT NULL CHECK (btrim(unit) <> ''),
  quantity   numeric(14, 2) NOT NULL CHECK (quantity >= 0),
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (depot_id, item)
);

DO $$
DECLARE
  t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['risk_points', 'hazard_sources', 'stations', 'depots'] LOOP
    EXECUTE format('CREATE INDEX %I ON %I USING gist (geom)', t || '_geom_idx', t);
    EXECUTE format('CREATE INDEX %I ON %I (grid_code)', t || '_grid_idx', t);
    EXECUTE format('CREATE INDEX %I ON %I (township_code)', t || '_township_idx', t);
    EXECUTE format('CREATE TRIGGER a_place BEFORE INSERT OR UPDATE OF geom, grid_code ON %I FOR EACH ROW EXECUTE FUNCTION riskmap_place()', t);
    EXECUTE format('CREATE TRIGGER z_version BEFORE UPDATE ON %I FOR EACH ROW EXECUTE FUNCTION riskmap_bump_version()', t);
  END LOOP;
END $$;

-- When a grid's polygon changes, the points it gains or loses are placed
-- again in the same transaction. A point left in no grid fails the update.
-- Deferrable with the integrity check, so a redrawn shared boundary places
-- points once both grids have their new shape.
CREATE FUNCTION riskmap_grid_replace() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['risk_points', 'hazard_sources', 'stations', 'depots'] LOOP
    -- setting grid_code fires a_place, which recomputes it from geom
    EXECUTE format('UPDATE %I SET grid_code = grid_code WHERE (geom && $1 AND ST_Intersects(geom, $1)) OR (geom && $2 AND ST_Intersects(geom, $2))', t)
      USING OLD.geom, NEW.geom;
  END LOOP;
  RETURN NULL;
END $$;
CREATE CONSTRAINT TRIGGER grid_replace AFTER UPDATE OF geom ON grids
  DEFERRABLE INITIALLY IMMEDIATE FOR EACH ROW EXECUTE FUNCTION riskmap_grid_replace();
