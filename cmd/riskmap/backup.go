package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"

	"riskmap/backup"
	"riskmap/localdb"
)

// runBackup: `riskmap backup --out DIR` dumps the database and copies the
// attachment store; `riskmap restore --from DIR` loads such a backup.
func runBackup(ctx context.Context, logger *slog.Logger, cmd string, args []string) error {
	fs := flag.NewFlagSet(cmd, flag.ContinueOnError)
	blobDir := fs.String("blob-dir", defaultBlobDir(), "directory of the attachment store (env RISKMAP_BLOB_DIR)")
	dir := fs.String("out", "", "backup directory to create (backup)")
	from := fs.String("from", "", "backup directory to load (restore)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	bin, err := localdb.BinDir()
	if err != nil {
		return err
	}
	url, err := databaseURL(ctx, logger)
	if err != nil {
		return err
	}
	switch cmd {
	case "backup":
		if *dir == "" {
			return fmt.Errorf("usage: riskmap backup --out DIR [--blob-dir DIR]")
		}
		m, err := backup.Backup(ctx, bin, url, *blobDir, *dir)
		if err != nil {
			return err
		}
		fmt.Printf("backup written to %s: database dump %s and %d attachment files\n", *dir, m.Dump, len(m.Blobs))
	default:
		if *from == "" {
			return fmt.Errorf("usage: riskmap restore --from DIR [--blob-dir DIR]")
		}
		m, err := backup.Restore(ctx, bin, url, *blobDir, *from)
		if err != nil {
			return err
		}
		fmt.Printf("restored the backup of %s: database and %d attachment files\n", m.CreatedAt.Format("2006-01-02 15:04:05Z"), len(m.Blobs))
	}
	return nil
}
