package geo

import (
	"fmt"

	"github.com/paulmach/orb"
)

// Bounds is a longitude/latitude box in degrees, edges included.
type Bounds struct {
	MinLon, MinLat, MaxLon, MaxLat float64
}

func (b Bounds) contains(lon, lat float64) bool {
	return lon >= b.MinLon && lon <= b.MaxLon && lat >= b.MinLat && lat <= b.MaxLat
}

// CheckWithin requires every position of g to lie within b (the city). When
// a position is outside but would be inside with longitude and latitude
// exchanged, the error says so: that is the usual cause.
func CheckWithin(g orb.Geometry, b Bounds) error {
	path, p, found := findPosition(g, geometryRoot, func(q orb.Point) bool {
		return !b.contains(q[0], q[1])
	})
	if !found {
		return nil
	}
	lon, lat := formatNum(p[0]), formatNum(p[1])
	if b.contains(p[1], p[0]) {
		return invalidAt(path, fmt.Sprintf(
			"point (%s, %s) is outside the city; latitude and longitude look swapped (did you mean %s, %s?)",
			lon, lat, lat, lon), p)
	}
	return invalidAt(path, fmt.Sprintf(
		"point (%s, %s) is outside the city (longitude %s to %s, latitude %s to %s)",
		lon, lat, formatNum(b.MinLon), formatNum(b.MaxLon), formatNum(b.MinLat), formatNum(b.MaxLat)), p)
}
