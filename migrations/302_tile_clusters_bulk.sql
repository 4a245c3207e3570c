-- tile_clusters kept up to date at a fraction of the cost for large
-- statements (issue #6: an import's batch of 20,000 points). The counts are
-- the same as 100_tiles.sql's riskmap_tile_clusters_sync computes; only the
-- order of the work changes: the points are summed once per cell of the
-- highest clustered zoom, and the cells of every lower zoom are summed from
-- those (a cell at zoom z-k holds exactly the cells whose indices shifted
-- right by k give its own), instead of placing every point at every zoom
-- (14 rows per risk point into one large aggregate).
--
-- Exact: riskmap_tile_cells computes floor(q * 2^z) for a q fixed by the
-- point (the divisor is a power-of-two multiple of the world's width, so the
-- quotient at zoom z is the one at the highest zoom scaled by a power of two,
-- without rounding), and floor(floor(q * 2^m) / 2^k) = floor(q * 2^(m-k)) for
-- q >= 0. Sums of coordinates may differ in their last bits (they are added
-- in another order), as they already do between incremental updates and a
-- rebuild.
CREATE OR REPLACE FUNCTION riskmap_tile_clusters_sync() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  lvl text := TG_ARGV[0];
  maxz integer := TG_ARGV[1]::integer;
  delta text;
  zs smallint[];
  cys integer[];
  cxs integer[];
  gcs text[];
BEGIN
  delta := CASE TG_OP
    WHEN 'INSERT' THEN format('SELECT 1 AS s, r.grid_code, r.%1$I::integer AS l, r.geom_3857 AS g FROM new_rows r WHERE r.status = ''active''', lvl)
    WHEN 'DELETE' THEN format('SELECT -1 AS s, r.grid_code, r.%1$I::integer AS l, r.geom_3857 AS g FROM old_rows r WHERE r.status = ''active''', lvl)
    ELSE format('SELECT 1 AS s, r.grid_code, r.%1$I::integer AS l, r.geom_3857 AS g FROM new_rows r WHERE r.status = ''active''
                 UNION ALL
                 SELECT -1, r.grid_code, r.%1$I::integer, r.geom_3857 FROM old_rows r WHERE r.status = ''active''', lvl)
  END;
  EXECUTE format($q$
    WITH d AS (%1$s),
    top AS (
      SELECT c.cy, c.cx, d.grid_code, sum(d.s) AS n,
             coalesce(sum(d.s) FILTER (WHERE d.l = 1), 0) AS n1,
             coalesce(sum(d.s) FILTER (WHERE d.l = 2), 0) AS n2,
             coalesce(sum(d.s) FILTER (WHERE d.l = 3), 0) AS n3,
             coalesce(sum(d.s) FILTER (WHERE d.l = 4), 0) AS n4,
             sum(d.s * ST_X(d.g)) AS sx, sum(d.s * ST_Y(d.g)) AS sy
        FROM d CROSS JOIN LATERAL riskmap_tile_cells(d.g, %2$s) c
       WHERE c.z = %2$s
       GROUP BY 1, 2, 3
    ),
    agg AS (
      SELECT zz::smallint AS z, top.cy >> (%2$s - zz) AS cy, top.cx >> (%2$s - zz) AS cx, top.grid_code,
             sum(top.n)::integer AS n, sum(top.n1)::integer AS n1, sum(top.n2)::integer AS n2,
             sum(top.n3)::integer AS n3, sum(top.n4)::integer AS n4, sum(top.sx) AS sx, sum(top.sy) AS sy
        FROM top CROSS JOIN generate_series(0, %2$s) zz
       GROUP BY 1, 2, 3, 4
      -- an UPDATE that moved nothing between cells nets out to zero: skip it
      HAVING sum(top.n) <> 0 OR sum(top.sx) <> 0 OR sum(top.sy) <> 0
          OR sum(top.n1) <> 0 OR sum(top.n2) <> 0 OR sum(top.n3) <> 0 OR sum(top.n4) <> 0
    ),
    up AS (
      INSERT INTO tile_clusters AS t (layer, z, cy, cx, grid_code, n, n1, n2, n3, n4, sx, sy)
      SELECT %3$L, z, cy, cx, grid_code, n, n1, n2, n3, n4, sx, sy FROM agg ORDER BY z, cy, cx, grid_code
      ON CONFLICT (layer, z, cy, cx, grid_code) DO UPDATE
        SET n = t.n + excluded.n, n1 = t.n1 + excluded.n1, n2 = t.n2 + excluded.n2,
            n3 = t.n3 + excluded.n3, n4 = t.n4 + excluded.n4, sx = t.sx + excluded.sx, sy = t.sy + excluded.sy
      RETURNING t.z, t.cy, t.cx, t.grid_code, t.n
    )
    SELECT array_agg(z), array_agg(cy), array_agg(cx), array_agg(grid_code) FROM up WHERE n <= 0
  $q$, delta, maxz, TG_TABLE_NAME) INTO zs, cys, cxs, gcs;
  -- emptied cells go, in a statement of their own: one statement cannot
  -- delete the row versions it has just written
  IF zs IS NOT NULL THEN
    DELETE FROM tile_clusters t USING unnest(zs, cys, cxs, gcs) AS e(z, cy, cx, grid_code)
     WHERE t.layer = TG_TABLE_NAME AND t.z = e.z AND t.cy = e.cy AND t.cx = e.cx AND t.grid_code = e.grid_code;
  END IF;
  RETURN NULL;
END $$;
