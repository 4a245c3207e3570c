package geo

import (
	"strconv"

	"github.com/paulmach/orb"
)

// User geometry is checked in layers before it reaches the database:
// ParseGeometry (well-formed GeoJSON with sane coordinates), CheckType (the
// layer's geometry type), CheckWithin (inside the city). Each rejection is an
// *InvalidError naming the offending member so API clients can point at it;
// topology (self-intersection and so on) is left to PostGIS's
// ST_IsValidReason.

// InvalidError reports why a geometry was rejected.
type InvalidError struct {
	// Field is the JSON path of the offending member, rooted at "geometry",
	// e.g. "geometry.coordinates[0][3]". Callers embedding the geometry
	// elsewhere may prefix it (say "features[2].").
	Field string
	// Reason says what is wrong, in words fit for an API client.
	Reason string
	// Coord is the offending position, when there is one.
	Coord *orb.Point
}

func (e *InvalidError) Error() string {
	return e.Field + ": " + e.Reason
}

// geometryRoot is the root of InvalidError.Field paths.
const geometryRoot = "geometry"

func invalid(field, reason string) *InvalidError {
	return &InvalidError{Field: field, Reason: reason}
}

func invalidAt(field, reason string, p orb.Point) *InvalidError {
	return &InvalidError{Field: field, Reason: reason, Coord: &p}
}

// formatNum prints a coordinate the way a person would type it.
func formatNum(v float64) string {
	return strconv.FormatFloat(v, 'f', -1, 64)
}
