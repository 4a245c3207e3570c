-- Notifications (package notify): who hears of what, the inbox, the
-- reminders already sent, the offices' group-chat robots and the outbox
-- that delivers to them, and the lease that lets one replica at a time run
-- the reminder and escalation job.

-- Who receives each kind: audiences (see notify/kinds.go) per kind, for
-- everywhere (area_code '') and overridden per area — the most specific
-- area above a place wins.
CREATE TABLE notification_rules (
  kind       text NOT NULL,
  area_code  text NOT NULL DEFAULT '' CHECK (area_code = '' OR area_code ~ '^[0-9]{12}$'),
  audiences  text[] NOT NULL CHECK (audiences <@ ARRAY['assignee', 'assigner', 'reporter', 'submitter', 'grid_worker',
               'township', 'county', 'city', 'approver', 'level_above']),
  updated_by bigint REFERENCES users (id) ON DELETE SET NULL,
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (kind, area_code)
);
INSERT INTO notification_rules (kind, audiences) VALUES
  ('assigned', '{assignee}'),
  ('returned', '{assigner,township}'),
  ('due_tomorrow', '{assignee}'),
  ('due_today', '{assignee}'),
  ('overdue', '{assignee,township}'),
  ('escalated', '{level_above,township}'),
  ('submitted', '{approver}'),
  ('rejected', '{assignee}'),
  ('reported', '{township}'),
  ('proposal_review', '{township}'),
  ('patrol_review', '{township}'),
  ('inspection_due', '{township}');

-- The inbox: one row per user and thing to tell. dedupe makes every
-- writer idempotent: the same reminder, escalation or raised notice is
-- never told twice to one user.
CREATE TABLE notifications (
  id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  user_id    bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  kind       text NOT NULL,
  case_id    uuid REFERENCES cases (id) ON DELETE CASCADE,
  -- what else it is about (a proposal, a patrol, an inspection plan)
  ref_type   text,
  ref_id     text,
  place_code text,
  title      text NOT NULL CHECK (length(title) <= 200),
  body       text NOT NULL DEFAULT '' CHECK (length(body) <= 1000),
  link       text NOT NULL DEFAULT '',
  dedupe     text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  read_at    timestamptz,
  UNIQUE (user_id, dedupe)
);
CREATE INDEX notifications_user_idx ON notifications (user_id, id DESC);
CREATE INDEX notifications_unread_idx ON notifications (user_id, id) WHERE read_at IS NULL;
CREATE INDEX notifications_case_idx ON notifications (case_id) WHERE case_id IS NOT NULL;

-- A new notification goes out on the live feed to its user, at commit.
CREATE FUNCTION riskmap_notification_feed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM riskmap_feed_publish('notification', jsonb_build_object('user_id', NEW.user_id, 'data', jsonb_build_object(
    'id', NEW.id, 'kind', NEW.kind, 'case_id', NEW.case_id, 'ref_type', NEW.ref_type, 'ref_id', NEW.ref_id,
    'title', NEW.title, 'body', NEW.body, 'link', NEW.link, 'created_at', NEW.created_at, 'read_at', NEW.read_at)));
  RETURN NULL;
END $$;
CREATE CONSTRAINT TRIGGER zz_feed AFTER INSERT ON notifications
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION riskmap_notification_feed();

-- Reminders already sent, per case, kind and deadline: the job's anchor of
-- idempotence (a restart, or a second replica, finds them and sends
-- nothing). A new deadline is a new reminder.
CREATE TABLE case_reminders (
  case_id  uuid NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
  kind     text NOT NULL CHECK (kind IN ('due_tomorrow', 'due_today', 'overdue')),
  deadline timestamptz NOT NULL,
  sent_at  timestamptz NOT NULL,
  PRIMARY KEY (case_id, kind, deadline)
);

-- An office's group-chat robot (企业微信, 钉钉) or generic signed webhook,
-- for one area. The secret (and the robot's key in the URL) never leaves
-- the server: the API masks them and the audit log leaves them out.
CREATE TABLE notification_channels (
  id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  area_code      text NOT NULL REFERENCES areas (code) ON UPDATE CASCADE,
  -- the office level the channel speaks for (the area's level)
  level          text NOT NULL CHECK (level IN ('city', 'county', 'township')),
  kind           text NOT NULL CHECK (kind IN ('wecom', 'dingtalk', 'generic')),
  name           text NOT NULL CHECK (btrim(name) <> '' AND length(name) <= 100),
  url            text NOT NULL CHECK (url ~ '^https?://' AND length(url) <= 2000),
  secret         text CHECK (length(secret) <= 500),
  -- kinds sent to it; empty: every kind its office hears of
  kinds          text[] NOT NULL DEFAULT '{}',
  -- the daily digest's time of day (Asia/Shanghai), if any, and the last
  -- day one was sent
  digest_at      time,
  last_digest_on date,
  enabled        boolean NOT NULL DEFAULT true,
  -- robots take about 20 messages a minute: one at a time, spaced
  next_send_at   timestamptz NOT NULL DEFAULT '-infinity',
  last_test_at   timestamptz,
  last_test_ok   boolean,
  last_test_error text,
  created_by     bigint REFERENCES users (id) ON DELETE SET NULL,
  created_at     timestamptz NOT NULL DEFAULT now(),
  updated_at     timestamptz NOT NULL DEFAULT now(),
  version        integer NOT NULL DEFAULT 1
);
CREATE INDEX notification_channels_area_idx ON notification_channels (area_code);
-- only what the office sets makes a new version (not the sending pace,
-- the digest's day or the last test)
CREATE TRIGGER z_version BEFORE UPDATE OF area_code, level, kind, name, url, secret, kinds, digest_at, enabled ON notification_channels
  FOR EACH ROW EXECUTE FUNCTION riskmap_bump_version();

-- Channels are audited like every configuration, with the secret and the
-- URL's query (where the robots keep their keys) left out.
CREATE FUNCTION riskmap_channel_audit() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  b jsonb;
  a jsonb;
BEGIN
  IF TG_OP <> 'INSERT' THEN
    b := to_jsonb(OLD) - 'secret' - 'next_send_at' || jsonb_build_object('url', split_part(OLD.url, '?', 1), 'secret_set', OLD.secret IS NOT NULL);
  END IF;
  IF TG_OP <> 'DELETE' THEN
    a := to_jsonb(NEW) - 'secret' - 'next_send_at' || jsonb_build_object('url', split_part(NEW.url, '?', 1), 'secret_set', NEW.secret IS NOT NULL);
  END IF;
  IF TG_OP = 'UPDATE' AND (a - 'version' - 'updated_at' - 'last_digest_on' - 'last_test_at' - 'last_test_ok' - 'last_test_error')
                         = (b - 'version' - 'updated_at' - 'last_digest_on' - 'last_test_at' - 'last_test_ok' - 'last_test_error') THEN
    RETURN NULL;
  END IF;
  INSERT INTO audit_log (actor_id, actor, tbl, row_id, action, before, after)
  VALUES (nullif(current_setting('riskmap.actor_id', true), '')::bigint,
          coalesce(nullif(current_setting('riskmap.actor', true), ''), 'db:' || current_user),
          TG_TABLE_NAME, coalesce(NEW.id, OLD.id)::text, lower(TG_OP), b, a);
  RETURN NULL;
END $$;
CREATE TRIGGER zz_audit AFTER INSERT OR UPDATE OR DELETE ON notification_channels FOR EACH ROW EXECUTE FUNCTION riskmap_channel_audit();

-- The outbox: messages to channels, written in the transaction that made
-- them (so one exists if and only if its event committed), delivered by
-- any replica (claimed by pushing next_attempt_at past the delivery), retried
-- with backoff, dead after the last attempt.
CREATE TABLE notification_outbox (
  id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  channel_id      bigint NOT NULL REFERENCES notification_channels (id) ON DELETE CASCADE,
  kind            text NOT NULL,
  title           text NOT NULL,
  -- the request body, exactly as sent (and signed)
  body            text NOT NULL,
  case_ids        uuid[] NOT NULL DEFAULT '{}',
  -- a message about one thing is written once per channel (null: a summary
  -- of several, whose writer made sure each is new)
  dedupe          text,
  state           text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'delivered', 'dead')),
  attempts        integer NOT NULL DEFAULT 0,
  next_attempt_at timestamptz NOT NULL,
  last_error      text,
  last_attempt_at timestamptz,
  delivered_at    timestamptz,
  created_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX notification_outbox_due_idx ON notification_outbox (next_attempt_at) WHERE state = 'pending';
CREATE INDEX notification_outbox_channel_idx ON notification_outbox (channel_id, id DESC);
CREATE UNIQUE INDEX notification_outbox_dedupe_idx ON notification_outbox (channel_id, dedupe) WHERE dedupe IS NOT NULL;

-- Leases of the periodic jobs: the holder runs the job and keeps the lease
-- alive; a holder that dies lets it lapse, and another replica runs the job
-- again (every step is idempotent). next_run_at moves on only after a run
-- completes, so none is skipped; -infinity runs at the first start.
CREATE TABLE job_leases (
  name             text PRIMARY KEY,
  holder           text,
  expires_at       timestamptz,
  next_run_at      timestamptz NOT NULL DEFAULT '-infinity',
  last_started_at  timestamptz,
  last_finished_at timestamptz,
  last_error       text,
  runs             bigint NOT NULL DEFAULT 0
);
INSERT INTO job_leases (name) VALUES ('notify');
