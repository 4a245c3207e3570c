-- Statistics over many cases without reading them all (cases/statistics.go).
--
-- case_day_counts holds, per township and day of report (UTC+8, as the
-- statistics count days), the counts of found cases (not void or duplicate)
-- as they will finally stand: closed (closed_at set), to rectify (closed,
-- or a deadline set), closed on time (closed_at <= deadline), and found and
-- closed of grade major.
-- At a period's end E a case stands so too unless something about it lies
-- at or after E: a close, a deadline, a reopening or a deadline change.
-- Those cases — reported before E, with the latest of those four at or
-- after E — are few, and cases_stats_pending_idx finds them; the statistics
-- take them out of the counters and count them as they stood at E.
--
-- The counters follow every INSERT, UPDATE, DELETE and TRUNCATE of cases by
-- statement triggers on the transition tables (one upsert per township and
-- day touched, in key order). They fire ALWAYS, even under
-- session_replication_role = replica (bulk loads), so nothing can bypass
-- them; should cases ever be logically replicated, replicate cases only
-- and let the subscriber's trigger count.

CREATE TABLE case_day_counts (
  township_code text NOT NULL,
  county_code   text NOT NULL,
  day           date NOT NULL,
  found         integer NOT NULL,
  closed        integer NOT NULL,
  to_rectify    integer NOT NULL,
  on_time       integer NOT NULL,
  major_found   integer NOT NULL,
  major_closed  integer NOT NULL,
  PRIMARY KEY (day, township_code, county_code)
);

-- the day of an instant in UTC+8 (cases.Shanghai(): a fixed offset)
CREATE FUNCTION riskmap_cst_day(t timestamptz) RETURNS date LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT ((t + interval '8 hours') AT TIME ZONE 'UTC')::date
$$;

CREATE FUNCTION riskmap_case_counts() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  src text;
BEGIN
  IF TG_OP = 'TRUNCATE' THEN
    DELETE FROM case_day_counts;
    RETURN NULL;
  END IF;
  -- the rows a statement added (+1) and took away (-1)
  src := CASE TG_OP
    WHEN 'INSERT' THEN 'SELECT 1 AS s, * FROM new_rows'
    WHEN 'DELETE' THEN 'SELECT -1 AS s, * FROM old_rows'
    ELSE 'SELECT 1 AS s, * FROM new_rows UNION ALL SELECT -1 AS s, * FROM old_rows' END;
  EXECUTE format($q$
    INSERT INTO case_day_counts AS k (township_code, county_code, day, found, closed, to_rectify, on_time, major_found, major_closed)
    SELECT * FROM (
      SELECT township_code, county_code, riskmap_cst_day(reported_at) AS day,
             sum(s)::int AS found,
             sum(CASE WHEN closed_at IS NOT NULL THEN s ELSE 0 END)::int AS closed,
             sum(CASE WHEN closed_at IS NOT NULL OR deadline IS NOT NULL THEN s ELSE 0 END)::int AS to_rectify,
             sum(CASE WHEN closed_at <= deadline THEN s ELSE 0 END)::int AS on_time,
             sum(CASE WHEN grade = 'major' THEN s ELSE 0 END)::int AS major_found,
             sum(CASE WHEN grade = 'major' AND closed_at IS NOT NULL THEN s ELSE 0 END)::int AS major_closed
        FROM (%s) x
       WHERE state NOT IN ('void', 'duplicate')
       GROUP BY 1, 2, 3) d
     WHERE (found, closed, to_rectify, on_time, major_found, major_closed) <> (0, 0, 0, 0, 0, 0)
     ORDER BY day, township_code, county_code
    ON CONFLICT (day, township_code, county_code) DO UPDATE
      SET found = k.found + excluded.found, closed = k.closed + excluded.closed,
          to_rectify = k.to_rectify + excluded.to_rectify, on_time = k.on_time + excluded.on_time,
          major_found = k.major_found + excluded.major_found, major_closed = k.major_closed + excluded.major_closed$q$, src);
  RETURN NULL;
END $$;
CREATE TRIGGER zz_counts_insert AFTER INSERT ON cases REFERENCING NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION riskmap_case_counts();
CREATE TRIGGER zz_counts_update AFTER UPDATE ON cases REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION riskmap_case_counts();
CREATE TRIGGER zz_counts_delete AFTER DELETE ON cases REFERENCING OLD TABLE AS old_rows
  FOR EACH STATEMENT EXECUTE FUNCTION riskmap_case_counts();
CREATE TRIGGER zz_counts_truncate AFTER TRUNCATE ON cases
  FOR EACH STATEMENT EXECUTE FUNCTION riskmap_case_counts();
ALTER TABLE cases ENABLE ALWAYS TRIGGER zz_counts_insert, ENABLE ALWAYS TRIGGER zz_counts_update,
  ENABLE ALWAYS TRIGGER zz_counts_delete, ENABLE ALWAYS TRIGGER zz_counts_truncate;

-- the counters of the cases already there
INSERT INTO case_day_counts (township_code, county_code, day, found, closed, to_rectify, on_time, major_found, major_closed)
SELECT township_code, county_code, riskmap_cst_day(reported_at), count(*),
       count(*) FILTER (WHERE closed_at IS NOT NULL),
       count(*) FILTER (WHERE closed_at IS NOT NULL OR deadline IS NOT NULL),
       count(*) FILTER (WHERE closed_at <= deadline),
       count(*) FILTER (WHERE grade = 'major'),
       count(*) FILTER (WHERE grade = 'major' AND closed_at IS NOT NULL)
  FROM cases
 WHERE state NOT IN ('void', 'duplicate')
 GROUP BY 1, 2, 3;

-- The cases whose standing at an instant E may differ from the counters
-- are those reported before E with a close, reopening or deadline change at
-- or after E, or, when not closed, a deadline at or after E. (A case closed
-- before E whose deadline lies after it stands at E as it finally does.) An
-- index on the class of the span from the report to the last of those
-- times (0: under a day; k: under 2^k days; 16: longer) and on the report
-- time finds them with one short range per class: for class k, the reports
-- within 2^k days before E. The columns the statistics read are included,
-- so that the scan never visits the table.
CREATE FUNCTION riskmap_case_span_class(reported_at timestamptz, closed_at timestamptz, deadline timestamptz,
    reopened_at timestamptz, deadline_changed_at timestamptz) RETURNS integer
  LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT width_bucket(date_part('epoch', greatest(reported_at, coalesce(closed_at, deadline), reopened_at, deadline_changed_at) - reported_at),
    '{86400,172800,345600,691200,1382400,2764800,5529600,11059200,22118400,44236800,88473600,176947200,353894400,707788800,1415577600,2831155200}'::float8[])
$$;
CREATE INDEX cases_stats_pending_idx ON cases
  (riskmap_case_span_class(reported_at, closed_at, deadline, reopened_at, deadline_changed_at), reported_at)
  INCLUDE (township_code, county_code, grade, closed_at, deadline, reopened_at, deadline_changed_at, id)
  WHERE state NOT IN ('void', 'duplicate');

-- A pending case reopened, or given a new deadline, after E stood at E as
-- its history says. The histories of the cases ever reopened, or ever given
-- a second deadline, are kept as spans, so that the statistics join them
-- instead of searching the events case by case:
--   case_closed_spans: each close, from its instant to the next event out
--     of closed (NULL: still closed). At E the case stood closed, closed at
--     closed_from, when closed_from < E <= closed_until.
--   case_deadline_spans: each deadline, from the event that set it to the
--     next that set one. At E the deadline in force was the one with
--     set_at < E <= until.
-- Ties in time are ordered by event id, as the event history is.
CREATE TABLE case_closed_spans (
  case_id      uuid NOT NULL REFERENCES cases (id),
  closed_from  timestamptz NOT NULL,
  closed_until timestamptz,
  event_id     bigint NOT NULL,
  PRIMARY KEY (case_id, event_id)
);
CREATE TABLE case_deadline_spans (
  case_id  uuid NOT NULL REFERENCES cases (id),
  set_at   timestamptz NOT NULL,
  until    timestamptz,
  deadline timestamptz NOT NULL,
  event_id bigint NOT NULL,
  PRIMARY KEY (case_id, event_id)
);

-- the spans of the given cases, recomputed from their events
CREATE FUNCTION riskmap_case_spans(ids uuid[]) RETURNS void LANGUAGE sql AS $$
  DELETE FROM case_closed_spans WHERE case_id = ANY (ids);
  INSERT INTO case_closed_spans (case_id, closed_from, closed_until, event_id)
  SELECT case_id, at, next_at, id
    FROM (SELECT e.case_id, e.id, e.at, e.to_state, lead(e.at) OVER w AS next_at,
                 count(*) FILTER (WHERE e.from_state = 'closed' AND e.to_state <> 'closed') OVER (PARTITION BY e.case_id) AS reopenings
            FROM case_events e
           WHERE e.case_id = ANY (ids) AND (e.to_state = 'closed' OR e.from_state = 'closed')
          WINDOW w AS (PARTITION BY e.case_id ORDER BY e.at, e.id)) x
   WHERE to_state = 'closed' AND reopenings > 0;
  DELETE FROM case_deadline_spans WHERE case_id = ANY (ids);
  INSERT INTO case_deadline_spans (case_id, set_at, until, deadline, event_id)
  SELECT case_id, at, next_at, deadline, id
    FROM (SELECT e.case_id, e.id, e.at, e.deadline, lead(e.at) OVER w AS next_at, count(*) OVER (PARTITION BY e.case_id) AS n
            FROM case_events e
           WHERE e.case_id = ANY (ids) AND e.deadline IS NOT NULL
          WINDOW w AS (PARTITION BY e.case_id ORDER BY e.at, e.id)) x
   WHERE n > 1;
$$;

CREATE FUNCTION riskmap_case_events_spans() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM riskmap_case_spans(array(
    SELECT DISTINCT case_id FROM new_events
     WHERE to_state = 'closed' OR from_state = 'closed' OR deadline IS NOT NULL ORDER BY 1));
  RETURN NULL;
END $$;
-- events are never updated or deleted (append_only), so inserts are all
CREATE TRIGGER zz_spans AFTER INSERT ON case_events REFERENCING NEW TABLE AS new_events
  FOR EACH STATEMENT EXECUTE FUNCTION riskmap_case_events_spans();
ALTER TABLE case_events ENABLE ALWAYS TRIGGER zz_spans;

SELECT riskmap_case_spans(array(
  SELECT case_id FROM case_events WHERE from_state = 'closed' AND to_state <> 'closed'
  UNION
  SELECT case_id FROM case_events WHERE deadline IS NOT NULL GROUP BY case_id HAVING count(*) > 1));
