package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"text/tabwriter"

	"github.com/jackc/pgx/v5/pgxpool"

	"riskmap/auth"
	"riskmap/demo"
	"riskmap/roads"
)

func runDemo(ctx context.Context, logger *slog.Logger, args []string) error {
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	var f serveFlags
	f.register(fs)
	loadOnly := fs.Bool("load-only", false, "load the demo data and exit without serving")
	if err := fs.Parse(args); err != nil {
		return err
	}
	pool, err := openMigrated(ctx, logger)
	if err != nil {
		return err
	}
	defer pool.Close()
	loaded, err := demo.Load(ctx, pool, auth.HashPassword)
	if err != nil {
		return fmt.Errorf("load demo city: %w", err)
	}
	if loaded {
		logger.Info("demo city loaded")
	} else {
		logger.Info("demo city already present: nothing loaded")
	}
	// each extra is loaded once and skipped when present, so a run that was
	// interrupted between them completes on the next start
	extras := []struct {
		what string
		load func(context.Context, *pgxpool.Pool) (bool, error)
	}{
		{"demo road network", roads.LoadDemo},
		{"demo cases and 2021 inspections", demo.LoadCases},
		{"demo patrols", demo.LoadPatrols},
	}
	for _, x := range extras {
		done, err := x.load(ctx, pool)
		if err != nil {
			return fmt.Errorf("load %s: %w", x.what, err)
		}
		if done {
			logger.Info(x.what + " loaded")
		}
	}
	if *loadOnly {
		return nil
	}
	return serve(ctx, logger, pool, f, func(addr string) {
		fmt.Printf("\nriskmap demo is ready: http://%s\n\ndemo logins:\n", addr)
		w := tabwriter.NewWriter(os.Stdout, 0, 2, 2, ' ', 0)
		fmt.Fprintln(w, "  username\tpassword\trole\tscope")
		for _, l := range demo.Logins() {
			fmt.Fprintf(w, "  %s\t%s\t%s\t%s\n", l.Username, l.Password, l.Role, l.Scope)
		}
		w.Flush()
		fmt.Println()
	})
}
