package proposals

import (
	"context"
	"encoding/json"

	"github.com/jackc/pgx/v5"
)

// Review is a proposal just made, as the offices that review it are told
// of it.
type Review struct {
	ID       int64
	Layer    string // risk_points
	Kind     string // create, update, retire
	TargetID *int64
	// Name of the feature: as it is known now (update, retire) or as
	// proposed (create); empty when it has none.
	Name           string
	Reason         string
	GridCode       string
	ProposedBy     int64
	ProposedByName string
}

// Notifier hears of a new proposal inside the transaction that records
// it, so that the offices are told if and only if it commits. Package
// notify implements it.
type Notifier interface {
	ProposalPending(ctx context.Context, tx pgx.Tx, p Review) error
}

// NotifyWith makes the store tell n of every proposal made from now on.
// Call it once, while wiring, before serving.
func (s *Store) NotifyWith(n Notifier) { s.notifier = n }

// fiName is the properties.name of a GeoJSON Feature, if it has one.
func fiName(feature []byte) (string, bool) {
	var f struct {
		Properties struct {
			Name *string `json:"name"`
		} `json:"properties"`
	}
	if len(feature) == 0 || json.Unmarshal(feature, &f) != nil || f.Properties.Name == nil || *f.Properties.Name == "" {
		return "", false
	}
	return *f.Properties.Name, true
}
