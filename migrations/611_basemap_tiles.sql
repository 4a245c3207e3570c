-- The basemap tile layers (tiles.basemapLayers): roads by class and the
-- names of the administrative areas, drawn under the risk layers so that a
-- phone with no signal and no raster basemap still has roads and village
-- names to walk by. Like every tile layer they read a Web Mercator copy of
-- the geometry and announce their changes on riskmap_tiles (see
-- 100_tiles.sql), so cached tiles drop exactly when the network or an area
-- changes.

-- Roads: the network coverage imports (OSM classes) or generates.
ALTER TABLE roads ADD COLUMN geom_3857 geometry(LineString, 3857) GENERATED ALWAYS AS (ST_Transform(geom, 3857)) STORED;
CREATE INDEX roads_geom_3857_idx ON roads USING gist (geom_3857);
CREATE TRIGGER tiles_notify_ins AFTER INSERT ON roads REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION riskmap_tiles_notify();
CREATE TRIGGER tiles_notify_upd AFTER UPDATE ON roads REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION riskmap_tiles_notify();
CREATE TRIGGER tiles_notify_del AFTER DELETE ON roads REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION riskmap_tiles_notify();
CREATE TRIGGER tiles_notify_trunc AFTER TRUNCATE ON roads FOR EACH STATEMENT EXECUTE FUNCTION riskmap_tiles_notify();

-- Place names: one point inside each area (not its centroid, which may lie
-- outside a bent township), where its name is written; kept from areas by a
-- trigger, as area_tile_shapes is, so that the areas' own rows (and their
-- JSON in the API, exports and audit) stay as they are.
CREATE TABLE area_labels (
  id        bigint PRIMARY KEY REFERENCES areas (id) ON DELETE CASCADE,
  name      text NOT NULL,
  level     text NOT NULL,
  geom      geometry(Point, 4326) NOT NULL,
  geom_3857 geometry(Point, 3857) GENERATED ALWAYS AS (ST_Transform(geom, 3857)) STORED
);
CREATE INDEX area_labels_geom_3857_idx ON area_labels USING gist (geom_3857);

CREATE FUNCTION riskmap_area_labels() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO area_labels (id, name, level, geom)
  VALUES (NEW.id, NEW.name, NEW.level, ST_PointOnSurface(NEW.geom))
  ON CONFLICT (id) DO UPDATE SET name = excluded.name, level = excluded.level, geom = excluded.geom
   WHERE (area_labels.name, area_labels.level, area_labels.geom) IS DISTINCT FROM (excluded.name, excluded.level, excluded.geom);
  RETURN NULL;
END $$;
CREATE TRIGGER labels AFTER INSERT OR UPDATE OF geom, name, level ON areas FOR EACH ROW EXECUTE FUNCTION riskmap_area_labels();
INSERT INTO area_labels (id, name, level, geom)
SELECT id, name, level, ST_PointOnSurface(geom) FROM areas;

CREATE TRIGGER tiles_notify_ins AFTER INSERT ON area_labels REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION riskmap_tiles_notify();
CREATE TRIGGER tiles_notify_upd AFTER UPDATE ON area_labels REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION riskmap_tiles_notify();
CREATE TRIGGER tiles_notify_del AFTER DELETE ON area_labels REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION riskmap_tiles_notify();
CREATE TRIGGER tiles_notify_trunc AFTER TRUNCATE ON area_labels FOR EACH STATEMENT EXECUTE FUNCTION riskmap_tiles_notify();
