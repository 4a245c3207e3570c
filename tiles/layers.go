package tiles

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"riskmap"
	"riskmap/patrols"
)

// All is the name of the tile layer made of every other layer.
const All = "all"

// Attr is one attribute of a layer's features: its MVT name, the SQL that
// computes it over the table alias t (fixed text from this file, never user
// input), and its TileJSON type ("String", "Number" or "Boolean").
type Attr struct {
	Name string
	SQL  string
	Type string
}

// Cluster says how a point layer is summarised at low zooms: one feature
// per cell (1/16 of the tile's side) carrying point_count and, as Level, the
// highest level among its points (the lowest number: 1 is the gravest). The
// counts come from the tile_clusters table, kept by triggers that must
// agree on MaxZoom (migrations/100_tiles.sql).
type Cluster struct {
	MaxZoom int    // clustered at z <= MaxZoom, single points above
	Level   string // the attribute the highest level is given as
}

// Layer is one table served as a tile layer. Adding a layer (the cases of
// the closed loop, say) is adding one entry to Layers: the table needs a
// geom_3857 column with a GIST index and the tiles_notify_* triggers of
// migrations/100_tiles.sql.
type Layer struct {
	Name        string // URL and MVT layer name
	Description string // for TileJSON
	Table       string // table with a geom_3857 column, aliased t in the SQL
	// Simplify: lines and polygons are simplified below SimplifyBelow.
	Simplify bool
	// FeatureID: t.id is an integer and becomes the MVT feature id.
	FeatureID bool
	Attrs     []Attr
	// ScopeColumn (of t) holds the grid or area code the user's scope is
	// matched on; AreaScope: the areas rule (an area holding part of the
	// scope is visible too), riskmap.Scope.AreaSQL. No ScopeColumn: the
	// layer is the same for everyone (the basemap: roads and place names,
	// public geography that holds no riskmap data).
	ScopeColumn string
	AreaScope   bool
	MinZoom     int // no features below (the tile is empty)
	Cluster     *Cluster
	// Shapes names a table (with ShapesKey the feature's id, band, geom) of
	// the geometries precomputed per zoom band (riskmap_tile_band): polygons
	// too large to read whole for every tile (see area_tile_shapes).
	Shapes, ShapesKey string
	// Depends lists the tables whose change notifications make this
	// layer's tiles stale; the layer's own table is always included.
	Depends []string
	// Join is fixed SQL joined to the table (aliased t) for the attributes,
	// e.g. a LATERAL function of the row; Where a fixed condition over t
	// and the zoom $1 (which features a zoom draws, as roads by class).
	Join, Where string
	// Daily: some attributes depend on today's date (Today in their SQL,
	// the date in UTC+8 as a parameter), so a tile is made again when the
	// day turns: its cache key carries the day.
	Daily bool
}

// Today stands for today's date (a date parameter) in an attribute's SQL.
const Today = "{today}"

// Zoom limits.
const (
	MaxZoom = 22
	// SimplifyBelow: polygons are simplified by half a pixel (of a 256 px
	// tile) at zooms below this; above it their full detail fits.
	SimplifyBelow = 14
	// cellsPerTile is the cluster cell count along a tile's side; must agree
	// with riskmap_tile_cells in migrations/100_tiles.sql.
	cellsPerTile = 16
	extent       = 4096
	buffer       = 256 // in tile units: 1/16 of the side, one cluster cell
)

func pointAttrs(extra ...Attr) []Attr {
	base := []Attr{
		{"name", "t.name", "String"},
	}
	base = append(base, extra...)
	return append(base,
		Attr{"status", "t.status", "String"},
		Attr{"grid_code", "t.grid_code", "String"},
		Attr{"township_code", "t.township_code", "String"},
		Attr{"county_code", "t.county_code", "String"},
	)
}

// scopeSQL is the predicate keeping l's rows (alias t) in scope, with its
// arguments numbered from next.
func (l *Layer) scopeSQL(s riskmap.Scope, next int) (string, []any) {
	if l.ScopeColumn == "" {
		return "true", nil
	}
	if l.AreaScope {
		return s.AreaSQL("t."+l.ScopeColumn, next)
	}
	return s.SQL("t."+l.ScopeColumn, next)
}

// RoadMinZoom is the first zoom each road class is drawn at: the trunk
// network across the city, the streets once a village fills the screen.
// Classes not listed (living streets, service roads, tracks, ...) come at
// RoadDetailZoom.
var RoadMinZoom = map[string]int{
	"motorway": 6, "trunk": 6,
	"motorway_link": 10, "trunk_link": 10, "primary": 8, "secondary": 10,
	"primary_link": 11, "secondary_link": 11, "tertiary": 11, "tertiary_link": 12,
	"unclassified": 12, "residential": 12,
}

// RoadDetailZoom is when the remaining road classes are drawn.
const RoadDetailZoom = 13

// roadFilter is RoadMinZoom as SQL over t.class and the zoom $1.
func roadFilter() string {
	byZoom := map[int][]string{}
	for class, z := range RoadMinZoom {
		byZoom[z] = append(byZoom[z], "'"+class+"'")
	}
	zs := make([]int, 0, len(byZoom))
	for z := range byZoom {
		zs = append(zs, z)
	}
	sort.Ints(zs)
	var b strings.Builder
	b.WriteString("CASE")
	for _, z := range zs {
		sort.Strings(byZoom[z])
		fmt.Fprintf(&b, " WHEN t.class IN (%s) THEN %d", strings.Join(byZoom[z], ", "), z)
	}
	fmt.Fprintf(&b, " ELSE %d END <= $1::integer", RoadDetailZoom)
	return b.String()
}

// PlaceMinZoom is the first zoom the name of each level of area is shown at.
var PlaceMinZoom = map[string]int{"city": 6, "county": 8, "township": 10, "village": 12}

// Basemap layers: the ground under the risk layers, drawn from data riskmap
// holds (the road network coverage routes over, the administrative areas)
// so that a phone with no signal and no raster basemap still shows roads
// and village names to walk by.
func basemapLayers() []*Layer {
	return []*Layer{
		{
			Name: "roads", Table: "roads", Simplify: true, FeatureID: true, MinZoom: 6, Where: roadFilter(),
			Description: "道路 the road network (OpenStreetMap classes), major roads first as the zoom grows",
			Attrs: []Attr{
				{"class", "t.class", "String"},
				{"name", "t.name", "String"},
			},
		},
		{
			Name: "places", Table: "area_labels", FeatureID: true, MinZoom: 6,
			Where: fmt.Sprintf("CASE t.level WHEN 'city' THEN %d WHEN 'county' THEN %d WHEN 'township' THEN %d ELSE %d END <= $1::integer",
				PlaceMinZoom["city"], PlaceMinZoom["county"], PlaceMinZoom["township"], PlaceMinZoom["village"]),
			Description: "地名 the names of the administrative areas (city, county, township, village) at a point inside each",
			Attrs: []Attr{
				{"name", "t.name", "String"},
				{"level", "t.level", "String"},
			},
		},
	}
}

// Layers returns the tile layers in drawing order (bottom first).
func Layers() []*Layer {
	return append(basemapLayers(), dataLayers()...)
}

// dataLayers are riskmap's own layers, each kept to the user's scope.
func dataLayers() []*Layer {
	return []*Layer{
		{
			Name: "areas", Table: "areas", Simplify: true, FeatureID: true,
			Description: "行政区划 administrative areas: city, county, township, village",
			Shapes:      "area_tile_shapes", ShapesKey: "area_id",
			ScopeColumn: "code", AreaScope: true,
			Attrs: []Attr{
				{"code", "t.code", "String"},
				{"name", "t.name", "String"},
				{"level", "t.level", "String"},
				{"parent_code", "t.parent_code", "String"},
			},
		},
		{
			// Grid outlines are drawn from z10, where a grid (about 1.5 km)
			// spans ten pixels; below, the areas carry the map.
			Name: "grids", Table: "grids", Simplify: true, FeatureID: true, MinZoom: 10,
			Description: "网格 grids with their worker and open hidden-hazard cases",
			ScopeColumn: "code",
			Attrs: []Attr{
				{"code", "t.code", "String"},
				{"name", "t.name", "String"},
				{"worker", "t.worker", "String"},
				{"township_code", "t.township_code", "String"},
				{"county_code", "t.county_code", "String"},
				// the hook for the closed loop: the view grid_open_cases, and
				// riskmap_tiles_changed('grids', ...) when a count changes
				// (migrations/100_tiles.sql)
				{"open_cases", "coalesce((SELECT o.open_cases FROM grid_open_cases o WHERE o.grid_code = t.code), 0)", "Number"},
			},
		},
		{
			// the four-colour map of areas (migrations/573_risk_areas.sql):
			// townships to z10, villages z11–12, grids from z13, each with
			// its active risk points by level; a point's change drops the
			// tiles over its township (channel riskmap_tiles, layer risk_areas)
			Name: "risk_areas", Table: "risk_areas", Simplify: true, FeatureID: true,
			Description: "安全风险四色分布图 townships, villages and grids by their gravest active risk level (max_level) or risk index",
			ScopeColumn: "scope_code",
			Join:        "CROSS JOIN LATERAL riskmap_risk_area(t.prefix) r",
			Where:       "$1::integer BETWEEN t.minz AND t.maxz",
			Depends:     []string{"areas", "grids"},
			Attrs: []Attr{
				{"code", "t.code", "String"},
				{"name", "t.name", "String"},
				{"level", "t.level", "String"},
				{"n1", "r.n1", "Number"},
				{"n2", "r.n2", "Number"},
				{"n3", "r.n3", "Number"},
				{"n4", "r.n4", "Number"},
				{"max_level", "r.max_level", "Number"},
				{"risk_index", "r.risk_index", "Number"},
				{"index_level", "r.index_level", "Number"},
			},
		},
		{
			Name: "hazard_sources", Table: "hazard_sources", FeatureID: true, ScopeColumn: "grid_code",
			Description: "危险源 hazard sources; up to z11 clusters with point_count and the gravest major_hazard_level",
			Attrs: pointAttrs(
				Attr{"category", "t.category", "String"},
				Attr{"major_hazard_level", "t.major_hazard_level", "Number"},
			),
			Cluster: &Cluster{MaxZoom: 11, Level: "major_hazard_level"},
		},
		{
			Name: "risk_points", Table: "risk_points", FeatureID: true, ScopeColumn: "grid_code",
			Description: "风险点 risk points with their patrol due date (due_on) and state on the day " +
				"(patrol: overdue, due within " + strconv.Itoa(patrols.DueSoonDays) + " days, or ok); " +
				"up to z13 clusters with point_count and the gravest risk_level",
			Attrs: pointAttrs(
				Attr{"category", "t.category", "String"},
				Attr{"risk_level", "t.risk_level", "Number"},
				Attr{"due_on", "CASE WHEN t.status = 'active' THEN to_char(" + patrols.DueOnSQL("t") + ", 'YYYY-MM-DD') END", "String"},
				Attr{"patrol", "CASE WHEN t.status <> 'active' THEN NULL " +
					"WHEN " + Today + " > " + patrols.DueOnSQL("t") + " THEN 'overdue' " +
					"WHEN " + patrols.DueOnSQL("t") + " - " + Today + " <= " + strconv.Itoa(patrols.DueSoonDays) + " THEN 'due' " +
					"ELSE 'ok' END", "String"},
			),
			Cluster: &Cluster{MaxZoom: 13, Level: "risk_level"},
			Daily:   true,
		},
		{
			Name: "stations", Table: "stations", FeatureID: true, ScopeColumn: "grid_code",
			Description: "应急站点 emergency stations",
			Attrs: pointAttrs(
				Attr{"kind", "t.kind", "String"},
				Attr{"on_duty_24h", "t.on_duty_24h", "Boolean"},
			),
		},
		{
			Name: "depots", Table: "depots", FeatureID: true, ScopeColumn: "grid_code",
			Description: "应急物资储备仓库 supply depots",
			Attrs:       pointAttrs(),
		},
	}
}

// fields is the TileJSON description of the attributes a layer's features
// carry at some zoom.
func (l *Layer) fields() map[string]string {
	f := map[string]string{}
	for _, a := range l.Attrs {
		f[a.Name] = a.Type
	}
	if l.Cluster != nil {
		f["point_count"] = "Number"
	}
	return f
}

// dependsOn reports whether a change to table makes l's tiles stale.
func (l *Layer) dependsOn(table string) bool {
	if table == l.Table {
		return true
	}
	for _, d := range l.Depends {
		if d == table {
			return true
		}
	}
	return false
}
