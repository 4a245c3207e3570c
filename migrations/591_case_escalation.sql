-- Escalation is recorded on the case (cases/escalate.go): a case overdue by
-- more than the grace period gets an 'escalate' event from the system, its
-- state unchanged, and its escalation level rises — 1, the county; 2, the
-- city, for a major hazard overdue by the further grace. A new deadline
-- (assign after a return, extend) starts the count again.

ALTER TABLE case_events DROP CONSTRAINT case_events_action_check;
ALTER TABLE case_events ADD CONSTRAINT case_events_action_check CHECK (action IN ('report', 'register', 'void', 'merge', 'assign',
  'return', 'start', 'extend', 'suspend', 'resume', 'submit', 'approve', 'reject', 'reopen', 'escalate'));

-- One escalate event per case, deadline and level, whoever runs the job and
-- however often: the job inserts ON CONFLICT DO NOTHING against this.
CREATE UNIQUE INDEX case_events_escalate_once_idx ON case_events (case_id, deadline, ((details ->> 'level')::int))
  WHERE action = 'escalate';

ALTER TABLE cases
  ADD COLUMN escalation_level smallint NOT NULL DEFAULT 0 CHECK (escalation_level BETWEEN 0 AND 2),
  -- the last escalation, and the first ever (the statistics count cases
  -- escalated by a period's end; a new deadline never undoes that)
  ADD COLUMN escalated_at timestamptz,
  ADD COLUMN first_escalated_at timestamptz;
CREATE INDEX cases_first_escalated_idx ON cases (first_escalated_at) WHERE first_escalated_at IS NOT NULL;

-- Users whose areas cover a place (a 15-digit grid or a 12-digit area) hold
-- one of these area codes: the city, county, township and village (or the
-- area itself) above it. The reverse of riskmap_area_prefix, for finding
-- who should hear of something that happened there.
CREATE FUNCTION riskmap_covering_areas(code text) RETURNS text[] LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT ARRAY[left(code, 4) || '00000000', left(code, 6) || '000000', left(code, 9) || '000', left(code, 12)]
$$;
CREATE INDEX user_areas_area_idx ON user_areas (area_code);
