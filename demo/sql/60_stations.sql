-- The 四个一 of every township: an office, a rescue team, a command platform
-- and a supply depot, less the gaps left on purpose (demo_gap). All four sit
-- in the township's most populous grid, its main settlement, at four points
-- drawn inside that grid.

CREATE TEMP TABLE demo_facility ON COMMIT DROP AS
WITH main_grid AS (
  SELECT DISTINCT ON (township_code) *
    FROM demo_grid ORDER BY township_code, population DESC, code),
spots AS (
  SELECT g.*, d.path[1] AS k, d.geom AS spot
    FROM main_grid g, ST_Dump(ST_GeneratePoints(g.geom, 4, pg_temp.demo_seed('station-' || g.township_code))) d)
SELECT s.*, (ARRAY['office', 'rescue_team', 'platform', 'depot'])[s.k] AS kind,
       (SELECT sum(population) FROM demo_grid g WHERE g.township_code = s.township_code) AS township_population
  FROM spots s
 WHERE NOT EXISTS (SELECT 1 FROM demo_gap x
                    WHERE x.township_code = s.township_code AND x.missing = (ARRAY['office', 'rescue_team', 'platform', 'depot'])[s.k]);

INSERT INTO stations (external_id, name, kind, staff, vehicles, phone, on_duty_24h, address, geom)
SELECT 'demo-st-' || left(township_code, 9) || '-' || kind,
       township_name || CASE kind WHEN 'office' THEN '应急管理办公室' WHEN 'rescue_team' THEN '应急救援队'
                                  ELSE '应急指挥平台' END,
       kind,
       CASE kind WHEN 'office' THEN 4 + pg_temp.demo_h('staff-' || township_code) % 6
                 WHEN 'rescue_team' THEN 20 + pg_temp.demo_h('staff-team-' || township_code) % 31
                 ELSE 3 + pg_temp.demo_h('staff-platform-' || township_code) % 5 END,
       CASE kind WHEN 'office' THEN 1 + pg_temp.demo_h('vehicles-' || township_code) % 2
                 WHEN 'rescue_team' THEN 2 + pg_temp.demo_h('vehicles-team-' || township_code) % 6
                 ELSE 0 END,
       pg_temp.demo_landline('station-' || township_code || '-' || kind),
       kind <> 'office' OR pg_temp.demo_h('duty-' || township_code) % 2 = 0,
       '汕尾市' || county_name || township_name || village_short || (1 + pg_temp.demo_h('st-number-' || township_code || kind) % 120) || '号',
       spot
  FROM demo_facility
 WHERE kind <> 'depot'
 ORDER BY township_code, k;

INSERT INTO depots (external_id, name, capacity_m2, keeper, keeper_phone, address, geom)
SELECT 'demo-dp-' || left(township_code, 9),
       township_name || '应急物资储备仓库',
       200 + pg_temp.demo_h('depot-size-' || township_code) % 1300,
       pg_temp.demo_person('depot-keeper-' || township_code),
       pg_temp.demo_mobile('depot-keeper-' || township_code),
       '汕尾市' || county_name || township_name || village_short || (1 + pg_temp.demo_h('dp-number-' || township_code) % 120) || '号',
       spot
  FROM demo_facility
 WHERE kind = 'depot'
 ORDER BY township_code;

-- Stock is the norm per 1,000 residents (docs/domain.md) times the township's
-- population/1000, times 0.7–1.69: about three lines in ten fall short. It
-- arrives as one delivery (an 'in' movement) per line, so the ledger holds
-- every line's history (migrations/572_stock_movements.sql).
INSERT INTO stock_movements (depot_id, item, unit, kind, quantity, reason, ref, at)
SELECT q.depot_id, q.item, q.unit, 'in', q.quantity, '期初入库', 'DEMO-' || q.depot_id, q.at
  FROM (
SELECT d.id AS depot_id, n.item, n.unit,
       round(n.per_1000 * f.township_population / 1000.0
             * (70 + pg_temp.demo_h('stock-' || f.township_code || '-' || n.item) % 100) / 100.0) AS quantity,
       timestamptz '2026-10-31 10:00:00+08' - (pg_temp.demo_h('stocked-' || f.township_code || '-' || n.item) % 90) * interval '1 day' AS at
  FROM demo_facility f
  JOIN depots d ON d.external_id = 'demo-dp-' || left(f.township_code, 9)
 CROSS JOIN (VALUES ('tents', '顶', 2.0), ('quilts', '床', 20.0), ('life_jackets', '件', 10.0), ('rubber_boats', '艘', 0.2),
                    ('generators', '台', 0.5), ('pumps', '台', 0.5), ('sandbags', '袋', 200.0),
                    ('drinking_water', '升', 300.0)) AS n(item, unit, per_1000)
 WHERE f.kind = 'depot'
  ) q
 WHERE q.quantity > 0
 ORDER BY q.depot_id, q.item;
