-- Depot stock as movements (docs/editing.md, "Stock"). A stock line is an
-- item of a depot in one batch, with its unit and expiry; its quantity on
-- hand is the sum of its movements and is never negative. Every change is
-- a movement — in, out, transfer (two movements, one per depot), count
-- correction — with who, when, reason and reference, so a line's history is
-- kept. depot_items holds the sums: the trigger below keeps them in the
-- movement's own statement, whoever inserts the movement (the API, psql),
-- and a line's row lock orders concurrent movements, so the CHECK on the
-- quantity refuses the one that would leave less than nothing.

ALTER TABLE depot_items
  ADD COLUMN batch text NOT NULL DEFAULT '',
  ADD COLUMN expires_on date,
  DROP CONSTRAINT depot_items_pkey,
  ADD PRIMARY KEY (depot_id, item, batch);

CREATE TABLE stock_movements (
  id                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  depot_id          bigint NOT NULL REFERENCES depots (id) ON DELETE CASCADE,
  item              text NOT NULL CHECK (item ~ '^[a-z][a-z0-9_]{0,39}$'),
  unit              text NOT NULL CHECK (btrim(unit) <> ''),
  batch             text NOT NULL DEFAULT '' CHECK (length(batch) <= 60),
  expires_on        date,
  kind              text NOT NULL CHECK (kind IN ('in', 'out', 'transfer', 'count')),
  -- the signed change: an out of 40 is -40
  quantity          numeric(14, 2) NOT NULL CHECK (quantity <> 0),
  balance           numeric(14, 2) NOT NULL DEFAULT 0,   -- on hand in the line after it (set by the trigger)
  reason            text CHECK (length(reason) <= 500),
  ref               text CHECK (length(ref) <= 100),     -- a delivery note, a dispatch order
  counterpart_depot bigint REFERENCES depots (id),       -- a transfer's other depot
  counterpart_id    bigint REFERENCES stock_movements (id), -- on a transfer's second half: its first
  actor_id          bigint REFERENCES users (id),
  actor             text NOT NULL DEFAULT coalesce(nullif(current_setting('riskmap.actor', true), ''), 'db:' || current_user),
  at                timestamptz NOT NULL DEFAULT now(),
  CHECK (kind <> 'in' OR quantity > 0),
  CHECK (kind <> 'out' OR quantity < 0),
  CHECK (kind <> 'transfer' OR counterpart_depot IS NOT NULL)
);
CREATE INDEX stock_movements_depot_idx ON stock_movements (depot_id, id);

-- The stock the demo city (and anything loaded before this migration)
-- holds becomes an opening count, so every line is the sum of its ledger
-- (written before the trigger that would add it a second time).
INSERT INTO stock_movements (depot_id, item, unit, batch, expires_on, kind, quantity, balance, reason, actor, at)
SELECT depot_id, item, unit, batch, expires_on, 'count', quantity, quantity, '期初库存 opening stock', 'migration', updated_at
  FROM depot_items WHERE quantity > 0;

CREATE FUNCTION riskmap_stock_apply() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  cur_unit text;
  cur_qty numeric;
BEGIN
  IF NEW.actor_id IS NULL THEN
    NEW.actor_id := nullif(current_setting('riskmap.actor_id', true), '')::bigint;
  END IF;
  SELECT unit, quantity INTO cur_unit, cur_qty FROM depot_items WHERE depot_id = NEW.depot_id AND item = NEW.item AND batch = NEW.batch FOR UPDATE;
  -- a line is counted in one unit while it holds anything (an emptied line may take another)
  IF cur_unit IS NOT NULL AND cur_unit <> NEW.unit AND cur_qty <> 0 THEN
    RAISE EXCEPTION USING ERRCODE = 'RM010',
      MESSAGE = format('%s%s is counted in %s here, not %s', NEW.item, CASE WHEN NEW.batch <> '' THEN ' (batch ' || NEW.batch || ')' ELSE '' END, cur_unit, NEW.unit),
      DETAIL = json_build_object('field', 'unit', 'value', NEW.unit)::text;
  END IF;
  -- an existing line is updated in place (its row lock orders concurrent
  -- movements); only a new line is inserted, since the CHECK applies to the
  -- row an INSERT proposes even when ON CONFLICT turns it into an update
  UPDATE depot_items i SET quantity = i.quantity + NEW.quantity, updated_at = NEW.at, unit = NEW.unit,
         expires_on = coalesce(NEW.expires_on, i.expires_on)
   WHERE i.depot_id = NEW.depot_id AND i.item = NEW.item AND i.batch = NEW.batch
  RETURNING i.quantity INTO NEW.balance;
  IF NOT FOUND THEN
    INSERT INTO depot_items AS i (depot_id, item, unit, batch, expires_on, quantity, updated_at)
    VALUES (NEW.depot_id, NEW.item, NEW.unit, NEW.batch, NEW.expires_on, NEW.quantity, NEW.at)
    ON CONFLICT (depot_id, item, batch) DO UPDATE
      SET quantity = i.quantity + excluded.quantity, updated_at = excluded.updated_at, unit = excluded.unit,
          expires_on = coalesce(excluded.expires_on, i.expires_on)
    RETURNING i.quantity INTO NEW.balance;
  END IF;
  RETURN NEW;
EXCEPTION WHEN check_violation THEN
  RAISE EXCEPTION USING ERRCODE = 'RM011',
    MESSAGE = format('%s%s: %s would leave less than nothing on hand', NEW.item,
      CASE WHEN NEW.batch <> '' THEN ' (batch ' || NEW.batch || ')' ELSE '' END, NEW.quantity),
    DETAIL = json_build_object('field', 'quantity', 'value', NEW.quantity)::text;
END $$;
CREATE TRIGGER a_apply BEFORE INSERT ON stock_movements FOR EACH ROW EXECUTE FUNCTION riskmap_stock_apply();

-- A ledger is appended to, never rewritten.
CREATE FUNCTION riskmap_stock_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION USING ERRCODE = 'RM012', MESSAGE = 'stock movements are never changed or removed: record a correction (count) instead';
END $$;
CREATE TRIGGER append_only BEFORE UPDATE OR DELETE ON stock_movements FOR EACH ROW
  WHEN (pg_trigger_depth() < 1) EXECUTE FUNCTION riskmap_stock_append_only();
