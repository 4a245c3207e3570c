package roads

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"

	"riskmap"
	"riskmap/geo"
)

// readGeoJSON reads a FeatureCollection of LineString or MultiLineString
// features with a road class in properties.class (or properties.highway, as
// OSM exports name it), and optionally name, oneway and maxspeed. Lines
// meet where they share a point (to 1e-7°). Every feature that cannot be
// used is returned as a rejection naming its row (1-based feature number)
// and field.
func readGeoJSON(r io.Reader, crs geo.CRS, speeds Speeds) ([]*Line, []riskmap.Detail, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, nil, err
	}
	var fc struct {
		Type     string            `json:"type"`
		Features []json.RawMessage `json:"features"`
	}
	if err := json.Unmarshal(data, &fc); err != nil {
		return nil, nil, riskmap.Errorf(riskmap.EUNPROCESSABLE, "not GeoJSON: %v", err)
	}
	if fc.Type != "FeatureCollection" {
		return nil, nil, riskmap.Errorf(riskmap.EUNPROCESSABLE, "GeoJSON of type %q: want a FeatureCollection of road lines", fc.Type)
	}
	var lines []*Line
	var bad []riskmap.Detail
	for i, raw := range fc.Features {
		row := i + 1
		ls, err := lineFeature(raw, row, crs, speeds)
		if err != nil {
			bad = append(bad, *err)
			continue
		}
		lines = append(lines, ls...)
	}
	return lines, bad, nil
}

type lineProps struct {
	Class    *string         `json:"class"`
	Highway  *string         `json:"highway"`
	Name     *string         `json:"name"`
	Oneway   json.RawMessage `json:"oneway"`
	MaxSpeed json.RawMessage `json:"maxspeed"`
}

func lineFeature(raw json.RawMessage, row int, crs geo.CRS, speeds Speeds) ([]*Line, *riskmap.Detail) {
	fail := func(field string, value any, format string, args ...any) ([]*Line, *riskmap.Detail) {
		return nil, &riskmap.Detail{Row: row, Field: field, Value: value, Message: fmt.Sprintf(format, args...)}
	}
	var f struct {
		Type     string          `json:"type"`
		ID       json.RawMessage `json:"id"`
		Geometry *struct {
			Type        string          `json:"type"`
			Coordinates json.RawMessage `json:"coordinates"`
		} `json:"geometry"`
		Properties *lineProps `json:"properties"`
	}
	if err := json.Unmarshal(raw, &f); err != nil {
		return fail("", nil, "feature %d is not a GeoJSON Feature: %v", row, err)
	}
	if f.Type != "Feature" {
		return fail("type", f.Type, "feature %d: type %q, want Feature", row, f.Type)
	}
	p := f.Properties
	if p == nil {
		p = &lineProps{}
	}
	class := ""
	switch {
	case p.Class != nil:
		class = *p.Class
	case p.Highway != nil:
		class = *p.Highway
	default:
		return fail("properties.class", nil, "feature %d: no road class (properties.class, e.g. primary or residential)", row)
	}
	if _, ok := speeds[class]; !ok {
		return fail("properties.class", class, "feature %d: road class %q has no speed: the classes are %s (add one with a speed option)", row, class, strings.Join(speeds.Classes(), ", "))
	}
	oneway, err := parseOneway(p.Oneway)
	if err != nil {
		return fail("properties.oneway", string(p.Oneway), "feature %d: %v", row, err)
	}
	var maxSpeed *float64
	if len(p.MaxSpeed) > 0 && string(p.MaxSpeed) != "null" {
		var s string
		var n float64
		switch {
		case json.Unmarshal(p.MaxSpeed, &n) == nil:
			maxSpeed = parseMaxSpeed(strconv.FormatFloat(n, 'f', -1, 64))
		case json.Unmarshal(p.MaxSpeed, &s) == nil:
			maxSpeed = parseMaxSpeed(s)
		}
		if maxSpeed == nil {
			return fail("properties.maxspeed", string(p.MaxSpeed), "feature %d: maxspeed %s: want km/h in (0, 200], e.g. 60 or \"40 mph\"", row, p.MaxSpeed)
		}
	}
	if f.Geometry == nil {
		return fail("geometry", nil, "feature %d has no geometry: want a LineString or MultiLineString", row)
	}
	var parts [][][]float64
	switch f.Geometry.Type {
	case "LineString":
		var c [][]float64
		if err := json.Unmarshal(f.Geometry.Coordinates, &c); err != nil {
			return fail("geometry.coordinates", nil, "feature %d: coordinates of a LineString: %v", row, err)
		}
		parts = [][][]float64{c}
	case "MultiLineString":
		if err := json.Unmarshal(f.Geometry.Coordinates, &parts); err != nil {
			return fail("geometry.coordinates", nil, "feature %d: coordinates of a MultiLineString: %v", row, err)
		}
	default:
		return fail("geometry.type", f.Geometry.Type, "feature %d: geometry %s: want a LineString or MultiLineString", row, f.Geometry.Type)
	}
	ref := fmt.Sprintf("feature %d", row)
	if id := bytes.Trim(f.ID, `"`); len(id) > 0 && string(id) != "null" {
		ref = "feature " + string(id)
	}
	name := ""
	if p.Name != nil {
		name = *p.Name
	}
	var out []*Line
	for k, part := range parts {
		l := &Line{Ref: ref, Name: name, Class: class, Oneway: oneway, MaxSpeed: maxSpeed}
		for j, pos := range part {
			if len(pos) < 2 || len(pos) > 3 {
				return fail(fmt.Sprintf("geometry.coordinates[%d]", j), pos, "feature %d: position %d of line %d has %d numbers, want [lon, lat]", row, j+1, k+1, len(pos))
			}
			lon, lat := geo.ToWGS84(crs, pos[0], pos[1])
			if math.IsNaN(lon) || math.IsNaN(lat) || math.IsInf(lon, 0) || math.IsInf(lat, 0) || lon < -180 || lon > 180 || lat < -90 || lat > 90 {
				return fail(fmt.Sprintf("geometry.coordinates[%d]", j), pos, "feature %d: position %d of line %d (%v, %v) is not a lon/lat coordinate", row, j+1, k+1, pos[0], pos[1])
			}
			lon, lat = snap(lon), snap(lat)
			n := coordNode(lon, lat)
			if len(l.Nodes) > 0 && l.Nodes[len(l.Nodes)-1] == n {
				continue
			}
			l.Nodes = append(l.Nodes, n)
			l.Coords = append(l.Coords, [2]float64{lon, lat})
		}
		if len(l.Nodes) < 2 {
			return fail("geometry.coordinates", nil, "feature %d: line %d has fewer than 2 distinct positions", row, k+1)
		}
		out = append(out, l)
	}
	if len(out) == 0 {
		return fail("geometry.coordinates", nil, "feature %d has no line", row)
	}
	return out, nil
}

// parseOneway reads oneway as OSM writes it (yes, no, -1, reverse) or as a
// JSON boolean or number.
func parseOneway(raw json.RawMessage) (int8, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return 0, nil
	}
	var b bool
	if json.Unmarshal(raw, &b) == nil {
		if b {
			return 1, nil
		}
		return 0, nil
	}
	var n float64
	if json.Unmarshal(raw, &n) == nil {
		switch n {
		case 1:
			return 1, nil
		case 0:
			return 0, nil
		case -1:
			return -1, nil
		}
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		switch strings.ToLower(strings.TrimSpace(s)) {
		case "yes", "true", "1":
			return 1, nil
		case "no", "false", "0", "":
			return 0, nil
		case "-1", "reverse":
			return -1, nil
		}
	}
	return 0, fmt.Errorf("oneway %s: want yes, no, -1, true, false, 1, 0", raw)
}
