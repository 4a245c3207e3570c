package main

import (
	"flag"
	"fmt"

	"github.com/jackc/pgx/v5/pgxpool"

	"riskmap/api"
	"riskmap/stock"
)

// editingFlags configure keeping the map current (docs/editing.md): the
// stock ledger's expiry warning.
type editingFlags struct {
	expiryDays int
}

func (f *editingFlags) register(fs *flag.FlagSet) {
	fs.IntVar(&f.expiryDays, "expiry-warning-days", 30, "depot stock expiring within this many days is flagged (expired stock never counts towards the norms)")
}

// wire gives the server its stock ledger.
func (f *editingFlags) wire(pool *pgxpool.Pool, srv *api.Server) error {
	if f.expiryDays < 1 || f.expiryDays > 3650 {
		return fmt.Errorf("--expiry-warning-days must be in [1, 3650]")
	}
	srv.Stock = stock.NewStore(pool, srv.Features.Layers["depots"], stock.Config{ExpiryWarningDays: f.expiryDays})
	return nil
}
