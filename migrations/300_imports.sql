-- Imports (package importers): one row per import, whether started by
-- `riskmap import` or POST /api/v1/imports. The importing process keeps it
-- up to date; each applied batch moves `applied` forward in the same
-- transaction as the rows it writes, so after a crash `applied` says
-- exactly how many rows of the file are in the layer. Staging tables
-- (import_stage_<id>, UNLOGGED) live only while a job runs.
CREATE TABLE import_jobs (
  id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  layer        text NOT NULL,
  format       text NOT NULL DEFAULT '',
  filename     text NOT NULL DEFAULT '',
  options      jsonb NOT NULL DEFAULT '{}',
  status       text NOT NULL DEFAULT 'queued'
               CHECK (status IN ('queued', 'reading', 'checking', 'loading', 'done', 'rejected', 'failed', 'interrupted')),
  actor_id     bigint REFERENCES users (id) ON DELETE SET NULL,
  actor        text NOT NULL,
  replica      text NOT NULL DEFAULT '',
  rows_read    integer NOT NULL DEFAULT 0,
  rows_valid   integer NOT NULL DEFAULT 0,
  rows_rejected integer NOT NULL DEFAULT 0,
  applied      integer NOT NULL DEFAULT 0, -- file rows committed (row numbers up to this are done)
  inserted     integer NOT NULL DEFAULT 0,
  updated      integer NOT NULL DEFAULT 0,
  progress     real NOT NULL DEFAULT 0 CHECK (progress BETWEEN 0 AND 1),
  phase        text NOT NULL DEFAULT '',
  report       jsonb,
  error        text,
  created_at   timestamptz NOT NULL DEFAULT now(),
  started_at   timestamptz,
  finished_at  timestamptz,
  heartbeat_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX import_jobs_created_idx ON import_jobs (created_at DESC);

-- The rejected rows of a job, in the input's format, for download.
CREATE TABLE import_files (
  job_id       bigint NOT NULL REFERENCES import_jobs (id) ON DELETE CASCADE,
  kind         text NOT NULL CHECK (kind IN ('rejects')),
  name         text NOT NULL,
  content_type text NOT NULL,
  data         bytea NOT NULL,
  PRIMARY KEY (job_id, kind)
);
