-- The significant prefix of a 12-digit area code: every code below the area
-- (areas and 15-digit grid codes) starts with it. Mirrors riskmap.AreaPrefix.
CREATE FUNCTION riskmap_area_prefix(code text) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT CASE
    WHEN length(code) <> 12 THEN code
    WHEN right(code, 8) = '00000000' THEN left(code, 4)
    WHEN right(code, 6) = '000000' THEN left(code, 6)
    WHEN right(code, 3) = '000' THEN left(code, 9)
    ELSE code
  END
$$;

-- prefix matches on codes (scope filters) can use these
CREATE INDEX grids_code_pattern_idx ON grids (code text_pattern_ops);
CREATE INDEX areas_code_pattern_idx ON areas (code text_pattern_ops);
CREATE INDEX risk_points_grid_pattern_idx ON risk_points (grid_code text_pattern_ops);
CREATE INDEX hazard_sources_grid_pattern_idx ON hazard_sources (grid_code text_pattern_ops);
CREATE INDEX stations_grid_pattern_idx ON stations (grid_code text_pattern_ops);
CREATE INDEX depots_grid_pattern_idx ON depots (grid_code text_pattern_ops);
