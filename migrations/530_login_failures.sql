-- Failed logins (and failed password changes), counted in the database so
-- that every replica enforces one limit: a per-process count let N replicas
-- allow N times as many guesses. A row per failure: the username tried and
-- the client address (as the API resolved it, trusting only configured
-- proxies). Rows older than the limiter's window are deleted as new ones
-- come. Not audited: it holds no business data.
CREATE TABLE login_failures (
  id       bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  username text NOT NULL,
  address  text NOT NULL,
  at       timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX login_failures_username_idx ON login_failures (username, at);
CREATE INDEX login_failures_address_idx ON login_failures (address, at);
CREATE INDEX login_failures_at_idx ON login_failures (at);
