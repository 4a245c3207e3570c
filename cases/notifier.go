package cases

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"
)

// Recorded is one recorded case event, as those who must hear of it are
// told: the rest (the case's place, grade, people, deadline) is read from
// the case in the same transaction.
type Recorded struct {
	CaseID string
	Action string // report, assign, return, submit, reject, escalate, …
	// Level of an escalation: 1 the county, 2 the city.
	Level int
	// ActorID is who acted; nil for the system (escalation).
	ActorID *int64
	Reason  string
	Note    string
	At      time.Time
}

// Notifier hears of case events inside the transaction that records them,
// so that what it writes (notifications, outgoing messages) commits or
// rolls back with the event. Package notify implements it.
type Notifier interface {
	CaseEvents(ctx context.Context, tx pgx.Tx, events []Recorded) error
}

// NotifyWith makes the store tell n of every event it records from now on.
// Call it once, while wiring, before serving.
func (s *Store) NotifyWith(n Notifier) { s.notifier = n }

// tell passes events to the notifier, if any.
func (s *Store) tell(ctx context.Context, tx pgx.Tx, events ...Recorded) error {
	if s.notifier == nil || len(events) == 0 {
		return nil
	}
	return s.notifier.CaseEvents(ctx, tx, events)
}
