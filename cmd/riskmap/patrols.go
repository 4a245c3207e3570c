package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"riskmap/api"
	"riskmap/blobs"
	"riskmap/inspections"
	"riskmap/patrols"
	"riskmap/postgres"
)

// patrolFlags configure the patrols of risk points.
type patrolFlags struct {
	days      string
	offSiteM  float64
	maxPhotos int
}

func (f *patrolFlags) register(fs *flag.FlagSet) {
	d := patrols.DefaultConfig()
	fs.StringVar(&f.days, "patrol-days", "", "patrol interval in days by risk level, e.g. red=7,orange=15,yellow=30,blue=90 "+
		"(stored in the database for every replica, the tiles and QGIS; default: leave the stored intervals, first "+patrols.DefaultIntervals().String()+")")
	fs.Float64Var(&f.offSiteM, "off-site-m", d.OffSiteM, "a patrol position farther than this many metres from its risk point is marked off-site")
	fs.IntVar(&f.maxPhotos, "max-patrol-photos", d.MaxPhotos, "most photos one patrol may carry (each at most --max-upload bytes)")
}

// wire gives the server its patrol store (photos in the attachment store)
// and its inspection store and, when --patrol-days is given, stores the
// intervals.
func (f *patrolFlags) wire(ctx context.Context, logger *slog.Logger, pool *pgxpool.Pool, reads *postgres.Reads, srv *api.Server, blobDir string, maxUpload int64) error {
	if f.offSiteM <= 0 || f.maxPhotos < 1 {
		return fmt.Errorf("--off-site-m must be positive and --max-patrol-photos at least 1")
	}
	store, err := blobs.NewDir(blobDir)
	if err != nil {
		return fmt.Errorf("photo store: %w", err)
	}
	srv.Patrols = patrols.NewStore(pool, store, srv.Cases, patrols.Config{OffSiteM: f.offSiteM, MaxPhoto: maxUpload, MaxPhotos: f.maxPhotos,
		Reads: reads.For("patrols", nil)})
	if srv.Notify != nil {
		// an off-site patrol is told to the offices of its grid
		srv.Patrols.NotifyWith(srv.Notify)
	}
	if f.days != "" {
		iv, err := patrols.ParseIntervals(f.days)
		if err != nil {
			return fmt.Errorf("--patrol-days: %w", err)
		}
		changed, err := srv.Patrols.SetIntervals(ctx, iv)
		if err != nil {
			return err
		}
		if changed {
			logger.Warn("patrol intervals changed: every due date of a changed level moves", "days", iv.String())
		}
	}
	// the due lists are kept while the changes of every writer are heard
	go func() {
		conn := pool.Config().ConnConfig
		err := srv.Patrols.Listen(ctx, func(ctx context.Context) (*pgx.Conn, error) { return pgx.ConnectConfig(ctx, conn.Copy()) })
		if err != nil && !errors.Is(err, context.Canceled) {
			logger.Error("patrols: change notifications stopped", "err", err)
		}
	}()
	srv.Inspections = inspections.NewStore(pool, srv.Cases, srv.Patrols, inspections.Config{Reads: reads.For("inspections", nil)})
	iv, err := srv.Patrols.Intervals(ctx)
	if err != nil {
		return err
	}
	logger.Info("patrols", "days", iv.String(), "off_site_m", f.offSiteM)
	return nil
}
