-- The patrol figures of the inspection statistics over millions of patrols
-- without reading them all (patrols/figures.go).
--
-- patrol_day_counts holds, per township and day (UTC+8), the patrols made
-- that day (patrol_day) with those off-site and those that found a problem,
-- and the due dates that fell that day and were answered by a patrol
-- (due_on), with those met on or before it (on time) and after it (late).
-- Patrols are append-only (550: no UPDATE, DELETE or TRUNCATE), so the
-- counters follow their INSERTs alone: a statement trigger on the
-- transition table, one upsert per township and day touched, in key order.
-- It fires ALWAYS, even under session_replication_role = replica (bulk
-- loads), as the case counters do (202).
-- The statistics read the counters for county and township rows over
-- whole townships; grids and finer scopes still count the patrols.

CREATE TABLE patrol_day_counts (
  township_code text NOT NULL,
  day           date NOT NULL,
  county_code   text NOT NULL,
  patrols       integer NOT NULL,
  off_site      integer NOT NULL,
  problems      integer NOT NULL,
  due           integer NOT NULL,
  on_time       integer NOT NULL,
  late          integer NOT NULL,
  PRIMARY KEY (township_code, day)
);

CREATE FUNCTION riskmap_patrol_counts() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO patrol_day_counts AS k (township_code, day, county_code, patrols, off_site, problems, due, on_time, late)
  SELECT township_code, day, min(county_code), sum(patrols), sum(off_site), sum(problems), sum(due), sum(on_time), sum(late)
    FROM (SELECT n.township_code, n.patrol_day AS day, n.county_code, 1 AS patrols, n.off_site::int AS off_site,
                 (n.result = 'problem')::int AS problems, 0 AS due, 0 AS on_time, 0 AS late
            FROM new_rows n
          UNION ALL
          SELECT n.township_code, n.due_on, n.county_code, 0, 0, 0, 1, (n.patrol_day <= n.due_on)::int, (n.patrol_day > n.due_on)::int
            FROM new_rows n) x
   GROUP BY township_code, day
   ORDER BY township_code, day
  ON CONFLICT (township_code, day) DO UPDATE SET
    patrols = k.patrols + excluded.patrols, off_site = k.off_site + excluded.off_site,
    problems = k.problems + excluded.problems, due = k.due + excluded.due,
    on_time = k.on_time + excluded.on_time, late = k.late + excluded.late;
  RETURN NULL;
END $$;
CREATE TRIGGER zz_counts AFTER INSERT ON patrols REFERENCING NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION riskmap_patrol_counts();
ALTER TABLE patrols ENABLE ALWAYS TRIGGER zz_counts;

-- the patrols made before this migration
INSERT INTO patrol_day_counts (township_code, day, county_code, patrols, off_site, problems, due, on_time, late)
SELECT township_code, day, min(county_code), sum(patrols), sum(off_site), sum(problems), sum(due), sum(on_time), sum(late)
  FROM (SELECT p.township_code, p.patrol_day AS day, p.county_code, count(*) AS patrols, count(*) FILTER (WHERE p.off_site) AS off_site,
               count(*) FILTER (WHERE p.result = 'problem') AS problems, 0 AS due, 0 AS on_time, 0 AS late
          FROM patrols p GROUP BY 1, 2, 3
        UNION ALL
        SELECT p.township_code, p.due_on, p.county_code, 0, 0, 0, count(*), count(*) FILTER (WHERE p.patrol_day <= p.due_on),
               count(*) FILTER (WHERE p.patrol_day > p.due_on)
          FROM patrols p GROUP BY 1, 2, 3) x
 GROUP BY township_code, day;

-- The due date rule of 550 with the interval given: a plain expression the
-- planner inlines, for queries that join patrol_intervals themselves
-- (riskmap_patrol_due_on looked the interval up once per row: 5 s over
-- 300,000 risk points where the join takes 0.3 s). riskmap_patrol_due_on
-- keeps its signature and now says the rule through it.
CREATE FUNCTION riskmap_patrol_due_after(last_inspection date, created_at timestamptz, days integer) RETURNS date
  LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT CASE WHEN last_inspection IS NULL THEN riskmap_cst_day(created_at) ELSE last_inspection + days END
$$;
CREATE OR REPLACE FUNCTION riskmap_patrol_due_on(last_inspection date, created_at timestamptz, risk_level smallint) RETURNS date
  LANGUAGE sql STABLE PARALLEL SAFE AS $$
  SELECT riskmap_patrol_due_after(last_inspection, created_at,
    (SELECT i.days FROM patrol_intervals i WHERE i.risk_level = riskmap_patrol_due_on.risk_level))
$$;
