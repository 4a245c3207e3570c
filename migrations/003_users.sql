-- Accounts. Roles and scopes as in docs/domain.md: areas (12-digit codes) for
-- township, county, city and planner users; grids for workers.
CREATE TABLE users (
  id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  username      text NOT NULL UNIQUE CHECK (username ~ '^[A-Za-z0-9_.-]{2,64}$'),
  display_name  text NOT NULL DEFAULT '',
  role          text NOT NULL CHECK (role IN ('admin', 'city', 'county', 'township', 'worker', 'planner')),
  phone         text,
  password_hash text NOT NULL,
  disabled      boolean NOT NULL DEFAULT false,
  -- tokens issued before this instant are refused (logout everywhere, password change)
  tokens_valid_after timestamptz NOT NULL DEFAULT now(),
  version       integer NOT NULL DEFAULT 1,
  created_at    timestamptz NOT NULL DEFAULT now(),
  updated_at    timestamptz NOT NULL DEFAULT now()
);
CREATE TRIGGER z_version BEFORE UPDATE ON users FOR EACH ROW EXECUTE FUNCTION riskmap_bump_version();

CREATE TABLE user_areas (
  user_id   bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  area_code text NOT NULL REFERENCES areas (code) ON UPDATE CASCADE,
  PRIMARY KEY (user_id, area_code)
);

CREATE TABLE user_grids (
  user_id   bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  grid_code text NOT NULL REFERENCES grids (code) ON UPDATE CASCADE ON DELETE CASCADE,
  PRIMARY KEY (user_id, grid_code)
);
CREATE INDEX user_grids_grid_idx ON user_grids (grid_code);
