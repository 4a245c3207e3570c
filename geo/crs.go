package geo

import (
	"fmt"
	"math"
	"strings"
)

// CRS names a geographic coordinate system a client may send positions in.
type CRS string

const (
	CRSWGS84    CRS = "wgs84"    // GPS; EPSG:4326
	CRSCGCS2000 CRS = "cgcs2000" // China's national datum; EPSG:4490
	CRSGCJ02    CRS = "gcj02"    // Amap/Gaode, Tencent, Apple and Google maps in China
	CRSBD09     CRS = "bd09"     // Baidu maps
)

// ParseCRS parses a coordinate system name case-insensitively: "wgs84",
// "cgcs2000", "gcj02", "bd09", or the EPSG codes "EPSG:4326" (WGS-84) and
// "EPSG:4490" (CGCS2000).
func ParseCRS(s string) (CRS, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "wgs84", "epsg:4326":
		return CRSWGS84, nil
	case "cgcs2000", "epsg:4490":
		return CRSCGCS2000, nil
	case "gcj02":
		return CRSGCJ02, nil
	case "bd09":
		return CRSBD09, nil
	}
	return "", fmt.Errorf("parse crs %q: unknown coordinate system (want wgs84, cgcs2000, gcj02, bd09, EPSG:4326 or EPSG:4490)", s)
}

// ToWGS84 converts a position in crs to WGS-84. WGS-84 and CGCS2000 differ by
// a few centimetres, far below what this service resolves, so both pass
// through unchanged. A CRS value not produced by ParseCRS (or one of the
// constants) yields NaN, NaN, which coordinate validation then rejects.
func ToWGS84(crs CRS, lon, lat float64) (float64, float64) {
	switch crs {
	case CRSWGS84, CRSCGCS2000:
		return lon, lat
	case CRSGCJ02:
		return GCJ02ToWGS84(lon, lat)
	case CRSBD09:
		return BD09ToWGS84(lon, lat)
	}
	return math.NaN(), math.NaN()
}

// FromWGS84 converts a WGS-84 position to crs, for answers to clients
// that draw on a map in that system (AMap, Tencent and WeChat maps use
// GCJ-02, Baidu BD-09); the inverse of ToWGS84.
func FromWGS84(crs CRS, lon, lat float64) (float64, float64) {
	switch crs {
	case CRSWGS84, CRSCGCS2000:
		return lon, lat
	case CRSGCJ02:
		return WGS84ToGCJ02(lon, lat)
	case CRSBD09:
		return WGS84ToBD09(lon, lat)
	}
	return math.NaN(), math.NaN()
}
