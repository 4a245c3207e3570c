-- Helpers for the generation scripts. They live in pg_temp and are dropped
-- by the last script (or by the rollback of a failed load). Every value is
-- a function of a stable key through hashtext, never of random(), so every
-- load makes the same city.

-- a non-negative hash of key (hashtext is int4; abs of its minimum overflows)
CREATE FUNCTION pg_temp.demo_h(key text) RETURNS bigint LANGUAGE sql IMMUTABLE AS $$
  SELECT abs(hashtext(key)::bigint)
$$;

-- a seed for ST_GeneratePoints, which wants a positive integer
CREATE FUNCTION pg_temp.demo_seed(key text) RETURNS integer LANGUAGE sql IMMUTABLE AS $$
  SELECT (pg_temp.demo_h(key) % 2147483646 + 1)::integer
$$;

CREATE FUNCTION pg_temp.demo_pick(words text[], key text) RETURNS text LANGUAGE sql IMMUTABLE AS $$
  SELECT words[1 + pg_temp.demo_h(key) % cardinality(words)]
$$;

-- the nth word after a hashed start: n = 0, 1, 2... walk the list in turn
CREATE FUNCTION pg_temp.demo_nth(words text[], key text, n bigint) RETURNS text LANGUAGE sql IMMUTABLE AS $$
  SELECT words[1 + (pg_temp.demo_h(key) + n) % cardinality(words)]
$$;

-- a person's name: common surnames of the Chaoshan and Hailufeng area (the
-- most common twice) and everyday given names
CREATE FUNCTION pg_temp.demo_person(key text) RETURNS text LANGUAGE sql IMMUTABLE AS $$
  SELECT pg_temp.demo_pick(ARRAY['陈', '陈', '林', '林', '黄', '李', '张', '吴', '刘', '郑', '彭', '蔡', '杨', '钟',
                                 '叶', '庄', '许', '余', '曾', '王', '罗', '卓', '温', '邱', '詹', '谢', '马', '朱',
                                 '苏', '方', '颜', '徐'], 'surname-' || key)
      || pg_temp.demo_pick(ARRAY['志强', '伟明', '秀英', '丽娟', '建华', '海燕', '少玲', '俊杰', '晓东', '惠珍',
                                 '锦辉', '泽鹏', '文静', '宏伟', '淑芬', '金凤', '振华', '国栋', '美玲', '家豪',
                                 '婉婷', '佳琪', '少辉', '炳坤', '春燕', '达明', '汉生', '丽华', '永强', '俊生',
                                 '秀珍', '少华', '晓玲', '泽林', '伟光', '海滨', '木生', '雪梅', '世杰', '爱珠',
                                 '丹', '敏', '勇', '静', '军', '涛'], 'given-' || key)
$$;

-- an 11-digit mainland mobile number with a real operator prefix
CREATE FUNCTION pg_temp.demo_mobile(key text) RETURNS text LANGUAGE sql IMMUTABLE AS $$
  SELECT '1' || pg_temp.demo_pick(ARRAY['34', '35', '36', '37', '38', '39', '50', '51', '52', '57', '58', '59',
                                        '82', '87', '88', '30', '31', '32', '55', '56', '85', '86', '33', '53',
                                        '80', '89', '99', '77'], 'mobile-prefix-' || key)
      || lpad((pg_temp.demo_h('mobile-' || key) % 100000000)::text, 8, '0')
$$;

-- a Shanwei landline (area code 0660, 7-digit local number)
CREATE FUNCTION pg_temp.demo_landline(key text) RETURNS text LANGUAGE sql IMMUTABLE AS $$
  SELECT '0660-' || (3100000 + pg_temp.demo_h('landline-' || key) % 800000)::text
$$;

-- a day up to span-1 days before the demo's reference date, 2026-10-31
-- (fixed, so that reloading does not shift the dates)
CREATE FUNCTION pg_temp.demo_day(key text, span integer) RETURNS date LANGUAGE sql IMMUTABLE AS $$
  SELECT date '2026-10-31' - (pg_temp.demo_h('day-' || key) % span)::integer
$$;

-- GB 11714 organization code: 8 digits and a check character
CREATE FUNCTION pg_temp.demo_org_code(body text) RETURNS text LANGUAGE sql IMMUTABLE AS $$
  SELECT body || CASE c WHEN 10 THEN 'X' WHEN 11 THEN '0' ELSE c::text END
    FROM (SELECT 11 - sum(substr(body, k::integer, 1)::integer * w) % 11 AS c
            FROM unnest(ARRAY[3, 7, 9, 10, 5, 8, 4, 2]) WITH ORDINALITY AS t(w, k)) s
$$;

-- GB 32100 unified social credit code: 17 characters and the check character
CREATE FUNCTION pg_temp.demo_uscc(body text) RETURNS text LANGUAGE sql IMMUTABLE AS $$
  SELECT body || substr(a, ((31 - sum((strpos(a, substr(body, k::integer, 1)) - 1) * w) % 31) % 31 + 1)::integer, 1)
    FROM (SELECT '0123456789ABCDEFGHJKLMNPQRTUWXY'::text AS a) alphabet,
         unnest(ARRAY[1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]) WITH ORDINALITY AS t(w, k)
   GROUP BY a
$$;

-- Lloyd relaxation: move each seed to the middle of its Voronoi cell within
-- its zone, which evens out the cell sizes that ST_GeneratePoints leaves
-- uneven. The seeds table has (code, parent, seed, zone) columns; the
-- centroid of a concave cell may fall outside it, hence PointOnSurface.
CREATE FUNCTION pg_temp.demo_relax(seeds regclass, rounds integer) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  FOR i IN 1..rounds LOOP
    EXECUTE format($q$
      WITH cells AS (
        SELECT parent, (ST_Dump(ST_VoronoiPolygons(ST_Collect(seed ORDER BY code), 0,
                 ST_SetSRID(ST_Expand(ST_Extent(zone), 0.2)::geometry, 4326)))).geom AS cell
          FROM %1$s GROUP BY parent),
      moved AS (
        SELECT s.code, ST_Intersection(c.cell, s.zone) AS g, s.zone
          FROM %1$s s JOIN cells c ON c.parent = s.parent AND ST_Intersects(c.cell, s.seed))
      UPDATE %1$s s
         SET seed = CASE WHEN ST_Contains(m.zone, ST_Centroid(m.g)) THEN ST_Centroid(m.g) ELSE ST_PointOnSurface(m.g) END
        FROM moved m
       WHERE m.code = s.code AND NOT ST_IsEmpty(m.g)$q$, seeds);
  END LOOP;
END $$;

-- the Voronoi cells of a seeds table clipped to each seed's parent polygon,
-- as valid MultiPolygons; a parent with a single seed is its own cell (GEOS
-- returns no diagram for one point)
CREATE FUNCTION pg_temp.demo_cells(seeds regclass, parents regclass)
RETURNS TABLE (code text, geom geometry) LANGUAGE plpgsql AS $$
BEGIN
  RETURN QUERY EXECUTE format($q$
    WITH counts AS (
      SELECT parent, count(*) AS n FROM %1$s GROUP BY parent),
    cells AS (
      SELECT s.parent, (ST_Dump(ST_VoronoiPolygons(ST_Collect(s.seed ORDER BY s.code), 0, ST_Expand(p.geom, 0.2)))).geom AS cell
        FROM %1$s s JOIN counts n ON n.parent = s.parent AND n.n > 1 JOIN %2$s p ON p.code = s.parent
       GROUP BY s.parent, p.geom)
    SELECT s.code, ST_Multi(ST_CollectionExtract(ST_Intersection(c.cell, p.geom), 3))
      FROM %1$s s JOIN cells c ON c.parent = s.parent AND ST_Intersects(c.cell, s.seed)
      JOIN %2$s p ON p.code = s.parent
    UNION ALL
    SELECT s.code, p.geom
      FROM %1$s s JOIN counts n ON n.parent = s.parent AND n.n = 1 JOIN %2$s p ON p.code = s.parent
     ORDER BY 1$q$, seeds, parents);
END $$;
