package patrols

import (
	"context"

	"github.com/jackc/pgx/v5"
)

// OffSite is a patrol recorded far from its risk point, as the office that
// reviews it is told of it.
type OffSite struct {
	ID          string
	RiskPointID int64
	GridCode    string
	WorkerID    int64
	WorkerName  string
	DistanceM   float64
	LimitM      float64
	AccuracyM   *float64 // as the phone said, if it did
}

// Notifier hears of an off-site patrol inside the transaction that records
// it, so that the office is told if and only if the patrol commits (a
// resend tells no one again). Package notify implements it.
type Notifier interface {
	PatrolOffSite(ctx context.Context, tx pgx.Tx, p OffSite) error
}

// NotifyWith makes the store tell n of every off-site patrol recorded from
// now on. Call it once, while wiring, before serving.
func (s *Store) NotifyWith(n Notifier) { s.notifier = n }
