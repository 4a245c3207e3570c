package geo

import (
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/paulmach/orb"
)

// geometryTypes lists the GeoJSON geometry types ParseGeometry accepts.
func geometryTypes() []string {
	return []string{"Point", "MultiPoint", "LineString", "MultiLineString", "Polygon", "MultiPolygon", "GeometryCollection"}
}

// ParseGeometry parses a GeoJSON geometry object (RFC 7946) strictly, for
// user input. It rejects unknown or missing types, duplicate members,
// positions that are not 2 or 3 numbers (a third, altitude, is checked and
// dropped), numbers that overflow float64, longitudes outside [-180, 180],
// latitudes outside [-90, 90], empty geometries, LineStrings with fewer than
// 2 positions and polygon rings that have fewer than 4 positions or are not
// closed. Members other than type, coordinates and geometries (e.g. bbox)
// are ignored.
//
// Every error is an *InvalidError whose Field is the exact JSON path, such
// as "geometry.coordinates[0][3]".
func ParseGeometry(raw []byte) (orb.Geometry, error) {
	if p, ok := plainPoint(raw); ok {
		return p, nil
	}
	v, err := decodeJSONStrict(raw, geometryRoot)
	if err != nil {
		return nil, err
	}
	return parseGeometryValue(v, geometryRoot)
}

func parseGeometryValue(v any, path string) (orb.Geometry, error) {
	obj, ok := v.(map[string]any)
	if !ok {
		return nil, invalid(path, "expected a GeoJSON geometry object, got "+jsonKind(v))
	}
	typ, err := geometryType(obj, path)
	if err != nil {
		return nil, err
	}
	if typ == "GeometryCollection" {
		return parseCollection(obj, path)
	}

	coordPath := path + ".coordinates"
	coords, present := obj["coordinates"]
	if !present {
		return nil, invalid(coordPath, "missing")
	}
	switch typ {
	case "Point":
		return nonNil(parsePosition(coords, coordPath))
	case "MultiPoint":
		pts, err := parseArray(coords, coordPath, "MultiPoint", "position", 1, parsePosition)
		return nonNil(orb.MultiPoint(pts), err)
	case "LineString":
		return nonNil(parseLineString(coords, coordPath))
	case "MultiLineString":
		lines, err := parseArray(coords, coordPath, "MultiLineString", "line", 1, parseLineString)
		return nonNil(orb.MultiLineString(lines), err)
	case "Polygon":
		return nonNil(parsePolygon(coords, coordPath))
	default: // "MultiPolygon"; geometryType admits nothing else
		polys, err := parseArray(coords, coordPath, "MultiPolygon", "polygon", 1, parsePolygon)
		return nonNil(orb.MultiPolygon(polys), err)
	}
}

// nonNil returns a nil interface, not a typed zero geometry, on error.
func nonNil[G orb.Geometry](g G, err error) (orb.Geometry, error) {
	if err != nil {
		return nil, err
	}
	return g, nil
}

// geometryType returns obj's "type", which must name a geometry.
func geometryType(obj map[string]any, path string) (string, error) {
	typePath := path + ".type"
	raw, present := obj["type"]
	if !present {
		return "", invalid(typePath, "missing")
	}
	typ, ok := raw.(string)
	if !ok {
		return "", invalid(typePath, "expected a string, got "+jsonKind(raw))
	}
	known := geometryTypes()
	if slices.Contains(known, typ) {
		return typ, nil
	}
	if typ == "Feature" || typ == "FeatureCollection" {
		return "", invalid(typePath, fmt.Sprintf("expected a geometry, got a %s; send its geometry instead", typ))
	}
	for _, k := range known {
		if strings.EqualFold(typ, k) {
			return "", invalid(typePath, fmt.Sprintf("unknown geometry type %q (type names are case-sensitive: did you mean %q?)", typ, k))
		}
	}
	return "", invalid(typePath, fmt.Sprintf("unknown geometry type %q (want one of %s)", typ, strings.Join(known, ", ")))
}

func parseCollection(obj map[string]any, path string) (orb.Geometry, error) {
	members := path + ".geometries"
	raw, present := obj["geometries"]
	if !present {
		return nil, invalid(members, "missing")
	}
	geoms, err := parseArray(raw, members, "GeometryCollection", "geometry", 1, parseGeometryValue)
	return nonNil(orb.Collection(geoms), err)
}

// parseArray parses a JSON array of at least minLen elements with elem.
// what and elemName feed the error message for a short array.
func parseArray[T any](v any, path, what, elemName string, minLen int, elem func(any, string) (T, error)) ([]T, error) {
	arr, ok := v.([]any)
	if !ok {
		return nil, invalid(path, "expected an array, got "+jsonKind(v))
	}
	if len(arr) < minLen {
		return nil, invalid(path, fmt.Sprintf("%s needs at least %d %s, got %d", what, minLen, plural(elemName, minLen), len(arr)))
	}
	out := make([]T, 0, len(arr))
	for i, item := range arr {
		t, err := elem(item, path+"["+strconv.Itoa(i)+"]")
		if err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, nil
}

func plural(word string, n int) string {
	if n == 1 {
		return word
	}
	return word + "s"
}

func parseLineString(v any, path string) (orb.LineString, error) {
	pts, err := parseArray(v, path, "LineString", "position", 2, parsePosition)
	return orb.LineString(pts), err
}

func parsePolygon(v any, path string) (orb.Polygon, error) {
	rings, err := parseArray(v, path, "Polygon", "ring", 1, parseRing)
	return orb.Polygon(rings), err
}

func parseRing(v any, path string) (orb.Ring, error) {
	pts, err := parseArray(v, path, "a polygon ring", "position", 4, parsePosition)
	if err != nil {
		return nil, err
	}
	first, last := pts[0], pts[len(pts)-1]
	if first != last {
		return nil, invalidAt(path, fmt.Sprintf("ring is not closed: the last position [%s, %s] differs from the first [%s, %s]",
			formatNum(last[0]), formatNum(last[1]), formatNum(first[0]), formatNum(first[1])), last)
	}
	return orb.Ring(pts), nil
}

// parsePosition parses [lon, lat] or [lon, lat, alt]; the altitude must be a
// finite number and is dropped.
func parsePosition(v any, path string) (orb.Point, error) {
	arr, ok := v.([]any)
	if !ok {
		return orb.Point{}, invalid(path, "expected a position [longitude, latitude], got "+jsonKind(v))
	}
	if len(arr) != 2 && len(arr) != 3 {
		return orb.Point{}, invalid(path, fmt.Sprintf("position has %d %s, want 2 or 3 (longitude, latitude[, altitude])", len(arr), plural("element", len(arr))))
	}
	names := [3]string{"longitude", "latitude", "altitude"}
	var vals [3]float64
	for i, item := range arr {
		f, err := parseCoordinate(item, path+"["+strconv.Itoa(i)+"]", path, names[i])
		if err != nil {
			return orb.Point{}, err
		}
		vals[i] = f
	}
	lon, lat := vals[0], vals[1]
	p := orb.Point{lon, lat}
	if lon < -180 || lon > 180 {
		return orb.Point{}, invalidAt(path, fmt.Sprintf("longitude %s out of range [-180, 180]%s", formatNum(lon), swapHint(lon, lat)), p)
	}
	if lat < -90 || lat > 90 {
		return orb.Point{}, invalidAt(path, fmt.Sprintf("latitude %s out of range [-90, 90]%s", formatNum(lat), swapHint(lon, lat)), p)
	}
	return p, nil
}

// parseCoordinate parses one number of a position. Type errors point at the
// element; a non-finite value is reported on the position as a whole.
func parseCoordinate(v any, elemPath, posPath, name string) (float64, error) {
	n, ok := v.(json.Number)
	if !ok {
		return 0, invalid(elemPath, fmt.Sprintf("%s must be a number, got %s", name, jsonKind(v)))
	}
	f, err := strconv.ParseFloat(string(n), 64)
	if math.IsInf(f, 0) || math.IsNaN(f) {
		return 0, invalid(posPath, fmt.Sprintf("%s %s is not a finite number", name, n))
	}
	if err != nil { // the decoder only yields valid JSON numbers
		return 0, invalid(elemPath, fmt.Sprintf("%s %s: %v", name, n, err))
	}
	return f, nil
}

// swapHint suggests the swapped order when [lon, lat] is out of range but
// [lat, lon] would not be: the commonest mistake with GeoJSON's axis order.
func swapHint(lon, lat float64) string {
	if lat >= -180 && lat <= 180 && lon >= -90 && lon <= 90 {
		return fmt.Sprintf("; positions are [longitude, latitude]: did you mean [%s, %s]?", formatNum(lat), formatNum(lon))
	}
	return ""
}
