package tiles

import (
	"context"
	"fmt"
	"math"
	"sort"

	"riskmap"
)

// TileJSON is a TileJSON 3.0.0 document for one tile layer.
type TileJSON struct {
	TileJSON     string        `json:"tilejson"`
	Name         string        `json:"name"`
	Description  string        `json:"description"`
	Version      string        `json:"version"`
	Scheme       string        `json:"scheme"`
	Tiles        []string      `json:"tiles"`
	MinZoom      int           `json:"minzoom"`
	MaxZoom      int           `json:"maxzoom"`
	Bounds       [4]float64    `json:"bounds"`
	Center       [3]float64    `json:"center"`
	VectorLayers []VectorLayer `json:"vector_layers"`
}

// VectorLayer describes one MVT layer of the tiles: its attributes and their
// types ("String", "Number", "Boolean").
type VectorLayer struct {
	ID          string            `json:"id"`
	Description string            `json:"description"`
	Fields      map[string]string `json:"fields"`
	MinZoom     int               `json:"minzoom"`
	MaxZoom     int               `json:"maxzoom"`
}

// ClientMaxZoom is the zoom TileJSON advertises as the deepest: tiles hold
// every feature at full detail from here on, so clients overzoom them
// rather than fetch z17–z22, which the server answers too.
const ClientMaxZoom = 16

// TileJSON describes layer for scope; base is the server's URL (scheme and
// host) that tile URLs start with. Bounds are those of the data in scope
// (the whole world when there is none).
func (s *Service) TileJSON(ctx context.Context, scope riskmap.Scope, layer, base string) (*TileJSON, error) {
	if _, err := s.lookup(layer); err != nil {
		return nil, err
	}
	ls := s.layersOf(layer)
	tj := &TileJSON{
		TileJSON: "3.0.0", Name: "riskmap " + layer, Version: "1.0.0", Scheme: "xyz",
		Description: "riskmap vector tiles: " + layer,
		Tiles:       []string{base + "/tiles/" + layer + "/{z}/{x}/{y}.mvt"},
		MinZoom:     MaxZoom, MaxZoom: ClientMaxZoom,
	}
	if layer == All {
		tj.Description = "riskmap vector tiles: every layer"
	}
	box := [4]float64{math.Inf(1), math.Inf(1), math.Inf(-1), math.Inf(-1)}
	// the bounds are those of the user's data; the basemap (the same for
	// everyone) counts only in a tile set of nothing else
	for _, basemap := range []bool{false, true} {
		for _, l := range ls {
			if (l.ScopeColumn == "") != basemap {
				continue
			}
			tj.MinZoom = min(tj.MinZoom, l.MinZoom)
			tj.VectorLayers = append(tj.VectorLayers, VectorLayer{
				ID: l.Name, Description: l.Description, Fields: l.fields(), MinZoom: l.MinZoom, MaxZoom: ClientMaxZoom,
			})
			if basemap && !math.IsInf(box[0], 0) {
				continue
			}
			b, ok, err := s.extent(ctx, l, scope)
			if err != nil {
				return nil, err
			}
			if ok {
				box = [4]float64{min(box[0], b[0]), min(box[1], b[1]), max(box[2], b[2]), max(box[3], b[3])}
			}
		}
	}
	sort.Slice(tj.VectorLayers, func(i, j int) bool { return tj.VectorLayers[i].ID < tj.VectorLayers[j].ID })
	if math.IsInf(box[0], 0) {
		box = [4]float64{-180, -85.0511, 180, 85.0511}
	}
	tj.Bounds = box
	zoom := math.Max(float64(tj.MinZoom), 10)
	tj.Center = [3]float64{(box[0] + box[2]) / 2, (box[1] + box[3]) / 2, zoom}
	return tj, nil
}

// extent is the lon/lat box of l's features in scope.
func (s *Service) extent(ctx context.Context, l *Layer, scope riskmap.Scope) ([4]float64, bool, error) {
	cond, args := l.scopeSQL(scope, 1)
	var b [4]*float64
	err := s.pool.QueryRow(ctx, `SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e)
		FROM (SELECT ST_Extent(t.geom) AS e FROM `+l.Table+` t WHERE `+cond+`) x`, args...).Scan(&b[0], &b[1], &b[2], &b[3])
	if err != nil {
		return [4]float64{}, false, fmt.Errorf("tiles: extent of %s: %w", l.Name, err)
	}
	if b[0] == nil {
		return [4]float64{}, false, nil
	}
	return [4]float64{*b[0], *b[1], *b[2], *b[3]}, true, nil
}
