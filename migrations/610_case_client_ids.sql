-- Offline phones queue every field action (start, submit, return, ...) and
-- every evidence upload, and send them again whenever an answer is lost. A
-- client-made id per action and per upload makes each apply once: the same
-- id sent again answers the first reply and changes nothing (as reports do
-- through case_reports).

-- The event an action made carries its client id: at most one event per id.
ALTER TABLE case_events ADD COLUMN client_id uuid;
CREATE UNIQUE INDEX case_events_client_id_idx ON case_events (client_id) WHERE client_id IS NOT NULL;

-- The first reply to each action sent with a client id, replayed byte for
-- byte when the same id comes again with the same content from the same user.
CREATE TABLE case_action_replies (
  client_id      uuid PRIMARY KEY,
  case_id        uuid NOT NULL REFERENCES cases (id),
  actor_id       bigint NOT NULL,
  request_sha256 bytea NOT NULL,
  reply          text NOT NULL,
  at             timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX case_action_replies_case_idx ON case_action_replies (case_id);

-- An upload sent with a client id is stored once; the same id again answers
-- the attachment already stored.
ALTER TABLE attachments ADD COLUMN client_id uuid UNIQUE;
