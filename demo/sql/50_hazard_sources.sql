-- 600 hazard sources (enterprises), placed like the risk points: source i
-- falls in a grid picked by hash and is drawn inside it.

CREATE TEMP TABLE demo_hs ON COMMIT DROP AS
WITH g AS (
  SELECT row_number() OVER (ORDER BY code) - 1 AS n, * FROM demo_grid),
pick AS (
  SELECT i, pg_temp.demo_h('hs-grid-' || i) % (SELECT count(*) FROM g) AS n
    FROM generate_series(1, 600) AS i),
per_grid AS (
  SELECT n, array_agg(i ORDER BY i) AS ids FROM pick GROUP BY n)
SELECT p.ids[d.path[1]] AS i, d.geom, g.code AS grid_code, g.village_short AS v, g.township_name,
       g.county_code, g.county_name,
       CASE pg_temp.demo_h('hs-category-' || p.ids[d.path[1]]) % 100 / 5
         WHEN 0 THEN 'hazardous_chemicals' WHEN 1 THEN 'hazardous_chemicals' WHEN 2 THEN 'hazardous_chemicals'
         WHEN 3 THEN 'hazardous_chemicals' WHEN 4 THEN 'hazardous_chemicals'       -- 25%
         WHEN 5 THEN 'fireworks' WHEN 6 THEN 'non_coal_mine'                       -- 5%, 5%
         WHEN 7 THEN 'gas' WHEN 8 THEN 'gas' WHEN 9 THEN 'gas'                     -- 15%
         WHEN 18 THEN 'other' WHEN 19 THEN 'other'                                 -- 10%
         ELSE 'industrial_trade'                                                   -- 40%
       END AS category
  FROM per_grid p JOIN g USING (n),
       ST_Dump(ST_GeneratePoints(g.geom, cardinality(p.ids), pg_temp.demo_seed('hs-' || g.code))) d;

-- Trade names are two characters from two lists; i*37 mod 900 walks all
-- 30×30 pairs without repeating, so no two enterprises share a name.
INSERT INTO hazard_sources (external_id, name, credit_code, category, major_hazard_level, main_substances,
                            legal_representative, safety_officer, safety_phone, licence_no, licence_expiry, address,
                            status, geom)
SELECT 'demo-hs-' || lpad(i::text, 5, '0'),
       CASE county_code WHEN '441502000000' THEN '汕尾市' ELSE county_name END
         || (ARRAY['华', '粤', '海', '鸿', '金', '宏', '恒', '永', '新', '泰', '汇', '嘉', '瑞', '昌', '福', '安', '德',
                   '正', '建', '中', '南', '东', '广', '天', '明', '长', '大', '志', '世', '凯'])[1 + (i * 37 % 900) / 30]
         || (ARRAY['发', '达', '盛', '源', '顺', '通', '利', '成', '邦', '宇', '威', '辉', '荣', '业', '隆', '宝', '鑫',
                   '力', '诚', '康', '美', '和', '益', '祥', '晟', '弘', '科', '景', '信', '峰'])[1 + (i * 37 % 900) % 30]
         || CASE category
              WHEN 'hazardous_chemicals' THEN pg_temp.demo_pick(ARRAY['化工', '石化', '危险品储运', '工业气体', '化学品贸易',
                                                                      '涂料'], 'hs-trade-' || i)
              WHEN 'fireworks' THEN pg_temp.demo_pick(ARRAY['烟花爆竹', '烟花爆竹批发', '花炮'], 'hs-trade-' || i)
              WHEN 'non_coal_mine' THEN pg_temp.demo_pick(ARRAY['石场', '建材矿业', '石料', '矿业'], 'hs-trade-' || i)
              WHEN 'gas' THEN pg_temp.demo_pick(ARRAY['燃气', '液化气', '天然气', '能源'], 'hs-trade-' || i)
              WHEN 'industrial_trade' THEN pg_temp.demo_pick(ARRAY['五金制品', '纺织', '食品', '水产加工', '电子', '塑料制品',
                                                                   '家具', '金属制品', '饲料', '铝材'], 'hs-trade-' || i)
              ELSE pg_temp.demo_pick(ARRAY['物流', '仓储', '石油', '再生资源'], 'hs-trade-' || i)
            END
         || CASE WHEN pg_temp.demo_h('hs-form-' || i) % 5 = 0 THEN '有限责任公司' ELSE '有限公司' END,
       -- 9 (registered by market regulation) 1 (enterprise), the county as
       -- registration authority, an organization code unique per i (7919 is
       -- prime to 10^8), then the check character
       pg_temp.demo_uscc('91' || left(county_code, 6)
                         || pg_temp.demo_org_code(lpad(((i * 7919 + 10000000) % 100000000)::text, 8, '0'))),
       category,
       -- about a quarter are major hazard installations, mostly chemicals and gas
       CASE WHEN pg_temp.demo_h('hs-major-' || i) % 100 < CASE category WHEN 'hazardous_chemicals' THEN 50
                                                                         WHEN 'gas' THEN 35 WHEN 'fireworks' THEN 30
                                                                         ELSE 10 END
            THEN CASE WHEN pg_temp.demo_h('hs-grade-' || i) % 100 < 10 THEN 1
                      WHEN pg_temp.demo_h('hs-grade-' || i) % 100 < 30 THEN 2
                      WHEN pg_temp.demo_h('hs-grade-' || i) % 100 < 65 THEN 3
                      ELSE 4 END
       END,
       CASE category
         WHEN 'hazardous_chemicals' THEN pg_temp.demo_pick(ARRAY['液氨', '液氯', '甲醇', '汽油、柴油', '硫酸、盐酸', '液化石油气',
                                                                 '乙炔、氧气', '甲苯、二甲苯'], 'hs-substance-' || i)
         WHEN 'fireworks' THEN '烟花爆竹成品'
         WHEN 'non_coal_mine' THEN pg_temp.demo_pick(ARRAY['工业炸药、柴油', '花岗岩石料', '建筑用砂'], 'hs-substance-' || i)
         WHEN 'gas' THEN pg_temp.demo_pick(ARRAY['液化石油气', '天然气'], 'hs-substance-' || i)
         WHEN 'industrial_trade' THEN pg_temp.demo_pick(ARRAY['铝粉尘', '液氨（制冷）', '木粉尘', '天然气', '有机溶剂'],
                                                        'hs-substance-' || i)
         ELSE '柴油'
       END,
       pg_temp.demo_person('hs-legal-' || i),
       pg_temp.demo_person('hs-safety-' || i),
       pg_temp.demo_mobile('hs-safety-' || i),
       -- licences run three years; those issued in 2023 expire in 2026, some already
       CASE category
         WHEN 'hazardous_chemicals' THEN '粤汕危化经字〔' || y || '〕' || lpad(i::text, 6, '0')
         WHEN 'fireworks' THEN '（粤）YH经字〔' || y || '〕' || lpad(i::text, 6, '0')
         WHEN 'non_coal_mine' THEN '（粤）FM安许证字〔' || y || '〕' || lpad(i::text, 6, '0')
         WHEN 'gas' THEN '粤' || y || '燃经' || lpad(i::text, 6, '0')
       END,
       CASE WHEN category IN ('hazardous_chemicals', 'fireworks', 'non_coal_mine', 'gas')
            THEN make_date(y + 3, 1 + (pg_temp.demo_h('hs-expiry-' || i) % 12)::integer,
                           1 + (pg_temp.demo_h('hs-expiry-day-' || i) % 28)::integer) END,
       '汕尾市' || county_name || township_name || v
         || pg_temp.demo_pick(ARRAY['工业园', '工业区', '东路', '西路', '大道', '开发区'], 'hs-address-' || i)
         || (1 + pg_temp.demo_h('hs-number-' || i) % 200) || '号',
       CASE WHEN pg_temp.demo_h('hs-status-' || i) % 100 < 2 THEN 'retired' ELSE 'active' END,
       geom
  FROM (SELECT h.*, 2023 + (pg_temp.demo_h('hs-issued-' || i) % 4)::integer AS y FROM demo_hs h) h
 ORDER BY i;
