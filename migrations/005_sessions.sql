-- Bearer tokens: only their SHA-256 is stored, so a database dump does not
-- hand out sessions. A token is refused once expired or revoked, or when
-- issued before the user's tokens_valid_after (password change, disable).
CREATE TABLE sessions (
  token_hash bytea PRIMARY KEY,
  user_id    bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  created_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL,
  revoked_at timestamptz,
  client_ip  text
);
CREATE INDEX sessions_user_idx ON sessions (user_id);
CREATE INDEX sessions_expires_idx ON sessions (expires_at);
