-- Proposals: a grid worker proposes a new risk point, a moved or changed
-- one, or retiring one, with a reason and photos; the township office
-- approves it (the change is applied in the same transaction, and the audit
-- log names the approver as actor and this proposal, so both) or rejects it
-- with a reason the worker sees (docs/editing.md, "Proposals").
CREATE TABLE proposals (
  id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  client_id       uuid UNIQUE,          -- made on the phone: sending again creates nothing
  layer           text NOT NULL,
  kind            text NOT NULL CHECK (kind IN ('create', 'update', 'retire')),
  target_id       bigint,               -- the feature changed or retired
  base_version    integer,              -- its version when the worker proposed
  feature         jsonb,                -- the proposed (partial, for update) GeoJSON Feature
  reason          text NOT NULL CHECK (btrim(reason) <> ''),
  state           text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'approved', 'rejected', 'withdrawn')),
  version         integer NOT NULL DEFAULT 1,
  proposed_by     bigint NOT NULL REFERENCES users (id),
  proposed_at     timestamptz NOT NULL DEFAULT now(),
  decided_by      bigint REFERENCES users (id),
  decided_at      timestamptz,
  decision_note   text,                 -- the reject reason, or the approver's note
  applied_id      bigint,               -- the feature the approval created or changed
  applied_version integer,              -- its version after the approval
  -- where: the proposed position, or the feature's for a change of
  -- attributes or a retirement; placed like a point of the layers
  geom            geometry(Point, 4326) NOT NULL,
  grid_code       text NOT NULL,
  township_code   text NOT NULL,
  county_code     text NOT NULL,
  CHECK ((kind = 'create') = (target_id IS NULL)),
  CHECK (kind = 'retire' OR feature IS NOT NULL)
);
CREATE INDEX proposals_grid_idx ON proposals (grid_code, state);
CREATE INDEX proposals_target_idx ON proposals (layer, target_id) WHERE target_id IS NOT NULL;
CREATE TRIGGER a_place BEFORE INSERT OR UPDATE OF geom ON proposals FOR EACH ROW EXECUTE FUNCTION riskmap_place();
CREATE TRIGGER zz_audit AFTER INSERT OR UPDATE OR DELETE ON proposals FOR EACH ROW EXECUTE FUNCTION riskmap_audit();

-- Photos of a proposal, in the blob store like the evidence of cases.
CREATE TABLE proposal_photos (
  id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  proposal_id  bigint NOT NULL REFERENCES proposals (id) ON DELETE CASCADE,
  sha256       text NOT NULL,
  content_type text NOT NULL,
  size         bigint NOT NULL,
  blob_key     text NOT NULL,
  filename     text,
  uploaded_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX proposal_photos_proposal_idx ON proposal_photos (proposal_id);

-- The live feed tells the proposer and the offices of the grid that a
-- proposal was made or decided (channel riskmap_proposals).
CREATE FUNCTION riskmap_proposals_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('riskmap_proposals', json_build_object('id', NEW.id, 'state', NEW.state, 'version', NEW.version,
    'kind', NEW.kind, 'layer', NEW.layer, 'proposed_by', NEW.proposed_by, 'grid_code', NEW.grid_code,
    'township_code', NEW.township_code, 'county_code', NEW.county_code, 'applied_id', NEW.applied_id)::text);
  RETURN NULL;
END $$;
CREATE TRIGGER proposals_notify AFTER INSERT OR UPDATE ON proposals FOR EACH ROW EXECUTE FUNCTION riskmap_proposals_notify();
