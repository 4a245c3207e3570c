-- The four-colour map of areas (安全风险四色分布图, docs/editing.md): every
-- township, village and grid with the counts of its active risk points by
-- level, coloured by the gravest level present or by a risk index (the sum
-- of the levels' weights). The counts come from tile_clusters at zoom 0 —
-- one row per grid and cell, kept in the writing statement by the cluster
-- triggers (migration 100) — so an area's counts are a sum over its grids'
-- rows, never a scan of the points.

-- The weights of the risk index, per level (docs/domain.md's defaults);
-- the bureau may change them here (psql, QGIS): every replica's tiles follow.
CREATE TABLE risk_weights (
  level  smallint PRIMARY KEY CHECK (level BETWEEN 1 AND 4),
  weight numeric NOT NULL CHECK (weight >= 0)
);
INSERT INTO risk_weights VALUES (1, 8), (2, 4), (3, 2), (4, 1);

CREATE INDEX tile_clusters_z0_idx ON tile_clusters (grid_code text_pattern_ops) WHERE layer = 'risk_points' AND z = 0;

-- An area's active risk points under a code prefix (a township's 9 digits,
-- a village's 12, a grid's 15): counts by level, the gravest level present,
-- the risk index (Σ weight × count) and the level the index reaches (the
-- gravest whose weight it attains: with 8/4/2/1, two orange points make red).
CREATE FUNCTION riskmap_risk_area(prefix text, OUT n1 integer, OUT n2 integer, OUT n3 integer, OUT n4 integer,
                                  OUT max_level integer, OUT risk_index double precision, OUT index_level integer)
LANGUAGE sql STABLE PARALLEL SAFE AS $$
  WITH c AS (
    SELECT coalesce(sum(t.n1), 0)::integer AS n1, coalesce(sum(t.n2), 0)::integer AS n2,
           coalesce(sum(t.n3), 0)::integer AS n3, coalesce(sum(t.n4), 0)::integer AS n4
      FROM tile_clusters t WHERE t.layer = 'risk_points' AND t.z = 0 AND t.grid_code LIKE prefix || '%'
  ), i AS (
    SELECT c.*, coalesce((SELECT sum(w.weight * CASE w.level WHEN 1 THEN c.n1 WHEN 2 THEN c.n2 WHEN 3 THEN c.n3 ELSE c.n4 END)
                            FROM risk_weights w), 0)::double precision AS idx
      FROM c
  )
  SELECT i.n1, i.n2, i.n3, i.n4,
         CASE WHEN i.n1 > 0 THEN 1 WHEN i.n2 > 0 THEN 2 WHEN i.n3 > 0 THEN 3 WHEN i.n4 > 0 THEN 4 END,
         i.idx, (SELECT min(w.level)::integer FROM risk_weights w WHERE w.weight > 0 AND i.idx >= w.weight)
    FROM i
$$;

-- The areas and grids as one layer: code, name, level, the zooms at which
-- it is drawn (townships to z10, villages z11–12, grids from z13), its
-- geometries, and scope_code, which the scope rule matches by prefix.
CREATE VIEW risk_areas AS
SELECT a.id, a.code, a.name, a.level, a.code AS scope_code, a.geom, a.geom_3857,
       CASE a.level WHEN 'township' THEN 0 ELSE 11 END AS minz,
       CASE a.level WHEN 'township' THEN 10 ELSE 12 END AS maxz,
       riskmap_area_prefix(a.code) AS prefix
  FROM areas a WHERE a.level IN ('township', 'village')
UNION ALL
SELECT g.id + 1000000000, g.code, g.name, 'grid', g.code, g.geom, g.geom_3857, 13, 99, g.code
  FROM grids g;

-- A point's change recolours its township, village and grid: drop the
-- cached risk_areas tiles over its township (which holds all three), once
-- per township a statement touched, whoever wrote it.
CREATE FUNCTION riskmap_risk_areas_notify() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  twp record;
BEGIN
  FOR twp IN EXECUTE format($q$
    SELECT a.code, a.geom FROM areas a WHERE a.level = 'township' AND a.code IN (
      SELECT left(x.grid_code, 9) || '000' FROM (%s) x)$q$,
    CASE TG_OP
      WHEN 'INSERT' THEN 'SELECT grid_code FROM new_rows'
      WHEN 'DELETE' THEN 'SELECT grid_code FROM old_rows'
      ELSE 'SELECT n.grid_code FROM new_rows n JOIN old_rows o ON o.id = n.id
             WHERE (n.grid_code, n.risk_level, n.status) IS DISTINCT FROM (o.grid_code, o.risk_level, o.status)
            UNION SELECT o.grid_code FROM new_rows n JOIN old_rows o ON o.id = n.id
             WHERE (n.grid_code, n.risk_level, n.status) IS DISTINCT FROM (o.grid_code, o.risk_level, o.status)'
    END)
  LOOP
    PERFORM riskmap_tiles_changed('risk_areas', twp.code, twp.geom, twp.geom);
  END LOOP;
  RETURN NULL;
END $$;
CREATE TRIGGER risk_areas_notify_ins AFTER INSERT ON risk_points REFERENCING NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION riskmap_risk_areas_notify();
CREATE TRIGGER risk_areas_notify_upd AFTER UPDATE ON risk_points REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION riskmap_risk_areas_notify();
CREATE TRIGGER risk_areas_notify_del AFTER DELETE ON risk_points REFERENCING OLD TABLE AS old_rows
  FOR EACH STATEMENT EXECUTE FUNCTION riskmap_risk_areas_notify();

-- New weights recolour every area.
CREATE FUNCTION riskmap_risk_weights_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('riskmap_tiles', json_build_object('t', 'risk_areas', 'all', true)::text);
  RETURN NULL;
END $$;
CREATE TRIGGER risk_weights_notify AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON risk_weights
  FOR EACH STATEMENT EXECUTE FUNCTION riskmap_risk_weights_notify();
