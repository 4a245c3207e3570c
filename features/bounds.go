package features

import (
	"context"
	"fmt"
	"sync"

	"riskmap/geo"
)

// boundsCache remembers the city's extent while the areas' change
// notifications are followed (TablesChanged, Following: the tile
// listener's, on riskmap_tiles), so that a write checks its coordinates
// without a query; while they are not, every call asks the database.
type boundsCache struct {
	mu     sync.Mutex
	live   bool
	known  bool
	gen    uint64 // bumped by every change to areas
	bounds *geo.Bounds
}

// CityBounds is the city's extent padded by about 10 km, the box every
// written coordinate must lie in; nil when there is no city yet.
func (s *Store) CityBounds(ctx context.Context) (*geo.Bounds, error) {
	c := &s.bounds
	c.mu.Lock()
	if c.live && c.known {
		b := c.bounds
		c.mu.Unlock()
		return b, nil
	}
	gen, live := c.gen, c.live
	c.mu.Unlock()
	b, err := s.queryCityBounds(ctx)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	// remembered only if no change to areas came while it was read
	if live && c.live && gen == c.gen {
		c.bounds, c.known = b, true
	}
	c.mu.Unlock()
	return b, nil
}

// TablesChanged is told of a change to a table (from the tile listener):
// a change to areas forgets the city's extent.
func (s *Store) TablesChanged(table string) {
	if table != "areas" {
		return
	}
	c := &s.bounds
	c.mu.Lock()
	c.known, c.bounds = false, nil
	c.gen++
	c.mu.Unlock()
}

// Following is told whether changes are being followed: only then is the
// city's extent remembered.
func (s *Store) Following(live bool) {
	c := &s.bounds
	c.mu.Lock()
	c.live, c.known, c.bounds = live, false, nil
	c.gen++
	c.mu.Unlock()
}

// queryCityBounds reads the city's extent from areas.
func (s *Store) queryCityBounds(ctx context.Context) (*geo.Bounds, error) {
	var b geo.Bounds
	var ok bool
	err := s.pool.QueryRow(ctx, `SELECT count(*) > 0, coalesce(min(ST_XMin(geom)), 0) - 0.1, coalesce(min(ST_YMin(geom)), 0) - 0.1,
		coalesce(max(ST_XMax(geom)), 0) + 0.1, coalesce(max(ST_YMax(geom)), 0) + 0.1 FROM areas WHERE level = 'city'`).
		Scan(&ok, &b.MinLon, &b.MinLat, &b.MaxLon, &b.MaxLat)
	if err != nil {
		return nil, fmt.Errorf("city bounds: %w", err)
	}
	if !ok {
		return nil, nil
	}
	return &b, nil
}
