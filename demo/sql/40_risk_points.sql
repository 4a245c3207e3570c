-- 20,000 risk points. Point i (1..20000) falls in a grid picked by hash;
-- each grid's points are drawn inside it with ST_GeneratePoints, so every
-- point lies in a grid. Everything else about point i is a hash of i.

-- How likely each category is where a grid lies: base weight, times
-- hill_x in hilly grids, times urban_pct/100 in urban ones; coastal risks
-- only near the coast.
CREATE TEMP TABLE demo_rp_weight (ord integer, category text, base integer, hill_x integer, urban_pct integer, coast_only boolean)
  ON COMMIT DROP;
INSERT INTO demo_rp_weight VALUES
  (1, 'geological', 10, 3, 30, false),
  (2, 'flood', 12, 1, 100, false),
  (3, 'reservoir', 6, 2, 0, false),
  (4, 'coastal', 60, 1, 100, true),
  (5, 'forest_fire', 8, 3, 20, false),
  (6, 'crowded_place', 12, 1, 300, false),
  (7, 'construction', 8, 1, 300, false),
  (8, 'road_traffic', 10, 1, 100, false),
  (9, 'fire', 12, 1, 200, false),
  (10, 'other', 5, 1, 100, false);

CREATE TEMP TABLE demo_rp ON COMMIT DROP AS
WITH g AS (
  SELECT row_number() OVER (ORDER BY code) - 1 AS n, * FROM demo_grid),
pick AS (
  SELECT i, pg_temp.demo_h('rp-grid-' || i) % (SELECT count(*) FROM g) AS n
    FROM generate_series(1, 20000) AS i),
per_grid AS (
  SELECT n, array_agg(i ORDER BY i) AS ids FROM pick GROUP BY n)
SELECT p.ids[d.path[1]] AS i, d.geom, g.code AS grid_code, g.village_short AS v, g.village_name, g.township_name,
       g.township_short AS t, g.government, g.county_name, g.urban, g.coastal, g.hilly
  FROM per_grid p JOIN g USING (n),
       ST_Dump(ST_GeneratePoints(g.geom, cardinality(p.ids), pg_temp.demo_seed('rp-' || g.code))) d;

-- the category: the first whose running weight passes the point's draw
ALTER TABLE demo_rp ADD COLUMN category text, ADD COLUMN risk_level smallint;
UPDATE demo_rp r SET category = c.category
  FROM (SELECT DISTINCT ON (i) i, category
          FROM (SELECT r.i, w.ord, w.category,
                       sum(w.weight) OVER (PARTITION BY r.i ORDER BY w.ord) AS upto,
                       sum(w.weight) OVER (PARTITION BY r.i) AS total
                  FROM demo_rp r
                 CROSS JOIN LATERAL (
                   SELECT ord, category,
                          CASE WHEN coast_only AND NOT r.coastal THEN 0
                               ELSE base * (CASE WHEN r.hilly THEN hill_x ELSE 1 END)
                                         * (CASE WHEN r.urban THEN urban_pct ELSE 100 END) END AS weight
                     FROM demo_rp_weight) w) s
         WHERE pg_temp.demo_h('rp-category-' || i) % total < upto
         ORDER BY i, ord) c
 WHERE c.i = r.i;

-- levels skewed like a real 四色图: 5% red, 15% orange, 35% yellow, 45% blue
UPDATE demo_rp
   SET risk_level = CASE WHEN pg_temp.demo_h('rp-level-' || i) % 100 < 5 THEN 1
                         WHEN pg_temp.demo_h('rp-level-' || i) % 100 < 20 THEN 2
                         WHEN pg_temp.demo_h('rp-level-' || i) % 100 < 55 THEN 3
                         ELSE 4 END;

-- Names follow how such places are called: village, a spot in or around
-- it (a hill, a stream head; a part of the settlement), what it is. The
-- points of one category in one village take the kinds in turn (nth), so
-- that a village rarely has two of the same name.
ALTER TABLE demo_rp ADD COLUMN name text;
UPDATE demo_rp r SET name = CASE category
  WHEN 'geological' THEN v || nat || pg_temp.demo_nth(ARRAY['山体滑坡隐患点', '崩塌隐患点', '不稳定斜坡隐患点', '泥石流隐患点',
                                                          '削坡建房隐患点'], 'rp-name-' || left(r.grid_code, 12), w.nth)
  WHEN 'flood' THEN v || pg_temp.demo_nth(ARRAY[spot || '低洼易涝点', spot || '内涝积水点', nat || '山洪灾害危险区',
                                                 spot || '河段易涝点'], 'rp-name-' || left(r.grid_code, 12), w.nth)
  WHEN 'reservoir' THEN pg_temp.demo_nth(ARRAY[t || word || '水库', v || nat || '山塘', v || word || '山塘'], 'rp-name-' || left(r.grid_code, 12), w.nth)
  WHEN 'coastal' THEN v || spot || pg_temp.demo_nth(ARRAY['海堤', '渔港避风塘', '沿海台风危险区', '海上养殖区', '海堤险段',
                                                          '临海低洼区'], 'rp-name-' || left(r.grid_code, 12), w.nth)
  WHEN 'forest_fire' THEN v || nat || pg_temp.demo_nth(ARRAY['森林火险区', '林区防火重点区', '山林防火点', '墓区防火重点区'],
                                                        'rp-name-' || left(r.grid_code, 12), w.nth)
  WHEN 'crowded_place' THEN pg_temp.demo_nth(ARRAY[v || '小学', v || '幼儿园', v || '文化广场', v || '祠堂', v || '卫生站',
                                                    v || '综合市场', v || '老人活动中心', v || '党群服务中心', v || '教学点',
                                                    v || '中学', v || '农贸市场'], 'rp-name-' || left(r.grid_code, 12), w.nth)
  WHEN 'construction' THEN v || spot || pg_temp.demo_nth(ARRAY['安置房', '综合楼', '污水管网', '道路改造', '标准厂房',
                                                               '学校扩建', '堤围加固'], 'rp-name-' || left(r.grid_code, 12), w.nth) || '在建工地'
  WHEN 'road_traffic' THEN v || pg_temp.demo_nth(ARRAY['路口', nat || '临水临崖路段', nat || '急弯陡坡路段', '学校门前路段',
                                                        '平交路口', '过境公路段'], 'rp-name-' || left(r.grid_code, 12), w.nth)
  WHEN 'fire' THEN v || spot || pg_temp.demo_nth(ARRAY['三小场所集中区', '老旧民居连片区', '电动自行车集中充电点',
                                                       '出租屋集中区', '仓储物流点', '小作坊集中区'], 'rp-name-' || left(r.grid_code, 12), w.nth)
  ELSE v || pg_temp.demo_nth(ARRAY[spot || '危房', nat || '废弃采石坑', spot || '临时搭建物', spot || '危险围墙',
                                    nat || '老旧桥梁', nat || '废弃鱼塘'], 'rp-name-' || left(r.grid_code, 12), w.nth)
END
  FROM (SELECT i, row_number() OVER (PARTITION BY left(grid_code, 12), category ORDER BY i) - 1 AS nth,
               pg_temp.demo_pick(ARRAY['后山', '东坑', '西坑', '北岭', '南坡', '大岭', '石古', '塘尾', '坑口', '岭脚', '山背',
                                       '田心', '水尾', '松岗', '竹园', '石壁'], 'rp-nat-' || i) AS nat,
               pg_temp.demo_pick(ARRAY['东片', '西片', '南片', '北片', '中片', '老村', '新村', '圩仔', '下围', '上寮', '新区',
                                       '旧寨'], 'rp-spot-' || i) AS spot,
               pg_temp.demo_pick(ARRAY['石门', '龙潭', '青年', '红星', '长坑', '黄沙', '白石', '新丰', '大坑', '石壁', '水口',
                                       '赤岭', '公坑', '龙口', '白水', '坑尾', '东坑', '高潭', '尖山', '牛角', '径口', '竹林',
                                       '深坑', '响水'], 'rp-word-' || i) AS word
          FROM demo_rp) w
 WHERE w.i = r.i;

-- Names repeat (two 新港村小学); number the repeats so each reads apart.
INSERT INTO risk_points (external_id, name, category, risk_level, address, responsible_unit, responsible_person, phone,
                         population_exposed, last_inspection, status, geom)
SELECT 'demo-rp-' || lpad(i::text, 5, '0'),
       name || CASE WHEN nth > 1 THEN '（' || nth || '）' ELSE '' END,
       category, risk_level,
       '汕尾市' || county_name || township_name || v
         || pg_temp.demo_pick(ARRAY['东片', '西片', '南片', '北片', '中片', '新村', '老村', '村口', '后山', '沿河'],
                              'rp-address-' || i),
       CASE category
         WHEN 'reservoir' THEN name || '管理所'
         WHEN 'crowded_place' THEN name
         WHEN 'construction' THEN '汕尾市' || pg_temp.demo_pick(ARRAY['华鸿', '粤海', '汕建', '宏达', '恒基', '金厦', '城投',
                                                                   '海陆', '鸿运', '品清'], 'rp-unit-' || i) || '建筑工程有限公司'
         WHEN 'road_traffic' THEN county_name || '交通运输局'
         WHEN 'fire' THEN village_name
         ELSE government
       END,
       pg_temp.demo_person('rp-person-' || i),
       pg_temp.demo_mobile('rp-person-' || i),
       CASE risk_level
         WHEN 1 THEN 300 + pg_temp.demo_h('rp-people-' || i) % 1700
         WHEN 2 THEN 100 + pg_temp.demo_h('rp-people-' || i) % 500
         WHEN 3 THEN 20 + pg_temp.demo_h('rp-people-' || i) % 200
         ELSE pg_temp.demo_h('rp-people-' || i) % 60
       END,
       CASE WHEN pg_temp.demo_h('rp-never-' || i) % 100 < 2 THEN NULL
            ELSE pg_temp.demo_day('rp-inspected-' || i, 365) END,
       CASE WHEN pg_temp.demo_h('rp-status-' || i) % 100 < 3 THEN 'retired' ELSE 'active' END,
       geom
  FROM (SELECT r.*, row_number() OVER (PARTITION BY name ORDER BY i) AS nth FROM demo_rp r) r
 ORDER BY i;
