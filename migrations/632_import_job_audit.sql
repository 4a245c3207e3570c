-- Bulk imports audited per job (docs/imports.md, "Audit"). A bulk load of
-- a million points wrote a million audit lines of about 630 bytes each
-- (820 MB, a fifth of the import's time) that nobody reads one by one: the
-- import job is the better record. So:
--
-- 1. Every feature an import inserts or updates records the job in
--    import_job_id (NULL: never written by an import), in the same
--    statement. It is a read-only property of the feature; an API or QGIS
--    edit leaves it as it is (the last import that wrote the row).
-- 2. A transaction that sets riskmap.audit_mode = 'job' (the bulk loader
--    does, transaction-local) writes no audit line per row on the point
--    layers. It must name its job (riskmap.import_job_id, an existing
--    import_jobs row) and every row it writes must carry that job's id, or
--    the statement is refused; it may not delete. So a row written without
--    its own audit line always points at the job that wrote it.
-- 3. The job row keeps what the per-row lines said in bulk: who and when
--    (actor, created_at/finished_at, already there), the counts, and now
--    the file's SHA-256, the stored original (a key in the blob store) and
--    whether it was audited per job.
ALTER TABLE import_jobs
  ADD COLUMN sha256 text,
  ADD COLUMN original_key text,
  ADD COLUMN original_size bigint,
  ADD COLUMN audit text NOT NULL DEFAULT 'row' CHECK (audit IN ('row', 'job'));
CREATE INDEX import_jobs_layer_job_idx ON import_jobs (layer, finished_at) WHERE audit = 'job';

CREATE FUNCTION riskmap_audit_job() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  job bigint := nullif(current_setting('riskmap.import_job_id', true), '')::bigint;
  bad bigint;
BEGIN
  IF job IS NULL OR NOT EXISTS (SELECT 1 FROM import_jobs j WHERE j.id = job) THEN
    RAISE EXCEPTION 'riskmap.audit_mode = job: riskmap.import_job_id must name an import job (got %)',
      coalesce(current_setting('riskmap.import_job_id', true), 'nothing');
  END IF;
  IF TG_OP = 'DELETE' THEN
    RAISE EXCEPTION 'riskmap.audit_mode = job: a per-job audited write cannot delete from %', TG_TABLE_NAME;
  END IF;
  SELECT n.id INTO bad FROM new_rows n WHERE n.import_job_id IS DISTINCT FROM job LIMIT 1;
  IF bad IS NOT NULL THEN
    RAISE EXCEPTION 'riskmap.audit_mode = job: %.% would be written without its import_job_id (%)', TG_TABLE_NAME, bad, job;
  END IF;
  RETURN NULL;
END $$;

DO $$
DECLARE
  t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['areas', 'grids', 'risk_points', 'hazard_sources', 'stations', 'depots'] LOOP
    EXECUTE format('ALTER TABLE %I ADD COLUMN import_job_id bigint', t);
  END LOOP;
  FOREACH t IN ARRAY ARRAY['risk_points', 'hazard_sources', 'stations', 'depots'] LOOP
    -- the row-level audit stands aside in job mode as in statement mode
    EXECUTE format('DROP TRIGGER zz_audit ON %I', t);
    EXECUTE format($q$CREATE TRIGGER zz_audit AFTER INSERT OR UPDATE OR DELETE ON %I FOR EACH ROW
      WHEN (coalesce(current_setting('riskmap.audit_mode', true), '') NOT IN ('statement', 'job')) EXECUTE FUNCTION riskmap_audit()$q$, t);
    EXECUTE format($q$CREATE TRIGGER zz_audit_job_ins AFTER INSERT ON %I REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT
      WHEN (current_setting('riskmap.audit_mode', true) = 'job') EXECUTE FUNCTION riskmap_audit_job()$q$, t);
    EXECUTE format($q$CREATE TRIGGER zz_audit_job_upd AFTER UPDATE ON %I REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT
      WHEN (current_setting('riskmap.audit_mode', true) = 'job') EXECUTE FUNCTION riskmap_audit_job()$q$, t);
    EXECUTE format($q$CREATE TRIGGER zz_audit_job_del AFTER DELETE ON %I FOR EACH STATEMENT
      WHEN (current_setting('riskmap.audit_mode', true) = 'job') EXECUTE FUNCTION riskmap_audit_job()$q$, t);
  END LOOP;
END $$;
