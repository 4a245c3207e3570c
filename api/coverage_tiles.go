package api

import (
	"net/http"
	"strings"
	"sync"

	"github.com/gin-gonic/gin"

	"riskmap/tiles"
)

// The coverage tile layer (package coverage), under the tile routes: it
// takes the parameters of GET /api/v1/coverage in its query string.
//
//	GET /tiles/coverage/{z}/{x}/{y}.mvt?facility=stations&max_distance_m=5000[&kind=][&max_minutes=][&area=]
//	GET /tiles/coverage.json?facility=...    TileJSON 3.0.0 whose tile URLs carry the same parameters

// coverageTile answers /tiles/coverage/{z}/{x}/{y}.mvt; zxy are the path's
// last three parts.
func (s *Server) coverageTile(c *gin.Context, zxy []string) {
	if s.Coverage == nil {
		s.fail(c, notFound("no coverage layer on this server"))
		return
	}
	id, err := tiles.ParseTileID(zxy[0], zxy[1], strings.TrimSuffix(zxy[2], ".mvt"))
	if err != nil {
		s.fail(c, err)
		return
	}
	q, err := coverageQuery(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	t, err := s.Coverage.Tile(c.Request.Context(), currentUser(c), q, id.Z, id.X, id.Y)
	if err != nil {
		s.fail(c, err)
		return
	}
	writeTile(c, tiles.Tile{Data: t.Data, ETag: t.ETag, Cached: t.Cached})
}

// coverageTileJSON answers /tiles/coverage.json.
func (s *Server) coverageTileJSON(c *gin.Context) {
	if s.Coverage == nil {
		s.fail(c, notFound("no coverage layer on this server"))
		return
	}
	q, err := coverageQuery(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	tj, err := s.Coverage.TileJSON(c.Request.Context(), currentUser(c), q, s.baseURL(c))
	if err != nil {
		s.fail(c, err)
		return
	}
	c.Header("Cache-Control", "private, no-cache")
	c.JSON(http.StatusOK, tj)
}

// syncCaches brings this replica's caches (tiles, and coverage answers and
// tiles) up to every change committed so far, both at once: it runs after a
// successful write, before its answer (see syncTiles).
func (s *Server) syncCaches(c *gin.Context) {
	ctx := c.Request.Context()
	var wg sync.WaitGroup
	if s.Coverage != nil {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := s.Coverage.Sync(ctx); err != nil {
				s.Logger.Warn("coverage: sync after write", "request_id", c.GetString(requestIDKey), "err", err)
			}
		}()
	}
	if s.Reads != nil {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := s.Reads.Wrote(ctx); err != nil {
				s.Logger.Warn("reads: the primary's position after a write", "request_id", c.GetString(requestIDKey), "err", err)
			}
		}()
	}
	if s.Tiles != nil {
		if err := s.Tiles.Sync(ctx); err != nil {
			s.Logger.Warn("tiles: sync after write", "request_id", c.GetString(requestIDKey), "err", err)
		}
	}
	wg.Wait()
}
