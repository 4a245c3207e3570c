// Package stock keeps depot stock as a ledger of movements (docs/editing.md,
// "Stock"): in, out, transfer between depots, count correction, each with
// who, when, reason and reference. A stock line (item, batch) holds the sum
// of its movements, kept by the database in the movement's own statement
// (migrations/572_stock_movements.sql), never negative however many
// movements arrive at once: the line's row lock orders them and the one that
// would leave less than nothing is refused (409).
package stock

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"regexp"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"riskmap"
	"riskmap/features"
	"riskmap/postgres"
)

// Kinds of movement.
const (
	In       = "in"
	Out      = "out"
	Transfer = "transfer"
	Count    = "count"
)

// Config holds the ledger's settings.
type Config struct {
	// ExpiryWarningDays: lines expiring within this many days are flagged
	// (default 30).
	ExpiryWarningDays int
}

// Store reads and writes the stock ledger.
type Store struct {
	pool   *pgxpool.Pool
	depots *features.Layer
	cfg    Config
}

// NewStore returns a ledger over pool; depots is the depot layer (its scope rule).
func NewStore(pool *pgxpool.Pool, depots *features.Layer, cfg Config) *Store {
	if cfg.ExpiryWarningDays <= 0 {
		cfg.ExpiryWarningDays = 30
	}
	return &Store{pool: pool, depots: depots, cfg: cfg}
}

// ExpiryWarningDays is how soon an expiry is flagged.
func (s *Store) ExpiryWarningDays() int { return s.cfg.ExpiryWarningDays }

// Movement is one entry of a depot's ledger.
type Movement struct {
	ID               int64     `json:"id"`
	DepotID          int64     `json:"depot_id"`
	Item             string    `json:"item"`
	Unit             string    `json:"unit"`
	Batch            string    `json:"batch"`
	ExpiresOn        *string   `json:"expires_on"`
	Kind             string    `json:"kind"`
	Quantity         float64   `json:"quantity"` // signed: an out of 40 is -40
	Balance          float64   `json:"balance"`  // on hand in the line after it
	Reason           *string   `json:"reason"`
	Ref              *string   `json:"ref"`
	CounterpartDepot *int64    `json:"counterpart_depot"`
	CounterpartName  *string   `json:"counterpart_name"`
	CounterpartID    *int64    `json:"counterpart_id"`
	ActorID          *int64    `json:"actor_id"`
	Actor            string    `json:"actor"`
	At               time.Time `json:"at"`
}

// Line is a stock line with its flags.
type Line struct {
	Item      string    `json:"item"`
	Unit      string    `json:"unit"`
	Batch     string    `json:"batch"`
	ExpiresOn *string   `json:"expires_on"`
	Quantity  float64   `json:"quantity"`
	UpdatedAt time.Time `json:"updated_at"`
	// Expired: past its expiry date (not counted as stock by the
	// sufficiency analysis); Expiring: within the warning days.
	Expired  bool `json:"expired"`
	Expiring bool `json:"expiring"`
	// BelowNorm: the township's usable stock of the item is below its norm
	// per 1,000 residents (set by the caller from the sufficiency analysis).
	BelowNorm bool `json:"below_norm"`
}

// Input is a movement asked for: `{"item","unit","quantity" (signed),"kind",
// "reason","ref","batch","expires_on"}`, `to_depot` for a transfer, and for a
// count either the signed correction or `counted`, the quantity found.
type Input struct {
	Item      string   `json:"item"`
	Unit      string   `json:"unit"`
	Quantity  *float64 `json:"quantity"`
	Counted   *float64 `json:"counted"`
	Kind      string   `json:"kind"`
	Reason    string   `json:"reason"`
	Ref       string   `json:"ref"`
	Batch     string   `json:"batch"`
	ExpiresOn string   `json:"expires_on"`
	ToDepot   int64    `json:"to_depot"`
}

var itemPattern = regexp.MustCompile(`^[a-z][a-z0-9_]{0,39}$`)

func field(name, format string, args ...any) *riskmap.Error {
	e := riskmap.Errorf(riskmap.EUNPROCESSABLE, name+": "+format, args...)
	return e.WithDetails(riskmap.Detail{Field: name, Message: e.Message})
}

// ParseInput reads and checks a movement, naming each field at fault.
func ParseInput(body []byte) (*Input, error) {
	dec := json.NewDecoder(strings.NewReader(string(body)))
	dec.DisallowUnknownFields()
	var in Input
	if err := dec.Decode(&in); err != nil {
		return nil, riskmap.Errorf(riskmap.EINVALID, "body: want {item, unit, quantity, kind, reason, ref, batch, expires_on, to_depot, counted}: %v", err)
	}
	in.Item, in.Unit, in.Batch = strings.TrimSpace(in.Item), strings.TrimSpace(in.Unit), strings.TrimSpace(in.Batch)
	var errs []riskmap.Detail
	add := func(e *riskmap.Error) { errs = append(errs, e.Details...) }
	if !itemPattern.MatchString(in.Item) {
		add(field("item", "want an item code of lower-case letters, digits and _ (e.g. tents), got %q", in.Item))
	}
	if in.Unit == "" || len([]rune(in.Unit)) > 20 {
		add(field("unit", "required, at most 20 characters (e.g. 顶)"))
	}
	if len([]rune(in.Batch)) > 60 {
		add(field("batch", "at most 60 characters"))
	}
	if len([]rune(in.Reason)) > 500 {
		add(field("reason", "at most 500 characters"))
	}
	if len([]rune(in.Ref)) > 100 {
		add(field("ref", "at most 100 characters"))
	}
	if in.ExpiresOn != "" {
		if _, err := time.Parse("2006-01-02", in.ExpiresOn); err != nil {
			add(field("expires_on", "want YYYY-MM-DD, got %q", in.ExpiresOn))
		}
	}
	checkQty := func(name string, q float64, allowZero bool) {
		switch {
		case math.IsNaN(q) || math.IsInf(q, 0) || math.Abs(q) >= 1e12:
			add(field(name, "not a usable number"))
		case math.Abs(q*100-math.Round(q*100)) > 1e-6:
			add(field(name, "at most two decimals, got %v", q))
		case q == 0 && !allowZero:
			add(field(name, "a movement of nothing is not one"))
		}
	}
	switch in.Kind {
	case In, Out, Transfer:
		if in.Counted != nil {
			add(field("counted", "only for a count"))
		}
		if in.Quantity == nil {
			add(field("quantity", "required: the signed change (an out of 40 is -40)"))
			break
		}
		q := *in.Quantity
		checkQty("quantity", q, false)
		if in.Kind == In && q < 0 {
			add(field("quantity", "an in adds stock: want a positive quantity, got %v", q))
		}
		if (in.Kind == Out || in.Kind == Transfer) && q > 0 {
			add(field("quantity", "an %s takes stock away: want a negative quantity (an out of 40 is -40), got %v", in.Kind, q))
		}
	case Count:
		switch {
		case in.Quantity != nil && in.Counted != nil:
			add(field("counted", "give either quantity (the correction) or counted (the quantity found), not both"))
		case in.Quantity != nil:
			checkQty("quantity", *in.Quantity, false)
		case in.Counted != nil:
			checkQty("counted", *in.Counted, true)
			if *in.Counted < 0 {
				add(field("counted", "a count finds nothing or more, got %v", *in.Counted))
			}
		default:
			add(field("quantity", "a count needs quantity (the signed correction) or counted (the quantity found)"))
		}
	default:
		add(field("kind", "want in, out, transfer or count, got %q", in.Kind))
	}
	if in.Kind == Transfer && in.ToDepot <= 0 {
		add(field("to_depot", "a transfer needs the receiving depot's id"))
	}
	if in.Kind != Transfer && in.ToDepot != 0 {
		add(field("to_depot", "only for a transfer"))
	}
	if len(errs) > 0 {
		msgs := make([]string, len(errs))
		for i, d := range errs {
			msgs[i] = d.Message
		}
		return nil, riskmap.Errorf(riskmap.EUNPROCESSABLE, "%s", strings.Join(msgs, "; ")).WithDetails(errs...)
	}
	return &in, nil
}

// depotInScope locks nothing; it says whether depot id is one the scope
// holds (the depot layer's rule), and its name.
func (s *Store) depotInScope(ctx context.Context, q interface {
	QueryRow(context.Context, string, ...any) pgx.Row
}, scope riskmap.Scope, id int64) (string, bool, error) {
	cond, args := s.depots.ScopeSQL(scope, 2)
	var name string
	err := q.QueryRow(ctx, "SELECT t.name FROM depots t WHERE t.id = $1 AND "+cond, append([]any{id}, args...)...).Scan(&name)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", false, nil
	}
	if err != nil {
		return "", false, fmt.Errorf("stock: depot %d: %w", id, err)
	}
	return name, true, nil
}

// Record writes a movement (for a transfer, both halves) in one
// transaction and returns what was written. write says whether the
// caller may change stock at all; the depot (and a transfer's receiving
// depot) must lie in scope.
func (s *Store) Record(ctx context.Context, scope riskmap.Scope, depot int64, in *Input) ([]Movement, error) {
	var out []Movement
	err := postgres.BeginAudited(ctx, s.pool, func(tx pgx.Tx) error {
		if _, ok, err := s.depotInScope(ctx, tx, scope, depot); err != nil {
			return err
		} else if !ok {
			if scope.All {
				return riskmap.Errorf(riskmap.ENOTFOUND, "depot %d not found", depot)
			}
			return riskmap.Errorf(riskmap.EFORBIDDEN, "depot %d is not in your area", depot)
		}
		if in.Kind == Transfer {
			if in.ToDepot == depot {
				return field("to_depot", "a transfer goes to another depot")
			}
			if _, ok, err := s.depotInScope(ctx, tx, scope, in.ToDepot); err != nil {
				return err
			} else if !ok {
				return riskmap.Errorf(riskmap.EFORBIDDEN, "depot %d (to_depot) is not in your area", in.ToDepot).
					WithDetails(riskmap.Detail{Field: "to_depot", Message: "not in your area"})
			}
		}
		q := 0.0
		if in.Quantity != nil {
			q = *in.Quantity
		}
		if in.Kind == Count && in.Counted != nil {
			// the correction from what is on hand now, the line locked
			var onHand float64
			err := tx.QueryRow(ctx, `SELECT coalesce((SELECT quantity::float8 FROM depot_items WHERE depot_id = $1 AND item = $2 AND batch = $3 FOR UPDATE), 0)`,
				depot, in.Item, in.Batch).Scan(&onHand)
			if err != nil {
				return postgres.Translate(err)
			}
			q = math.Round((*in.Counted-onHand)*100) / 100
			if q == 0 {
				return nil // the count confirms the stock: nothing moves
			}
		}
		first, second := depot, in.ToDepot
		if in.Kind == Transfer && second < first {
			// lines locked in depot order, so two opposite transfers cannot deadlock
			first, second = second, first
		}
		ins := func(d int64, qty float64, counterpart *int64, linked *int64) (Movement, error) {
			var m Movement
			err := tx.QueryRow(ctx, `INSERT INTO stock_movements (depot_id, item, unit, batch, expires_on, kind, quantity, reason, ref,
				counterpart_depot, counterpart_id)
				VALUES ($1, $2, $3, $4, nullif($5, '')::date, $6, $7, nullif($8, ''), nullif($9, ''), $10, $11)
				RETURNING id`, d, in.Item, in.Unit, in.Batch, in.ExpiresOn, in.Kind, qty, in.Reason, in.Ref, counterpart, linked).Scan(&m.ID)
			if err != nil {
				return m, postgres.Translate(err)
			}
			return m, nil
		}
		if in.Kind != Transfer {
			m, err := ins(depot, q, nil, nil)
			if err != nil {
				return err
			}
			out = []Movement{m}
			return nil
		}
		qty := map[int64]float64{depot: q, in.ToDepot: -q}
		other := map[int64]int64{depot: in.ToDepot, in.ToDepot: depot}
		a, b := other[first], other[second]
		m1, err := ins(first, qty[first], &a, nil)
		if err != nil {
			return err
		}
		m2, err := ins(second, qty[second], &b, &m1.ID)
		if err != nil {
			return err
		}
		out = []Movement{m1, m2}
		return nil
	})
	if err != nil {
		return nil, err
	}
	ids := make([]int64, len(out))
	for i, m := range out {
		ids[i] = m.ID
	}
	if len(ids) == 0 {
		return []Movement{}, nil
	}
	return s.movements(ctx, "m.id = ANY($1)", ids)
}

// List returns a depot's ledger, newest first (at most limit entries;
// item narrows it), if the depot is in scope.
func (s *Store) List(ctx context.Context, scope riskmap.Scope, depot int64, item string, limit int) (string, []Movement, error) {
	name, ok, err := s.depotInScope(ctx, s.pool, scope, depot)
	if err != nil {
		return "", nil, err
	}
	if !ok {
		return "", nil, riskmap.Errorf(riskmap.ENOTFOUND, "depot %d not found", depot)
	}
	ms, err := s.movements(ctx, "m.depot_id = $1 AND ($2 = '' OR m.item = $2) ORDER BY m.id DESC LIMIT $3", depot, item, limit)
	return name, ms, err
}

func (s *Store) movements(ctx context.Context, where string, args ...any) ([]Movement, error) {
	rows, err := s.pool.Query(ctx, `SELECT m.id, m.depot_id, m.item, m.unit, m.batch, to_char(m.expires_on, 'YYYY-MM-DD'), m.kind,
		m.quantity::float8, m.balance::float8, m.reason, m.ref, m.counterpart_depot, d.name,
		coalesce(m.counterpart_id, (SELECT r.id FROM stock_movements r WHERE r.counterpart_id = m.id LIMIT 1)),
		m.actor_id, m.actor, m.at
		FROM stock_movements m LEFT JOIN depots d ON d.id = m.counterpart_depot WHERE `+where, args...)
	if err != nil {
		return nil, fmt.Errorf("stock: movements: %w", postgres.Translate(err))
	}
	defer rows.Close()
	out := []Movement{}
	for rows.Next() {
		var m Movement
		if err := rows.Scan(&m.ID, &m.DepotID, &m.Item, &m.Unit, &m.Batch, &m.ExpiresOn, &m.Kind, &m.Quantity, &m.Balance,
			&m.Reason, &m.Ref, &m.CounterpartDepot, &m.CounterpartName, &m.CounterpartID, &m.ActorID, &m.Actor, &m.At); err != nil {
			return nil, fmt.Errorf("stock: movements: %w", err)
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

// Lines returns a depot's stock lines with their expiry flags (days as in
// Asia/Shanghai), and the depot's township.
func (s *Store) Lines(ctx context.Context, scope riskmap.Scope, depot int64) (string, []Line, error) {
	cond, args := s.depots.ScopeSQL(scope, 3)
	rows, err := s.pool.Query(ctx, `SELECT t.township_code, i.item, i.unit, i.batch, to_char(i.expires_on, 'YYYY-MM-DD'), i.quantity::float8, i.updated_at,
		coalesce(i.expires_on < (now() AT TIME ZONE 'Asia/Shanghai')::date, false),
		coalesce(i.expires_on >= (now() AT TIME ZONE 'Asia/Shanghai')::date AND i.expires_on < (now() AT TIME ZONE 'Asia/Shanghai')::date + $2::integer, false)
		FROM depots t LEFT JOIN depot_items i ON i.depot_id = t.id
		WHERE t.id = $1 AND `+cond+` ORDER BY i.item, i.batch`, append([]any{depot, s.cfg.ExpiryWarningDays}, args...)...)
	if err != nil {
		return "", nil, fmt.Errorf("stock: lines: %w", err)
	}
	defer rows.Close()
	var twp string
	found := false
	out := []Line{}
	for rows.Next() {
		var l Line
		var item, unit, batch *string
		var qty *float64
		var upd *time.Time
		if err := rows.Scan(&twp, &item, &unit, &batch, &l.ExpiresOn, &qty, &upd, &l.Expired, &l.Expiring); err != nil {
			return "", nil, fmt.Errorf("stock: lines: %w", err)
		}
		found = true
		if item == nil {
			continue // a depot with no line yet
		}
		l.Item, l.Unit, l.Batch, l.Quantity, l.UpdatedAt = *item, *unit, *batch, *qty, *upd
		out = append(out, l)
	}
	if err := rows.Err(); err != nil {
		return "", nil, fmt.Errorf("stock: lines: %w", err)
	}
	if !found {
		return "", nil, riskmap.Errorf(riskmap.ENOTFOUND, "depot %d not found", depot)
	}
	return twp, out, nil
}

var shanghai = func() *time.Location {
	l, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		return time.FixedZone("CST", 8*3600)
	}
	return l
}()
