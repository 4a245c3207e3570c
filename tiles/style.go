package tiles

import (
	"bytes"
	"encoding/json"
)

// GlyphsPath is where the style expects glyph PBFs (served by the web app:
// no outside font host is reachable in the field). Until they are there,
// MapLibre draws everything but the text labels.
const GlyphsPath = "/fonts/{fontstack}/{range}.pbf"

// Font is the font stack the style's labels ask for.
const Font = "Noto Sans Regular"

type obj = map[string]any

// RiskColours are the four colours of risk levels 1–4 (docs/domain.md): the
// style's and the printed map's.
var RiskColours = [4]string{"#E53935", "#FB8C00", "#FDD835", "#1E88E5"}

// RiskLevelNames name levels 1–4.
var RiskLevelNames = [4]string{"重大风险", "较大风险", "一般风险", "低风险"}

// Rings around risk points due for a patrol within days (due) or past it
// (overdue).
const (
	PatrolOverdueColour = "#6A1B9A"
	PatrolDueColour     = "#F9A825"
)

// Style returns the MapLibre style of the risk map, all layers drawn from
// one vector source (the all layer's TileJSON under base): administrative
// areas, grid outlines with their codes, the four-colour risk points (and
// their clusters), hazard sources by major-hazard grade, stations and
// depots. base is the server's URL (scheme and host).
func Style(base string) []byte {
	level := func(attr string, colours [4]string, other string) []any {
		return []any{"match", []any{"get", attr},
			1, colours[0], 2, colours[1], 3, colours[2], 4, colours[3], other}
	}
	riskColours := RiskColours
	hazardColours := [4]string{"#4A148C", "#7B1FA2", "#AB47BC", "#CE93D8"}
	cluster := []any{"has", "point_count"}
	single := []any{"!", []any{"has", "point_count"}}
	clusterRadius := []any{"step", []any{"get", "point_count"}, 5, 10, 8, 100, 12, 1000, 16}
	label := func(field string, size float64) obj {
		return obj{"text-field": []any{"to-string", []any{"get", field}}, "text-font": []any{Font}, "text-size": size}
	}
	layers := []obj{
		{"id": "background", "type": "background", "paint": obj{"background-color": "#F5F3EE"}},
		{"id": "areas-township-fill", "type": "fill", "source": "riskmap", "source-layer": "areas",
			"filter": []any{"==", []any{"get", "level"}, "township"},
			"paint":  obj{"fill-color": "#FFFFFF", "fill-opacity": 0.7}},
	}
	layers = append(layers, roadLayers()...)
	layers = append(layers, []obj{
		// the four-colour map of areas: townships, villages, grids by their
		// gravest active risk level (a layer of its own in the legend)
		{"id": "risk-areas-fill", "type": "fill", "source": "riskmap", "source-layer": "risk_areas",
			"filter": []any{"has", "max_level"},
			"paint":  obj{"fill-color": level("max_level", riskColours, "#FFFFFF"), "fill-opacity": 0.28}},
		{"id": "risk-areas-line", "type": "line", "source": "riskmap", "source-layer": "risk_areas",
			"filter": []any{"has", "max_level"},
			"paint":  obj{"line-color": level("max_level", riskColours, "#9E9E9E"), "line-width": 0.6, "line-opacity": 0.6}},
		{"id": "grids-open-cases", "type": "fill", "source": "riskmap", "source-layer": "grids", "minzoom": 10,
			"filter": []any{">", []any{"get", "open_cases"}, 0},
			"paint":  obj{"fill-color": "#E53935", "fill-opacity": []any{"step", []any{"get", "open_cases"}, 0.08, 3, 0.16, 10, 0.24}}},
		{"id": "grids-line", "type": "line", "source": "riskmap", "source-layer": "grids", "minzoom": 10,
			"paint": obj{"line-color": "#8E8E8E", "line-width": []any{"interpolate", []any{"linear"}, []any{"zoom"}, 10, 0.3, 16, 1.2}}},
		{"id": "areas-village-line", "type": "line", "source": "riskmap", "source-layer": "areas", "minzoom": 11,
			"filter": []any{"==", []any{"get", "level"}, "village"},
			"paint":  obj{"line-color": "#9E9E9E", "line-width": 0.8, "line-dasharray": []any{2, 2}}},
		{"id": "areas-township-line", "type": "line", "source": "riskmap", "source-layer": "areas",
			"filter": []any{"==", []any{"get", "level"}, "township"},
			"paint":  obj{"line-color": "#757575", "line-width": 1.2}},
		{"id": "areas-county-line", "type": "line", "source": "riskmap", "source-layer": "areas",
			"filter": []any{"in", []any{"get", "level"}, []any{"literal", []any{"county", "city"}}},
			"paint":  obj{"line-color": "#424242", "line-width": 2}},
	}...)
	// place names over the roads, under the risk layers
	layers = append(layers, placeLayers()...)
	layers = append(layers, []obj{
		{"id": "hazard-sources-cluster", "type": "circle", "source": "riskmap", "source-layer": "hazard_sources",
			"filter": cluster,
			"paint": obj{"circle-color": level("major_hazard_level", hazardColours, "#9E9E9E"), "circle-radius": clusterRadius,
				"circle-opacity": 0.8, "circle-stroke-color": "#212121", "circle-stroke-width": 1}},
		{"id": "hazard-sources", "type": "circle", "source": "riskmap", "source-layer": "hazard_sources",
			"filter": single,
			"paint": obj{"circle-color": level("major_hazard_level", hazardColours, "#9E9E9E"), "circle-radius": 5,
				"circle-stroke-color": "#212121", "circle-stroke-width": 1.5}},
		{"id": "risk-points-cluster", "type": "circle", "source": "riskmap", "source-layer": "risk_points",
			"filter": cluster,
			"paint": obj{"circle-color": level("risk_level", riskColours, "#9E9E9E"), "circle-radius": clusterRadius,
				"circle-opacity": 0.85, "circle-stroke-color": "#FFFFFF", "circle-stroke-width": 1}},
		{"id": "risk-points-retired", "type": "circle", "source": "riskmap", "source-layer": "risk_points",
			"filter": []any{"all", single, []any{"==", []any{"get", "status"}, "retired"}},
			"paint":  obj{"circle-color": "#BDBDBD", "circle-radius": 3}},
		// patrol due (amber) or overdue (purple) on the day: a ring under
		// the point (the tiles' patrol attribute, made again each day)
		{"id": "risk-points-patrol", "type": "circle", "source": "riskmap", "source-layer": "risk_points",
			"filter": []any{"all", single, []any{"in", []any{"get", "patrol"}, []any{"literal", []any{"due", "overdue"}}}},
			"paint": obj{"circle-color": "rgba(0,0,0,0)",
				"circle-radius":       []any{"interpolate", []any{"linear"}, []any{"zoom"}, 14, 7, 18, 12},
				"circle-stroke-color": []any{"match", []any{"get", "patrol"}, "overdue", PatrolOverdueColour, PatrolDueColour},
				"circle-stroke-width": []any{"match", []any{"get", "patrol"}, "overdue", 3, 2}}},
		{"id": "risk-points", "type": "circle", "source": "riskmap", "source-layer": "risk_points",
			"filter": []any{"all", single, []any{"==", []any{"get", "status"}, "active"}},
			"paint": obj{"circle-color": level("risk_level", riskColours, "#9E9E9E"),
				"circle-radius":       []any{"interpolate", []any{"linear"}, []any{"zoom"}, 14, 4, 18, 8},
				"circle-stroke-color": "#FFFFFF", "circle-stroke-width": 1}},
		{"id": "stations", "type": "circle", "source": "riskmap", "source-layer": "stations",
			"paint": obj{"circle-color": []any{"match", []any{"get", "kind"}, "office", "#2E7D32", "rescue_team", "#00897B", "platform", "#43A047", "#2E7D32"},
				"circle-radius": 7, "circle-stroke-color": "#FFFFFF", "circle-stroke-width": 2}},
		{"id": "depots", "type": "circle", "source": "riskmap", "source-layer": "depots",
			"paint": obj{"circle-color": "#6D4C41", "circle-radius": 7, "circle-stroke-color": "#FFFFFF", "circle-stroke-width": 2}},
		// labels: need the glyphs at GlyphsPath
		{"id": "grids-code", "type": "symbol", "source": "riskmap", "source-layer": "grids", "minzoom": 14,
			"layout": label("code", 10), "paint": obj{"text-color": "#616161", "text-halo-color": "#FFFFFF", "text-halo-width": 1}},
		{"id": "risk-points-cluster-count", "type": "symbol", "source": "riskmap", "source-layer": "risk_points",
			"filter": []any{"all", cluster, []any{">", []any{"get", "point_count"}, 1}},
			"layout": label("point_count", 10), "paint": obj{"text-color": "#212121"}},
		{"id": "stations-name", "type": "symbol", "source": "riskmap", "source-layer": "stations", "minzoom": 13,
			"layout": merge(label("name", 11), obj{"text-offset": []any{0, 1.2}, "text-anchor": "top"}),
			"paint":  obj{"text-color": "#1B5E20", "text-halo-color": "#FFFFFF", "text-halo-width": 1}},
		{"id": "depots-name", "type": "symbol", "source": "riskmap", "source-layer": "depots", "minzoom": 13,
			"layout": merge(label("name", 11), obj{"text-offset": []any{0, 1.2}, "text-anchor": "top"}),
			"paint":  obj{"text-color": "#4E342E", "text-halo-color": "#FFFFFF", "text-halo-width": 1}},
	}...)
	style := obj{
		"version": 8,
		"name":    "riskmap 应急风险一张图",
		"metadata": obj{
			"riskmap:legend": obj{"risk_level": obj{"1": "重大风险", "2": "较大风险", "3": "一般风险", "4": "低风险"},
				"colours": riskColours,
				// the area layer's legend: the same four colours, by the
				// gravest active level inside (or the level its risk index reaches)
				"risk_areas": obj{"title": "安全风险四色分布（区域）", "attribute": "max_level",
					"classes": []obj{{"value": 1, "label": "重大风险区域", "colour": riskColours[0]}, {"value": 2, "label": "较大风险区域", "colour": riskColours[1]},
						{"value": 3, "label": "一般风险区域", "colour": riskColours[2]}, {"value": 4, "label": "低风险区域", "colour": riskColours[3]}}},
				"patrol": obj{"overdue": "巡查逾期", "due": "近期应巡查",
					"colours": obj{"overdue": PatrolOverdueColour, "due": PatrolDueColour}}},
		},
		"center":  []any{115.5, 23.0},
		"zoom":    9,
		"glyphs":  base + GlyphsPath,
		"sources": obj{"riskmap": obj{"type": "vector", "url": base + "/tiles/" + All + ".json"}},
		"layers":  layers,
	}
	// written as it reads: encoding/json's default \u003e for ">" in the
	// filters is valid JSON, but the style spec's validator takes the
	// operator for an unknown expression
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(style); err != nil {
		panic(err) // a fixed structure of maps and strings always marshals
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n"))
}

func merge(a, b obj) obj {
	for k, v := range b {
		a[k] = v
	}
	return a
}

// Road classes as the basemap draws them: the trunk network orange, main
// roads yellow, the rest white, each with a darker casing.
var (
	trunkRoads = []any{"motorway", "trunk", "motorway_link", "trunk_link"}
	mainRoads  = []any{"primary", "secondary", "primary_link", "secondary_link"}
	minorRoads = []any{"service", "track", "living_street", "path", "footway", "cycleway", "pedestrian"}
)

// roadLayers draw the roads tile layer (tiles.basemapLayers): casings
// first, then fills, wider for bigger roads and as the zoom grows.
func roadLayers() []obj {
	class := []any{"get", "class"}
	byClass := func(trunk, main, minor, other float64) []any {
		return []any{"match", class, trunkRoads, trunk, mainRoads, main, minorRoads, minor, other}
	}
	width := func(extra float64) []any {
		return []any{"interpolate", []any{"exponential", 1.5}, []any{"zoom"},
			8, byClass(1.2+extra, 0.6+extra, 0, 0.2+extra),
			12, byClass(3+extra, 2+extra, 0.5+extra, 1.2+extra),
			16, byClass(12+extra, 9+extra, 3+extra, 6+extra),
			18, byClass(24+extra, 18+extra, 6+extra, 12+extra)}
	}
	colour := func(trunk, main, other string) []any {
		return []any{"match", class, trunkRoads, trunk, mainRoads, main, other}
	}
	line := obj{"line-cap": "round", "line-join": "round"}
	return []obj{
		{"id": "roads-casing", "type": "line", "source": "riskmap", "source-layer": "roads", "minzoom": 11, "layout": line,
			"paint": obj{"line-color": colour("#C1712F", "#C9A045", "#CFC8BC"), "line-width": width(1.5)}},
		{"id": "roads-line", "type": "line", "source": "riskmap", "source-layer": "roads", "layout": line,
			"paint": obj{"line-color": colour("#F2A65A", "#FBDB8B", "#FFFFFF"), "line-width": width(0)}},
	}
}

// placeLayers write the names of the roads and of the areas (the places
// tile layer) in the device's own CJK font (the web app's
// localIdeographFontFamily), so they need no glyphs from the network.
func placeLayers() []obj {
	halo := obj{"text-color": "#37474F", "text-halo-color": "#FFFFFF", "text-halo-width": 1.5}
	place := func(level string, size float64, colour string) obj {
		return obj{"id": "places-" + level, "type": "symbol", "source": "riskmap", "source-layer": "places",
			"filter": []any{"==", []any{"get", "level"}, level},
			"layout": obj{"text-field": []any{"get", "name"}, "text-font": []any{Font}, "text-size": size, "text-max-width": 8,
				"text-padding": 4},
			"paint": merge(merge(obj{}, halo), obj{"text-color": colour})}
	}
	return []obj{
		{"id": "roads-name", "type": "symbol", "source": "riskmap", "source-layer": "roads", "minzoom": 14,
			"filter": []any{"has", "name"},
			"layout": obj{"text-field": []any{"get", "name"}, "text-font": []any{Font}, "text-size": 11, "symbol-placement": "line"},
			"paint":  obj{"text-color": "#5D4037", "text-halo-color": "#FFFFFF", "text-halo-width": 1.5}},
		place("village", 12, "#455A64"),
		place("township", 14, "#263238"),
		merge(place("county", 16, "#212121"), obj{"maxzoom": 12}),
	}
}
