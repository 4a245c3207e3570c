-- Read-your-writes across replicas (postgres.Reads): the primary's WAL
-- position after each user's latest write through the API, read with the
-- token on every request. A read on a hot standby waits until the standby
-- has replayed it (else the primary answers), so users see their own
-- writes whichever replica answers their next request.
-- Unlogged: it is read and written only on the primary; emptied by a crash
-- or absent after a failover it costs nothing, since each replica then
-- trusts the standby only past the new primary's position anyway.
CREATE UNLOGGED TABLE user_write_positions (
  user_id bigint PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
  lsn     pg_lsn NOT NULL
);
