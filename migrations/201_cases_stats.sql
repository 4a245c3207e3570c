-- Statistics at a past date read a case's event history only when its
-- closed state or its deadline changed after that date. The deadline column
-- that tells is the time of the last change to an existing deadline (an
-- extension, or a new assignment after a return): a first assignment after
-- the date cannot matter, since its deadline lies after it. Both columns
-- are rare, so partial indexes find those cases without a full scan.
ALTER TABLE cases RENAME COLUMN deadline_set_at TO deadline_changed_at;
UPDATE cases c SET deadline_changed_at = x.changed
  FROM (SELECT e.case_id, max(e.at) AS changed
          FROM case_events e
         WHERE e.deadline IS NOT NULL
           AND EXISTS (SELECT 1 FROM case_events p WHERE p.case_id = e.case_id AND p.deadline IS NOT NULL AND (p.at, p.id) < (e.at, e.id))
         GROUP BY e.case_id) x
 WHERE x.case_id = c.id AND c.deadline_changed_at IS DISTINCT FROM x.changed;
UPDATE cases c SET deadline_changed_at = NULL
 WHERE deadline_changed_at IS NOT NULL
   AND (SELECT count(*) FROM case_events e WHERE e.case_id = c.id AND e.deadline IS NOT NULL) < 2;
CREATE INDEX cases_reopened_idx ON cases (reopened_at) WHERE reopened_at IS NOT NULL;
CREATE INDEX cases_deadline_changed_idx ON cases (deadline_changed_at) WHERE deadline_changed_at IS NOT NULL;
