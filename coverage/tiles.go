package coverage

import (
	"context"
	"encoding/hex"
	"fmt"
	"hash/fnv"
	"math"
	"net/url"
	"strconv"

	"github.com/jackc/pgx/v5"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/mvt"
	"github.com/paulmach/orb/encoding/wkb"
	"github.com/paulmach/orb/geojson"
	"github.com/paulmach/orb/project"

	"riskmap"
	"riskmap/tiles"
)

// The coverage tile layer: GET /tiles/coverage/{z}/{x}/{y}.mvt with the
// parameters of a coverage query (facility, max_distance_m or max_minutes,
// kind, area). One MVT layer named "coverage":
//   - from TileMinZoom, every grid in the user's scope as a polygon with
//     kind "grid", covered, and its nearest facility with the distance (and
//     minutes by road);
//   - from TilePointsMinZoom, every uncovered risk point and hazard source
//     as a point (kind "risk_point" or "hazard_source"; covered false).
//
// It is kept out of the "all" layer: it needs the query's parameters, and
// any change to a facility, a grid, a point or a road moves it as a whole
// (see tileCache).
const (
	TileLayer         = "coverage"
	TileMinZoom       = 8
	TilePointsMinZoom = 12
	tileExtent        = 4096
	tileBuffer        = 256
	// Web Mercator's half width (EPSG:3857 metres)
	worldHalf = 20037508.342789244
)

// Tile is one coverage tile: MVT bytes (empty: no feature, answered 204)
// and its entity tag.
type Tile struct {
	Data   []byte
	ETag   string
	Cached bool
}

// Tile returns the coverage tile z/x/y of q for u.
func (s *Service) Tile(ctx context.Context, u *riskmap.User, q Query, z, x, y int) (Tile, error) {
	if err := allowed(u); err != nil {
		return Tile{}, err
	}
	if err := (tiles.TileID{Z: z, X: x, Y: y}).Check(); err != nil {
		return Tile{}, err
	}
	q.Limit = 0 // lists play no part in a tile: share the API's default result
	if err := q.Check(); err != nil {
		return Tile{}, err
	}
	q.Limit = s.cfg.ListLimit
	if z < TileMinZoom {
		return Tile{}, nil
	}
	key := "tile|" + scopeKey(u.Scope()) + "|" + cacheKey(q) + "|" + strconv.Itoa(z) + "/" + strconv.Itoa(x) + "/" + strconv.Itoa(y)
	if s.live.Load() {
		// no round trip for a cached tile while notifications are followed
		if t, ok := s.tiles.get(key, s.liveVersion()); ok {
			t.Cached = true
			return t, nil
		}
	}
	if q.byTime() {
		if err := s.freshTopology(ctx); err != nil {
			return Tile{}, err
		}
	}
	var t Tile
	err := s.snapshot(ctx, func(tx pgx.Tx) error {
		version, err := s.version(ctx, tx)
		if err != nil {
			return err
		}
		if c, ok := s.tiles.get(key, version); ok {
			c.Cached = true
			t = c
			return nil
		}
		res, err := s.coverageIn(ctx, tx, u, q, version)
		if err != nil {
			return err
		}
		if t, err = s.makeTile(ctx, tx, u.Scope(), q, res.tile, z, x, y); err != nil {
			return err
		}
		s.tiles.put(key, version, t)
		return nil
	})
	return t, err
}

// gridTileSQL reads the grids meeting the tile (grown by its buffer) in
// tile coordinates: $1..$3 z, x, y, $4 the area's code prefix, then the
// scope's arguments. Below z14 polygons are simplified by half a pixel,
// keeping those that would collapse (every grid must show its colour).
const gridTileSQL = `SELECT t.id, ST_AsBinary(ST_AsMVTGeom(
         CASE WHEN $1::integer < 14 THEN ST_Simplify(t.geom_3857, 78271.51696402048 / 2 ^ $1::integer, true) ELSE t.geom_3857 END,
         (SELECT ST_TileEnvelope($1::integer, $2::integer, $3::integer)), 4096, 256, true))
  FROM grids t
 WHERE t.geom_3857 && (SELECT ST_TileEnvelope($1::integer, $2::integer, $3::integer, margin => 0.0625))
   AND t.code LIKE $4 AND `

func (s *Service) makeTile(ctx context.Context, tx pgx.Tx, sc riskmap.Scope, q Query, d *tileData, z, x, y int) (Tile, error) {
	prefix := "%"
	if q.Area != "" {
		prefix = riskmap.AreaPrefix(q.Area) + "%"
	}
	cond, args := sc.SQL("t.code", 5)
	rows, err := tx.Query(ctx, gridTileSQL+cond+" ORDER BY t.id", append([]any{z, x, y, prefix}, args...)...)
	if err != nil {
		return Tile{}, fmt.Errorf("coverage: tile %d/%d/%d: %w", z, x, y, err)
	}
	var fs []*geojson.Feature
	var id int64
	var geom []byte
	_, err = pgx.ForEachRow(rows, []any{&id, &geom}, func() error {
		g, ok := d.grids[id]
		if !ok || geom == nil { // outside the result's area, or collapsed
			return nil
		}
		shape, err := wkb.Unmarshal(geom)
		if err != nil {
			return fmt.Errorf("grid %d: %w", id, err)
		}
		f := geojson.NewFeature(shape)
		f.ID = id
		f.Properties = geojson.Properties{"kind": "grid", "code": g.code, "name": g.name, "township_code": g.township,
			"population": g.pop, "covered": g.covered}
		g.near.put(f.Properties, d.byTime)
		fs = append(fs, f)
		return nil
	})
	if err != nil {
		return Tile{}, fmt.Errorf("coverage: tile %d/%d/%d: %w", z, x, y, err)
	}
	if z >= TilePointsMinZoom {
		fs = append(fs, d.spotsIn(z, x, y)...)
	}
	if len(fs) == 0 {
		return Tile{}, nil
	}
	data, err := mvt.Marshal(mvt.Layers{{Name: TileLayer, Version: 2, Extent: tileExtent, Features: fs}})
	if err != nil {
		return Tile{}, fmt.Errorf("coverage: tile %d/%d/%d: %w", z, x, y, err)
	}
	h := fnv.New64a()
	h.Write(data)
	return Tile{Data: data, ETag: `"` + hex.EncodeToString(h.Sum(nil)) + `"`}, nil
}

// put sets the nearest facility's properties; what is unknown is left out
// (MVT has no null).
func (n nearest) put(p geojson.Properties, byTime bool) {
	if n.facility == 0 {
		return
	}
	p["nearest_facility_id"] = n.facility
	p["nearest_facility_name"] = n.name
	p["distance_m"] = n.metres
	if byTime && !math.IsNaN(n.minutes) {
		p["minutes"] = n.minutes
	}
}

// spotsIn are the uncovered points inside the tile or its buffer, in tile
// coordinates.
func (d *tileData) spotsIn(z, x, y int) []*geojson.Feature {
	scale := float64(int(1)<<z) * tileExtent / (2 * worldHalf)
	var fs []*geojson.Feature
	for _, p := range d.spots {
		m := project.WGS84.ToMercator(orb.Point{p.lon, p.lat})
		px := (m[0]+worldHalf)*scale - float64(x)*tileExtent
		py := (worldHalf-m[1])*scale - float64(y)*tileExtent
		if px < -tileBuffer || px > tileExtent+tileBuffer || py < -tileBuffer || py > tileExtent+tileBuffer {
			continue
		}
		f := geojson.NewFeature(orb.Point{math.Round(px), math.Round(py)})
		f.Properties = geojson.Properties{"kind": p.kind, "id": p.id, "grid_code": gridCode(p.grid), "covered": false}
		if p.level > 0 {
			if p.kind == "risk_point" {
				f.Properties["risk_level"] = int64(p.level)
			} else {
				f.Properties["major_hazard_level"] = int64(p.level)
			}
		}
		p.near.put(f.Properties, d.byTime)
		fs = append(fs, f)
	}
	return fs
}

// Values are q's parameters as a URL query (the coverage tiles' URLs
// carry them).
func (q Query) Values() url.Values {
	v := url.Values{"facility": {q.Facility}}
	if q.Kind != "" {
		v.Set("kind", q.Kind)
	}
	if q.MaxDistanceM > 0 {
		v.Set("max_distance_m", strconv.FormatFloat(q.MaxDistanceM, 'f', -1, 64))
	}
	if q.MaxMinutes > 0 {
		v.Set("max_minutes", strconv.FormatFloat(q.MaxMinutes, 'f', -1, 64))
	}
	if q.Area != "" {
		v.Set("area", q.Area)
	}
	return v
}

// TileJSON describes the coverage tiles of q for u; base is the server's
// scheme and host. Bounds are those of the grids u sees in q's area.
func (s *Service) TileJSON(ctx context.Context, u *riskmap.User, q Query, base string) (*tiles.TileJSON, error) {
	if err := allowed(u); err != nil {
		return nil, err
	}
	q.Limit = 0
	if err := q.Check(); err != nil {
		return nil, err
	}
	// clients overzoom from tiles.ClientMaxZoom, as for the other layers
	tj := &tiles.TileJSON{TileJSON: "3.0.0", Name: "riskmap " + TileLayer, Scheme: "xyz",
		Description: "覆盖分析 coverage of grids, risk points and hazard sources by " + q.Facility,
		Tiles:       []string{base + "/tiles/" + TileLayer + "/{z}/{x}/{y}.mvt?" + q.Values().Encode()},
		MinZoom:     TileMinZoom, MaxZoom: tiles.ClientMaxZoom, Bounds: [4]float64{-180, -85.051129, 180, 85.051129},
		VectorLayers: []tiles.VectorLayer{{ID: TileLayer, MinZoom: TileMinZoom, MaxZoom: tiles.ClientMaxZoom,
			Description: fmt.Sprintf("grids (kind grid) from z%d; uncovered risk points and hazard sources from z%d", TileMinZoom, TilePointsMinZoom),
			Fields: map[string]string{"kind": "String", "code": "String", "name": "String", "township_code": "String",
				"population": "Number", "covered": "Boolean", "nearest_facility_id": "Number", "nearest_facility_name": "String",
				"distance_m": "Number", "minutes": "Number", "id": "Number", "grid_code": "String",
				"risk_level": "Number", "major_hazard_level": "Number"}}},
	}
	err := s.snapshot(ctx, func(tx pgx.Tx) error {
		if _, err := s.resolveArea(ctx, tx, u, q.Area); err != nil {
			return err
		}
		prefix := "%"
		if q.Area != "" {
			prefix = riskmap.AreaPrefix(q.Area) + "%"
		}
		cond, args := u.Scope().SQL("t.code", 2)
		var b [4]*float64
		err := tx.QueryRow(ctx, `SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e)
		  FROM (SELECT ST_Extent(t.geom) AS e FROM grids t WHERE t.code LIKE $1 AND `+cond+`) x`,
			append([]any{prefix}, args...)...).Scan(&b[0], &b[1], &b[2], &b[3])
		if err != nil {
			return fmt.Errorf("coverage: tile bounds: %w", err)
		}
		if b[0] != nil {
			tj.Bounds = [4]float64{*b[0], *b[1], *b[2], *b[3]}
		}
		// where a map opens: the middle of the grids, at the layer's first zoom
		tj.Center = [3]float64{(tj.Bounds[0] + tj.Bounds[2]) / 2, (tj.Bounds[1] + tj.Bounds[3]) / 2, TileMinZoom}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return tj, nil
}
