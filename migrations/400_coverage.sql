-- Coverage: the road network (roads, road speeds, routing topology) and the
-- data version that caches of coverage results are keyed by.
--
-- pgRouting (Debian postgresql-15-pgrouting) routes the travel times. It is
-- created here when the server has it; without it everything but travel
-- time works, and travel-time requests say what to install.
DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'pgrouting') THEN
    CREATE EXTENSION IF NOT EXISTS pgrouting;
  END IF;
END $$;

-- Speeds per road class (km/h): the configuration of travel time. Planners
-- edit them here (or through `riskmap import --layer roads` options); a
-- change applies to the next query, nothing is recomputed.
CREATE TABLE road_speeds (
  class      text PRIMARY KEY CHECK (class ~ '^[a-z][a-z0-9_]{0,39}$'),
  speed_kmh  double precision NOT NULL CHECK (speed_kmh > 0 AND speed_kmh <= 200),
  updated_at timestamptz NOT NULL DEFAULT now()
);
INSERT INTO road_speeds (class, speed_kmh) VALUES
  ('motorway', 90), ('motorway_link', 50), ('trunk', 70), ('trunk_link', 40),
  ('primary', 60), ('primary_link', 40), ('secondary', 50), ('secondary_link', 35),
  ('tertiary', 40), ('tertiary_link', 30), ('unclassified', 30), ('residential', 25),
  ('living_street', 10), ('service', 15), ('track', 15);
CREATE FUNCTION riskmap_touch() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.updated_at := now();
  RETURN NEW;
END $$;
CREATE TRIGGER z_touch BEFORE UPDATE ON road_speeds FOR EACH ROW EXECUTE FUNCTION riskmap_touch();

-- Lengths, like every distance of coverage, are great-circle metres on the
-- WGS-84 mean sphere (R = 6,371,008.8 m; within 0.5 % of the ellipsoid).
--
-- One edge of the network: a line between two junctions (the importer splits
-- ways where they share a node). source/target are road_vertices ids, set by
-- riskmap_roads_topology(); a new or moved geometry clears them until the
-- topology is rebuilt (the coverage service rebuilds it when it finds any).
CREATE TABLE roads (
  id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  source_ref   text,  -- where the edge came from: osm:way/123, a GeoJSON feature, demo
  name         text,
  class        text NOT NULL REFERENCES road_speeds (class) ON UPDATE CASCADE,
  oneway       smallint NOT NULL DEFAULT 0 CHECK (oneway IN (-1, 0, 1)), -- 1: only along the line, -1: only against it
  maxspeed_kmh double precision CHECK (maxspeed_kmh > 0 AND maxspeed_kmh <= 200),
  length_m     double precision NOT NULL DEFAULT 0,
  source       bigint,
  target       bigint,
  geom         geometry(LineString, 4326) NOT NULL CHECK (ST_NPoints(geom) >= 2 AND NOT ST_IsEmpty(geom)),
  version      integer NOT NULL DEFAULT 1,
  created_at   timestamptz NOT NULL DEFAULT now(),
  updated_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX roads_geom_idx ON roads USING gist (geom);
CREATE INDEX roads_source_idx ON roads (source);
CREATE INDEX roads_target_idx ON roads (target);

CREATE FUNCTION riskmap_roads_derive() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' OR NEW.geom IS DISTINCT FROM OLD.geom THEN
    NEW.length_m := ST_Length(NEW.geom::geography, false);
    IF TG_OP = 'UPDATE' OR NEW.source IS NULL OR NEW.target IS NULL THEN
      NEW.source := NULL;
      NEW.target := NULL;
    END IF;
  END IF;
  IF TG_OP = 'UPDATE' AND NEW IS DISTINCT FROM OLD THEN
    NEW.version := OLD.version + 1;
    NEW.updated_at := now();
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER a_derive BEFORE INSERT OR UPDATE ON roads FOR EACH ROW EXECUTE FUNCTION riskmap_roads_derive();

-- Junctions and dead ends. Points reach the network at the nearest routable
-- vertex: one in the largest connected piece of the network or in a piece
-- of at least 20 vertices, so that a stray driveway does not strand them.
CREATE TABLE road_vertices (
  id        bigint PRIMARY KEY,
  component bigint,
  routable  boolean NOT NULL DEFAULT true,
  geom      geometry(Point, 4326) NOT NULL
);
CREATE INDEX road_vertices_geom_idx ON road_vertices USING gist (geom) WHERE routable;

-- The edges as pgRouting reads them: cost and reverse_cost in seconds at the
-- class speed (capped by the road's own maxspeed); negative means "no way in
-- this direction".
CREATE VIEW road_edges AS
SELECT r.id, r.source, r.target, r.class, r.name,
       least(s.speed_kmh, coalesce(r.maxspeed_kmh, s.speed_kmh)) AS speed_kmh,
       CASE WHEN r.oneway = -1 THEN -1
            ELSE r.length_m / (least(s.speed_kmh, coalesce(r.maxspeed_kmh, s.speed_kmh)) / 3.6) END AS cost,
       CASE WHEN r.oneway = 1 THEN -1
            ELSE r.length_m / (least(s.speed_kmh, coalesce(r.maxspeed_kmh, s.speed_kmh)) / 3.6) END AS reverse_cost,
       r.length_m, r.geom
  FROM roads r JOIN road_speeds s ON s.class = r.class
 WHERE r.source IS NOT NULL AND r.target IS NOT NULL;

-- Rebuilds the topology from the edges' end points: ends within 1e-7° (about
-- 1 cm) are one vertex. Edges meet only at their ends (the importer splits
-- ways at shared nodes; lines that cross without a shared node are bridges).
-- Needs pgRouting for the connected components.
CREATE FUNCTION riskmap_roads_topology(OUT vertices bigint, OUT edges bigint, OUT components bigint, OUT routable_vertices bigint)
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_advisory_xact_lock(72417400);
  CREATE TEMP TABLE _road_ends ON COMMIT DROP AS
    SELECT r.id,
           round(ST_X(ST_StartPoint(r.geom))::numeric, 7) AS sx, round(ST_Y(ST_StartPoint(r.geom))::numeric, 7) AS sy,
           round(ST_X(ST_EndPoint(r.geom))::numeric, 7) AS tx, round(ST_Y(ST_EndPoint(r.geom))::numeric, 7) AS ty
      FROM roads r;
  CREATE TEMP TABLE _road_vx ON COMMIT DROP AS
    SELECT row_number() OVER (ORDER BY x, y) AS id, x, y
      FROM (SELECT sx AS x, sy AS y FROM _road_ends UNION SELECT tx, ty FROM _road_ends) v;
  CREATE INDEX ON _road_vx (x, y);
  DELETE FROM road_vertices;
  INSERT INTO road_vertices (id, geom)
  SELECT id, ST_SetSRID(ST_MakePoint(x::double precision, y::double precision), 4326) FROM _road_vx;
  UPDATE roads r SET source = vs.id, target = vt.id
    FROM _road_ends e
    JOIN _road_vx vs ON vs.x = e.sx AND vs.y = e.sy
    JOIN _road_vx vt ON vt.x = e.tx AND vt.y = e.ty
   WHERE r.id = e.id AND (r.source IS DISTINCT FROM vs.id OR r.target IS DISTINCT FROM vt.id);
  IF EXISTS (SELECT 1 FROM roads) THEN
    UPDATE road_vertices v SET component = c.component
      FROM pgr_connectedComponents('SELECT id, source, target, 1::float8 AS cost, 1::float8 AS reverse_cost FROM roads') c
     WHERE c.node = v.id;
    WITH sizes AS (SELECT component, count(*) AS n FROM road_vertices GROUP BY component)
    UPDATE road_vertices v SET routable = (s.n >= 20 OR s.n = (SELECT max(n) FROM sizes))
      FROM sizes s WHERE s.component = v.component;
  END IF;
  DROP TABLE _road_ends, _road_vx;
  SELECT count(*), count(DISTINCT component), count(*) FILTER (WHERE routable) INTO vertices, components, routable_vertices FROM road_vertices;
  SELECT count(*) INTO edges FROM roads;
END $$;

-- Area in m² on the sphere of coverage distances: the planar lon/lat area
-- scaled at the polygon's middle latitude. For grid-sized polygons
-- (kilometres) it agrees with ST_Area(geom::geography, false) to about 1e-6,
-- at a fraction of the cost.
CREATE FUNCTION riskmap_area_m2(g geometry) RETURNS double precision LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT ST_Area(g) * cos(radians((ST_YMin(g) + ST_YMax(g)) / 2)) * (pi() * 6371008.7714150598 / 180) ^ 2
$$;

-- The data version of everything a coverage answer depends on. It changes
-- with every committed insert (the row count and the largest id grow),
-- delete (the count drops) and update (the version columns, bumped by the
-- tables' triggers, add up to more) of those tables, so results cached under
-- it are dropped exactly when the data changes, on every replica. It is
-- derived from the rows themselves, so a transaction still open when it is
-- read cannot leave a stale result behind once it commits.
CREATE FUNCTION riskmap_coverage_version() RETURNS text LANGUAGE sql STABLE AS $$
  SELECT md5(concat_ws('|',
    (SELECT count(*) || ':' || coalesce(max(id), 0) || ':' || coalesce(sum(version), 0) FROM grids),
    (SELECT count(*) || ':' || coalesce(max(id), 0) || ':' || coalesce(sum(version), 0) FROM risk_points),
    (SELECT count(*) || ':' || coalesce(max(id), 0) || ':' || coalesce(sum(version), 0) FROM hazard_sources),
    (SELECT count(*) || ':' || coalesce(max(id), 0) || ':' || coalesce(sum(version), 0) FROM stations),
    (SELECT count(*) || ':' || coalesce(max(id), 0) || ':' || coalesce(sum(version), 0) FROM depots),
    (SELECT count(*) || ':' || coalesce(sum(hashtext(depot_id || item || unit || quantity)), 0) FROM depot_items),
    (SELECT count(*) || ':' || coalesce(max(id), 0) || ':' || coalesce(sum(version), 0) FROM roads),
    (SELECT string_agg(class || '=' || speed_kmh, ',' ORDER BY class) FROM road_speeds),
    (SELECT count(*) || ':' || coalesce(sum(component), 0) || ':' || count(*) FILTER (WHERE routable) FROM road_vertices)))
$$;

-- Every change to a table coverage reads is announced on the channel
-- riskmap_coverage (delivered after commit, in commit order; several
-- statements of one transaction collapse into one notification), so a
-- replica listening knows its cached results are stale without reading
-- the tables (coverage.Service.Listen).
CREATE FUNCTION riskmap_coverage_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('riskmap_coverage', TG_TABLE_NAME);
  RETURN NULL;
END $$;
DO $$
DECLARE
  t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['grids', 'risk_points', 'hazard_sources', 'stations', 'depots', 'depot_items',
                           'roads', 'road_speeds', 'road_vertices'] LOOP
    EXECUTE format('CREATE TRIGGER zz_coverage_notify AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON %I
                    FOR EACH STATEMENT EXECUTE FUNCTION riskmap_coverage_notify()', t);
  END LOOP;
END $$;
