-- Case numbers people can read out on the phone and write on paper:
-- year-township-sequence, e.g. 2026-新港-0042 (the year of the report in
-- Asia/Shanghai, the township's name without 街道/镇/乡/管理区, a sequence
-- from 0001 per number prefix). Given once, by trigger, so every way a case
-- is inserted (reports, the demo, inspections) gets one; never changed, so
-- a number on a printed list stays true when a township is renamed.

-- the short name of a township in a case number
CREATE FUNCTION riskmap_township_short(name text) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT coalesce(nullif(regexp_replace(btrim(name), '(街道办事处|街道|管理区|镇|乡)$', ''), ''), btrim(name))
$$;

-- the last sequence given under each prefix ("2026-新港"): two townships of
-- the same short name share one sequence, so numbers stay unique
CREATE TABLE case_number_counters (
  prefix text PRIMARY KEY,
  last   integer NOT NULL CHECK (last > 0)
);

ALTER TABLE cases ADD COLUMN number text;

CREATE FUNCTION riskmap_case_prefix(township_code text, reported_at timestamptz) RETURNS text LANGUAGE sql STABLE AS $$
  SELECT extract(year FROM reported_at AT TIME ZONE 'Asia/Shanghai')::int || '-' ||
         riskmap_township_short(coalesce((SELECT a.name FROM areas a WHERE a.code = township_code), township_code))
$$;

CREATE FUNCTION riskmap_case_number(prefix text, n integer) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT prefix || '-' || CASE WHEN n < 10000 THEN lpad(n::text, 4, '0') ELSE n::text END
$$;

-- b_number runs after a_place, which sets township_code
CREATE FUNCTION riskmap_case_number_trigger() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  p text;
  n integer;
BEGIN
  IF NEW.number IS NOT NULL THEN
    RETURN NEW;
  END IF;
  p := riskmap_case_prefix(NEW.township_code, NEW.reported_at);
  INSERT INTO case_number_counters AS k (prefix, last) VALUES (p, 1)
    ON CONFLICT (prefix) DO UPDATE SET last = k.last + 1
    RETURNING k.last INTO n;
  NEW.number := riskmap_case_number(p, n);
  RETURN NEW;
END $$;

-- the cases there are, numbered in the order they were reported; written
-- with the triggers off, so no version, audit line, live event or
-- notification comes of a column that did not exist. Each trigger gets its
-- own mode back after (the statistics' counters fire ALWAYS).
CREATE TEMP TABLE case_trigger_modes ON COMMIT DROP AS
  SELECT tgname, tgenabled FROM pg_trigger WHERE tgrelid = 'cases'::regclass AND NOT tgisinternal;
ALTER TABLE cases DISABLE TRIGGER USER;
WITH numbered AS (
  SELECT c.id, riskmap_case_prefix(c.township_code, c.reported_at) AS prefix,
         row_number() OVER (PARTITION BY riskmap_case_prefix(c.township_code, c.reported_at) ORDER BY c.reported_at, c.seq) AS n
    FROM cases c
)
UPDATE cases c SET number = riskmap_case_number(x.prefix, x.n::integer) FROM numbered x WHERE x.id = c.id;
INSERT INTO case_number_counters (prefix, last)
  SELECT riskmap_case_prefix(township_code, reported_at), count(*) FROM cases GROUP BY 1;
DO $$
DECLARE
  t record;
BEGIN
  FOR t IN SELECT * FROM case_trigger_modes LOOP
    EXECUTE format('ALTER TABLE cases %s TRIGGER %I',
      CASE t.tgenabled WHEN 'O' THEN 'ENABLE' WHEN 'A' THEN 'ENABLE ALWAYS' WHEN 'R' THEN 'ENABLE REPLICA' ELSE 'DISABLE' END, t.tgname);
  END LOOP;
END $$;

-- not NOT NULL: a bulk load with the triggers off (session_replication_role
-- replica) writes cases without one
CREATE UNIQUE INDEX cases_number_idx ON cases (number text_pattern_ops);
CREATE TRIGGER b_number BEFORE INSERT ON cases FOR EACH ROW EXECUTE FUNCTION riskmap_case_number_trigger();
