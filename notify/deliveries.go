package notify

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"

	"riskmap"
	"riskmap/postgres"
)

// Delivery is one message of a channel's outbox, as the office and the
// admin see it: its state, its attempts and its last error (never its
// body, which may quote cases the viewer cannot see).
type Delivery struct {
	ID            int64      `json:"id"`
	ChannelID     int64      `json:"channel_id"`
	Kind          string     `json:"kind"`
	Label         string     `json:"label"`
	Title         string     `json:"title"`
	CaseIDs       []string   `json:"case_ids"`
	State         string     `json:"state"`
	Attempts      int        `json:"attempts"`
	LastError     *string    `json:"last_error"`
	CreatedAt     time.Time  `json:"created_at"`
	LastAttemptAt *time.Time `json:"last_attempt_at"`
	NextAttemptAt *time.Time `json:"next_attempt_at"`
	DeliveredAt   *time.Time `json:"delivered_at"`
}

// DeliveryStates are the states of an outbox message.
func DeliveryStates() []string { return []string{"pending", "delivered", "dead"} }

// Deliveries lists a channel's messages, newest first: in one state (""
// all), a page of limit after the cursor before (0: the start).
func (s *Service) Deliveries(ctx context.Context, u *riskmap.User, channel int64, state string, limit int, before int64) ([]Delivery, int64, error) {
	if state != "" && !slices.Contains(DeliveryStates(), state) {
		return nil, 0, riskmap.Errorf(riskmap.EINVALID, "state: want pending, delivered or dead, got %q", state).
			WithDetails(riskmap.Detail{Field: "state", Value: state, Message: "unknown state"})
	}
	if _, err := s.Channel(ctx, u, channel); err != nil {
		return nil, 0, err
	}
	if limit <= 0 {
		limit = 50
	}
	rows, err := s.pool.Query(ctx, `SELECT id, channel_id, kind, title, case_ids::text[], state, attempts, last_error, created_at,
			last_attempt_at, CASE WHEN state = 'pending' THEN next_attempt_at END, delivered_at
		  FROM notification_outbox
		 WHERE channel_id = $1 AND ($2 = '' OR state = $2) AND ($3 = 0 OR id < $3)
		 ORDER BY id DESC LIMIT $4`, channel, state, before, limit+1)
	if err != nil {
		return nil, 0, fmt.Errorf("deliveries: %w", err)
	}
	defer rows.Close()
	out := []Delivery{}
	for rows.Next() {
		var d Delivery
		if err := rows.Scan(&d.ID, &d.ChannelID, &d.Kind, &d.Title, &d.CaseIDs, &d.State, &d.Attempts, &d.LastError, &d.CreatedAt,
			&d.LastAttemptAt, &d.NextAttemptAt, &d.DeliveredAt); err != nil {
			return nil, 0, fmt.Errorf("deliveries: %w", err)
		}
		d.Label = kindLabel(d.Kind)
		out = append(out, d)
	}
	if err := rows.Err(); err != nil {
		return nil, 0, fmt.Errorf("deliveries: %w", err)
	}
	var next int64
	if len(out) > limit {
		out = out[:limit]
		next = out[limit-1].ID
	}
	return out, next, nil
}

// Retry puts a dead message back in the outbox, with its attempts anew.
func (s *Service) Retry(ctx context.Context, u *riskmap.User, channel, id int64) (Delivery, error) {
	if _, err := s.Channel(ctx, u, channel); err != nil {
		return Delivery{}, err
	}
	var state string
	err := s.pool.QueryRow(ctx, `SELECT state FROM notification_outbox WHERE id = $1 AND channel_id = $2`, id, channel).Scan(&state)
	if errors.Is(err, pgx.ErrNoRows) {
		return Delivery{}, riskmap.Errorf(riskmap.ENOTFOUND, "no message %d in channel %d", id, channel)
	}
	if err != nil {
		return Delivery{}, fmt.Errorf("retry: %w", err)
	}
	if state != "dead" {
		return Delivery{}, riskmap.Errorf(riskmap.ECONFLICT, "message %d is %s, not dead: only a dead message is retried", id, state).
			WithDetails(riskmap.Detail{Field: "state", Value: state, Message: "not dead"})
	}
	if _, err := s.pool.Exec(ctx, `UPDATE notification_outbox SET state = 'pending', attempts = 0, next_attempt_at = $3
		WHERE id = $1 AND channel_id = $2 AND state = 'dead'`, id, channel, s.cfg.Now()); err != nil {
		return Delivery{}, fmt.Errorf("retry: %w", postgres.Translate(err))
	}
	list, _, err := s.Deliveries(ctx, u, channel, "", 1, id+1)
	if err != nil || len(list) == 0 {
		return Delivery{}, err
	}
	return list[0], nil
}
