package main

import (
	"flag"
	"fmt"

	"github.com/jackc/pgx/v5/pgxpool"

	"riskmap/api"
	"riskmap/blobs"
	"riskmap/printing"
	"riskmap/proposals"
	"riskmap/stock"
)

// editingFlags configure keeping the map current (docs/editing.md): the
// stock ledger's expiry warning.
type editingFlags struct {
	expiryDays int
	printFont  string
}

func (f *editingFlags) register(fs *flag.FlagSet) {
	fs.IntVar(&f.expiryDays, "expiry-warning-days", 30, "depot stock expiring within this many days is flagged (expired stock never counts towards the norms)")
	fs.StringVar(&f.printFont, "print-font", "", "a TrueType font with Chinese glyphs for printed maps (default: Droid Sans Fallback from fonts-droid-fallback)")
}

// wire gives the server its stock ledger and proposals (whose photos go
// to the attachment store of cases: --blob-dir, --max-upload).
func (f *editingFlags) wire(pool *pgxpool.Pool, srv *api.Server, cf caseFlags) error {
	if f.expiryDays < 1 || f.expiryDays > 3650 {
		return fmt.Errorf("--expiry-warning-days must be in [1, 3650]")
	}
	srv.Stock = stock.NewStore(pool, srv.Features.Layers["depots"], stock.Config{ExpiryWarningDays: f.expiryDays})
	store, err := blobs.NewDir(cf.blobDir)
	if err != nil {
		return fmt.Errorf("attachment store: %w", err)
	}
	srv.Proposals = proposals.NewStore(pool, srv.Features, store, cf.maxUpload)
	if srv.Notify != nil {
		// a proposal waiting for review is told to the offices of its grid
		srv.Proposals.NotifyWith(srv.Notify)
	}
	var fonts []string
	if f.printFont != "" {
		fonts = []string{f.printFont}
	}
	srv.Printer = printing.New(pool, srv.Features.Layers, fonts)
	return nil
}
