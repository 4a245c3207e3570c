package features

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"riskmap"
)

// Location answers "which grid, township and county is this point in".
type Location struct {
	Grid struct {
		Code   string  `json:"code"`
		Name   string  `json:"name"`
		Worker *string `json:"worker"`
	} `json:"grid"`
	Township AreaRef `json:"township"`
	County   AreaRef `json:"county"`
}

// AreaRef names an administrative area.
type AreaRef struct {
	Code string `json:"code"`
	Name string `json:"name"`
}

// Locate places a WGS84 point with the same rule as the placement trigger
// (riskmap_grid_at: covered, smallest code on shared edges).
func (s *Store) Locate(ctx context.Context, scope riskmap.Scope, lon, lat float64) (Location, error) {
	var loc Location
	err := s.pool.QueryRow(ctx, `
		SELECT g.code, g.name, g.worker, tw.code, tw.name, co.code, co.name
		  FROM grids g
		  JOIN areas tw ON tw.code = g.township_code
		  JOIN areas co ON co.code = g.county_code
		 WHERE g.code = riskmap_grid_at(ST_SetSRID(ST_MakePoint($1, $2), 4326))`, lon, lat).
		Scan(&loc.Grid.Code, &loc.Grid.Name, &loc.Grid.Worker, &loc.Township.Code, &loc.Township.Name, &loc.County.Code, &loc.County.Name)
	if errors.Is(err, pgx.ErrNoRows) || (err == nil && !scope.Contains(loc.Grid.Code)) {
		where := "no grid"
		if !scope.All {
			where = "no grid of your area"
		}
		return Location{}, riskmap.Errorf(riskmap.ENOTFOUND, "point (%.7f, %.7f) lies in %s", lon, lat, where).
			WithDetails(riskmap.Detail{Field: "lon,lat", Value: []float64{lon, lat}, Message: "outside all grids"})
	}
	if err != nil {
		return Location{}, fmt.Errorf("locate: %w", err)
	}
	return loc, nil
}
