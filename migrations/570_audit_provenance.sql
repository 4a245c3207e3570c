-- How each audited write came about (docs/editing.md, "History"): through
-- the API, the web app, an approved proposal, an import job, or straight in
-- the database (QGIS, psql). The columns default to transaction settings
-- that postgres.BeginAudited sets, so every writer of audit_log — the row
-- trigger, the importers' statement triggers, anything added later — records
-- them without a change to its function. A write that names no riskmap
-- actor at all is a direct SQL write.
--
-- Rows written before this migration keep NULL (not known); the columns are
-- added without a default first so that no existing row is rewritten.
ALTER TABLE audit_log
  ADD COLUMN via text,
  ADD COLUMN import_job_id bigint,
  ADD COLUMN proposal_id bigint;

ALTER TABLE audit_log
  ALTER COLUMN via SET DEFAULT coalesce(nullif(current_setting('riskmap.via', true), ''),
    CASE WHEN nullif(current_setting('riskmap.actor', true), '') IS NULL THEN 'sql' END),
  ALTER COLUMN import_job_id SET DEFAULT nullif(current_setting('riskmap.import_job_id', true), '')::bigint,
  ALTER COLUMN proposal_id SET DEFAULT nullif(current_setting('riskmap.proposal_id', true), '')::bigint;

-- A layer as it stood at a time reads, per table, the last entry of each row
-- up to that time and the first after it (features.AsOf).
CREATE INDEX audit_log_tbl_at_idx ON audit_log (tbl, at);
