package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"riskmap/api"
	"riskmap/blobs"
	"riskmap/cases"
	"riskmap/localdb"
	"riskmap/postgres"
)

// caseFlags configure the closed loop of hidden hazards.
type caseFlags struct {
	blobDir         string
	duplicateRadius float64
	escalationDays  float64
	cityDays        float64
	maxUpload       int64
}

// defaultBlobDir keeps evidence next to the local cluster's directory when
// riskmap runs its own database, else in ./data/blobs.
func defaultBlobDir() string {
	if d := os.Getenv("RISKMAP_BLOB_DIR"); d != "" {
		return d
	}
	if os.Getenv("DATABASE_URL") == "" {
		return filepath.Join(filepath.Dir(localdb.Config().Dir), "blobs")
	}
	return filepath.Join("data", "blobs")
}

func (f *caseFlags) register(fs *flag.FlagSet) {
	d := cases.DefaultConfig()
	fs.StringVar(&f.blobDir, "blob-dir", defaultBlobDir(), "directory of the attachment store (env RISKMAP_BLOB_DIR)")
	fs.Float64Var(&f.duplicateRadius, "duplicate-radius-m", d.DuplicateRadiusM, "open cases of the same category within this many metres are possible duplicates")
	fs.Float64Var(&f.escalationDays, "escalation-days", d.Grace.Hours()/24, "days overdue after which a case is escalated to the county")
	fs.Float64Var(&f.cityDays, "escalation-city-days", d.CityGrace.Hours()/24, "further days overdue after which a major hazard is escalated to the city")
	fs.Int64Var(&f.maxUpload, "max-upload", d.MaxUpload, "largest attachment in bytes")
}

// wire gives the server its case store and starts the live feed, which
// runs until ctx ends.
func (f *caseFlags) wire(ctx context.Context, logger *slog.Logger, pool *pgxpool.Pool, reads *postgres.Reads, srv *api.Server) error {
	if f.duplicateRadius <= 0 || f.escalationDays <= 0 || f.cityDays <= 0 || f.maxUpload <= 0 {
		return fmt.Errorf("--duplicate-radius-m, --max-upload, --escalation-days and --escalation-city-days must be positive")
	}
	store, err := blobs.NewDir(f.blobDir)
	if err != nil {
		return fmt.Errorf("attachment store: %w", err)
	}
	if srv.Imports != nil {
		srv.Imports.Originals = store // the imported files, kept as they came
	}
	srv.Cases = cases.NewStore(pool, store, cases.Config{
		DuplicateRadiusM: f.duplicateRadius,
		Grace:            time.Duration(f.escalationDays * 24 * float64(time.Hour)),
		CityGrace:        time.Duration(f.cityDays * 24 * float64(time.Hour)),
		MaxUpload:        f.maxUpload,
		Reads:            reads,
	})
	srv.CaseFeed = cases.NewFeed(pool, logger)
	go func() {
		if err := srv.CaseFeed.Run(ctx); err != nil {
			logger.Error("case feed stopped", "err", err)
		}
	}()
	logger.Info("cases", "blob_dir", f.blobDir, "duplicate_radius_m", f.duplicateRadius, "escalation_days", f.escalationDays)
	return nil
}
