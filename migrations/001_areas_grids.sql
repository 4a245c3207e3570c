-- Administrative areas, grids and the triggers that keep them consistent.
-- Conventions: geometries are EPSG:4326 lon/lat; every layer table has a
-- stable id, a version bumped on every change (by trigger, so edits made
-- straight from QGIS count too) and created/updated times.

CREATE EXTENSION IF NOT EXISTS postgis;

-- version bump for every layer table; runs last among BEFORE triggers (z_)
CREATE FUNCTION riskmap_bump_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  -- stored generated columns (geom_3857) are not computed yet in a BEFORE
  -- trigger, so the rows are compared without them
  IF to_jsonb(NEW) - 'geom_3857' IS DISTINCT FROM to_jsonb(OLD) - 'geom_3857' THEN
    NEW.version := OLD.version + 1;
    NEW.updated_at := now();
  END IF;
  RETURN NEW;
END $$;

CREATE TABLE areas (
  id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  code        text NOT NULL UNIQUE CHECK (code ~ '^[0-9]{12}$'),
  name        text NOT NULL CHECK (btrim(name) <> ''),
  level       text NOT NULL CHECK (level IN ('city', 'county', 'township', 'village')),
  parent_code text REFERENCES areas (code) ON UPDATE CASCADE,
  population  integer CHECK (population >= 0),
  geom        geometry(MultiPolygon, 4326) NOT NULL CHECK (ST_IsValid(geom) AND NOT ST_IsEmpty(geom)),
  version     integer NOT NULL DEFAULT 1,
  created_at  timestamptz NOT NULL DEFAULT now(),
  updated_at  timestamptz NOT NULL DEFAULT now(),
  -- the code's structure says the level: 6 county + 3 township + 3 village digits
  CONSTRAINT areas_code_level CHECK (
    CASE level
      WHEN 'city' THEN code ~ '^[0-9]{4}0{8}$'
      WHEN 'county' THEN code ~ '^[0-9]{6}0{6}$' AND code !~ '^[0-9]{4}00'
      WHEN 'township' THEN code ~ '^[0-9]{9}000$' AND code !~ '^[0-9]{6}000'
      ELSE code !~ '000$'
    END),
  CONSTRAINT areas_parent CHECK ((level = 'city') = (parent_code IS NULL)),
  CONSTRAINT areas_parent_prefix CHECK (
    CASE level
      WHEN 'county' THEN left(parent_code, 4) = left(code, 4)
      WHEN 'township' THEN left(parent_code, 6) = left(code, 6)
      WHEN 'village' THEN left(parent_code, 9) = left(code, 9)
      ELSE true
    END)
);
CREATE INDEX areas_geom_idx ON areas USING gist (geom);
CREATE INDEX areas_parent_idx ON areas (parent_code);
CREATE TRIGGER z_version BEFORE UPDATE ON areas FOR EACH ROW EXECUTE FUNCTION riskmap_bump_version();

CREATE TABLE grids (
  id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  code          text NOT NULL UNIQUE CHECK (code ~ '^[0-9]{15}$' AND right(code, 3) <> '000'),
  name          text NOT NULL CHECK (btrim(name) <> ''),
  -- derived from the code by trigger; never typed in
  village_code  text NOT NULL REFERENCES areas (code) ON UPDATE CASCADE,
  township_code text NOT NULL REFERENCES areas (code) ON UPDATE CASCADE,
  county_code   text NOT NULL REFERENCES areas (code) ON UPDATE CASCADE,
  worker        text,
  worker_phone  text CHECK (worker_phone ~ '^[0-9+() -]{5,20}$'),
  households    integer NOT NULL DEFAULT 0 CHECK (households >= 0),
  population    integer NOT NULL DEFAULT 0 CHECK (population >= 0),
  geom          geometry(MultiPolygon, 4326) NOT NULL CHECK (ST_IsValid(geom) AND NOT ST_IsEmpty(geom)),
  version       integer NOT NULL DEFAULT 1,
  created_at    timestamptz NOT NULL DEFAULT now(),
  updated_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX grids_geom_idx ON grids USING gist (geom);
CREATE INDEX grids_township_idx ON grids (township_code);

-- Codes below the grid are derived from its 15-digit code.
CREATE FUNCTION riskmap_grid_codes() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.village_code := left(NEW.code, 12);
  NEW.township_code := left(NEW.code, 9) || '000';
  NEW.county_code := left(NEW.code, 6) || '000000';
  RETURN NEW;
END $$;
CREATE TRIGGER a_codes BEFORE INSERT OR UPDATE ON grids FOR EACH ROW EXECUTE FUNCTION riskmap_grid_codes();
CREATE TRIGGER z_version BEFORE UPDATE ON grids FOR EACH ROW EXECUTE FUNCTION riskmap_bump_version();

-- Grid integrity: a grid lies inside its township and overlaps no other grid
-- of that township. Slivers under 1 m² are tolerated: shared edges computed
-- in floating point never match to the last bit. A constraint trigger, so a
-- transaction that redraws a shared boundary (one grid shrinks, its
-- neighbour grows) can defer the check to commit; it reads the row as it
-- stands then.
CREATE FUNCTION riskmap_grid_check() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  cur grids;
  twp record;
  outside double precision;
  clash text;
BEGIN
  SELECT * INTO cur FROM grids WHERE id = NEW.id;
  IF NOT FOUND THEN
    RETURN NULL;
  END IF;
  SELECT code, name, geom INTO twp FROM areas WHERE code = cur.township_code AND level = 'township';
  IF NOT FOUND THEN
    RAISE EXCEPTION USING ERRCODE = 'RM002', MESSAGE = format('grid %s: township %s does not exist', cur.code, cur.township_code),
      DETAIL = json_build_object('field', 'code', 'grid', cur.code, 'township', cur.township_code)::text;
  END IF;
  outside := ST_Area(ST_Difference(cur.geom, twp.geom)::geography);
  IF outside > 1 THEN
    RAISE EXCEPTION USING ERRCODE = 'RM002',
      MESSAGE = format('grid %s leaves its township %s %s by %s m²', cur.code, twp.code, twp.name, round(outside::numeric, 1)),
      DETAIL = json_build_object('field', 'geometry', 'grid', cur.code, 'township', twp.code, 'outside_m2', round(outside::numeric, 1))::text;
  END IF;
  SELECT string_agg(format('%s %s (%s m²)', g.code, g.name, round(ST_Area(ST_Intersection(g.geom, cur.geom)::geography)::numeric, 1)), ', ' ORDER BY g.code)
    INTO clash
    FROM grids g
   WHERE g.township_code = cur.township_code
     AND g.id <> cur.id
     AND g.geom && cur.geom
     AND ST_Relate(g.geom, cur.geom, '2********')
     AND ST_Area(ST_Intersection(g.geom, cur.geom)::geography) > 1;
  IF clash IS NOT NULL THEN
    RAISE EXCEPTION USING ERRCODE = 'RM002',
      MESSAGE = format('grid %s overlaps grid %s', cur.code, clash),
      DETAIL = json_build_object('field', 'geometry', 'grid', cur.code, 'overlaps', clash)::text;
  END IF;
  RETURN NULL;
END $$;
CREATE CONSTRAINT TRIGGER grid_integrity AFTER INSERT OR UPDATE OF geom, code ON grids
  DEFERRABLE INITIALLY IMMEDIATE FOR EACH ROW EXECUTE FUNCTION riskmap_grid_check();
