-- Vector tiles, continued (package tiles; 100_tiles.sql has the rest).

-- Area shapes per zoom band. Township, county and city outlines have
-- thousands of vertices and show in almost every tile, so tiles do not read
-- them whole: each area is kept in Web Mercator, simplified (topology
-- preserved) once per band of zooms, and for the deepest zooms cut into
-- pieces of at most 128 vertices; a tile reads only the pieces that meet
-- it. riskmap_tile_band maps a zoom to its band, whose tolerance is half a
-- pixel (of a 256 px tile) at the band's deepest zoom.
CREATE OR REPLACE FUNCTION riskmap_tile_band(z integer) RETURNS smallint LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT (CASE WHEN z <= 9 THEN 9 WHEN z <= 11 THEN 11 WHEN z <= 13 THEN 13 ELSE 22 END)::smallint
$$;

CREATE TABLE IF NOT EXISTS area_tile_shapes (
  area_id bigint NOT NULL REFERENCES areas (id) ON DELETE CASCADE,
  band    smallint NOT NULL,
  geom    geometry(Polygon, 3857) NOT NULL
);
CREATE INDEX IF NOT EXISTS area_tile_shapes_area_idx ON area_tile_shapes (area_id, band);
CREATE INDEX IF NOT EXISTS area_tile_shapes_geom_idx ON area_tile_shapes USING gist (geom);

CREATE OR REPLACE FUNCTION riskmap_area_shapes_refresh(ids bigint[]) RETURNS void LANGUAGE sql AS $$
  DELETE FROM area_tile_shapes WHERE area_id = ANY (ids);
  INSERT INTO area_tile_shapes (area_id, band, geom)
  SELECT a.id, b.band, d.geom
    FROM areas a
   CROSS JOIN (VALUES (9, 152.874), (11, 38.2185), (13, 9.5546)) b (band, tol)
   CROSS JOIN LATERAL ST_Dump(ST_SimplifyPreserveTopology(a.geom_3857, b.tol)) d
   WHERE a.id = ANY (ids) AND GeometryType(d.geom) = 'POLYGON'
  UNION ALL
  SELECT a.id, 22, ST_Subdivide(a.geom_3857, 128) FROM areas a WHERE a.id = ANY (ids);
$$;

CREATE OR REPLACE FUNCTION riskmap_area_shapes() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM riskmap_area_shapes_refresh(ARRAY[NEW.id]);
  RETURN NULL;
END $$;
DROP TRIGGER IF EXISTS tile_shapes ON areas;
CREATE TRIGGER tile_shapes AFTER INSERT OR UPDATE OF geom ON areas FOR EACH ROW EXECUTE FUNCTION riskmap_area_shapes();

-- Fill what is derived for a database that has areas already.
SELECT riskmap_area_shapes_refresh(ARRAY(SELECT id FROM areas));
