-- Coverage of the grids in SQL, for QGIS (planners connect to PostGIS
-- directly) and for a map layer: every grid with whether it is within
-- max_m metres of an active facility, the nearest one and its distance.
-- The same definitions as the API (package coverage): the grid's
-- representative point ST_PointOnSurface, great-circle metres on the WGS-84
-- mean sphere, inclusive at the limit, ties to the smaller id. No user
-- scope: a database login sees every row anyway.
--
--   SELECT * FROM riskmap_coverage_grids('stations', 5000);
--   SELECT * FROM riskmap_coverage_grids('stations', 5000, 'rescue_team') WHERE NOT covered;
CREATE FUNCTION riskmap_coverage_grids(facility text, max_m double precision, station_kind text DEFAULT NULL)
RETURNS TABLE (code text, name text, township_code text, population integer, covered boolean,
               nearest_id bigint, distance_m double precision, geom geometry(MultiPolygon, 4326))
LANGUAGE plpgsql STABLE AS $$
BEGIN
  IF facility IS NULL OR facility NOT IN ('stations', 'depots') THEN
    RAISE EXCEPTION 'riskmap_coverage_grids: facility %: want stations or depots', facility USING ERRCODE = '22023';
  END IF;
  IF max_m IS NULL OR NOT (max_m > 0) THEN
    RAISE EXCEPTION 'riskmap_coverage_grids: max_m %: want metres > 0', max_m USING ERRCODE = '22023';
  END IF;
  RETURN QUERY
  WITH f AS (
    SELECT s.id, s.geom::geography AS g FROM stations s
     WHERE facility = 'stations' AND s.status = 'active' AND (station_kind IS NULL OR s.kind = station_kind)
    UNION ALL
    SELECT d.id, d.geom::geography FROM depots d WHERE facility = 'depots' AND d.status = 'active'
  ), p AS (
    SELECT gr.code, gr.name, gr.township_code, gr.population, gr.geom, ST_PointOnSurface(gr.geom)::geography AS pt FROM grids gr
  )
  SELECT p.code, p.name, p.township_code, p.population, coalesce(n.d <= max_m * (1 + 1e-9), false), n.id, n.d, p.geom
    FROM p LEFT JOIN LATERAL (
      SELECT f.id, ST_Distance(f.g, p.pt, false) AS d FROM f ORDER BY 2, 1 LIMIT 1
    ) n ON true
   ORDER BY p.code;
END $$;
