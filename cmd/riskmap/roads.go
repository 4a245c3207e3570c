package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"sort"

	"riskmap"
	"riskmap/geo"
	"riskmap/roads"
)

// importRoads is `riskmap import --layer roads FILE`: an OpenStreetMap
// .osm.pbf file or GeoJSON lines with a road class become the road network
// (replacing it, or added to it with --append) in one transaction, with the
// routing topology rebuilt. It exits 1 when anything was rejected.
func importRoads(ctx context.Context, logger *slog.Logger, path, crs string, skipInvalid, appendTo bool, speeds string) error {
	format, err := roads.FormatOf(path)
	if err != nil {
		return err
	}
	opts := roads.Options{SkipInvalid: skipInvalid, Append: appendTo}
	if crs != "" {
		if opts.CRS, err = geo.ParseCRS(crs); err != nil {
			return fmt.Errorf("--crs: %w", err)
		}
	}
	if speeds != "" {
		if opts.Speeds, err = roads.ParseSpeeds(speeds); err != nil {
			return fmt.Errorf("--speeds: %w", err)
		}
	}
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	pool, err := openMigrated(ctx, logger)
	if err != nil {
		return err
	}
	defer pool.Close()
	rep, err := roads.Import(ctx, pool, f, format, opts) // a file seeks: OSM is read in two passes
	if err != nil {
		printDetails(os.Stdout, riskmap.ErrorDetails(err))
		return err
	}
	printRoadReport(os.Stdout, path, rep)
	if len(rep.Rejected) > 0 {
		return errRejected
	}
	return nil
}

func printRoadReport(w io.Writer, path string, r roads.Report) {
	fmt.Fprintf(w, "road network from %s (%s): %d lines, %d edges stored", path, r.Format, r.Lines, r.Edges)
	if r.Replaced > 0 {
		fmt.Fprintf(w, ", replacing %d", r.Replaced)
	}
	fmt.Fprintf(w, "\nnetwork: %d junctions in %d connected pieces; %d junctions in pieces points may start from\n", r.Vertices, r.Components, r.RoutableVertices)
	classes := make([]string, 0, len(r.KmByClass))
	for c := range r.KmByClass {
		classes = append(classes, c)
	}
	sort.Strings(classes)
	for _, c := range classes {
		fmt.Fprintf(w, "  %-16s %10.1f km\n", c, r.KmByClass[c])
	}
	ignored := make([]string, 0, len(r.Ignored))
	for k := range r.Ignored {
		ignored = append(ignored, k)
	}
	sort.Strings(ignored)
	for _, k := range ignored {
		fmt.Fprintf(w, "not imported: %s: %d\n", k, r.Ignored[k])
	}
	printDetails(w, r.Rejected)
}

func printDetails(w io.Writer, ds []riskmap.Detail) {
	for _, d := range ds {
		fmt.Fprintf(w, "rejected: row %d\t%s: %s\n", d.Row, d.Field, d.Message)
	}
}
