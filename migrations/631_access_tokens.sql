-- Personal access tokens: long-lived tokens a user makes for QGIS, GDAL
-- and scripts, which cannot log in again every 12 hours. Like sessions,
-- only the SHA-256 is stored; a token carries its user's role and scope
-- (read when it is used, never copied), optionally read-only, until it
-- expires (at most a year) or is revoked. Revoking one (an UPDATE) is
-- announced on riskmap_auth, so every replica's token caches drop it at
-- once. A password change or an admin's reset revokes them all
-- (auth.revokeAccessTokens); disabling the user stops them all.
CREATE TABLE access_tokens (
  id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  user_id      bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  name         text NOT NULL CHECK (btrim(name) <> '' AND length(name) <= 100),
  token_hash   bytea NOT NULL UNIQUE,
  read_only    boolean NOT NULL DEFAULT false,
  created_at   timestamptz NOT NULL DEFAULT now(),
  expires_at   timestamptz NOT NULL,
  last_used_at timestamptz,
  revoked_at   timestamptz,
  CHECK (expires_at > created_at AND expires_at <= created_at + interval '366 days')
);
CREATE INDEX access_tokens_user_idx ON access_tokens (user_id, id);

CREATE TRIGGER auth_notify AFTER UPDATE OF revoked_at, expires_at OR DELETE OR TRUNCATE ON access_tokens
  FOR EACH STATEMENT EXECUTE FUNCTION riskmap_auth_notify();
CREATE TRIGGER zz_audit AFTER INSERT OR UPDATE OF revoked_at OR DELETE ON access_tokens
  FOR EACH ROW EXECUTE FUNCTION riskmap_audit();
