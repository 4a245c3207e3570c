package api

import (
	"encoding/json"
	"fmt"

	"github.com/gin-gonic/gin"

	"riskmap/geo"
)

// Answers in the coordinate systems of Chinese web maps: AMap, Tencent
// Maps and WeChat draw GCJ-02, Baidu BD-09, and a WGS84 point lands about
// 500 m off on them. crs=gcj02 (or bd09) on a GeoJSON answer (layer lists
// and features, cases, exports) converts every position on the way out,
// and the answer says so: "coordinate_system" beside "type", and the
// X-Coordinate-System header. Tiles stay WGS84/Web Mercator.

// converting reports whether positions must be converted for crs.
func converting(crs geo.CRS) bool { return crs == geo.CRSGCJ02 || crs == geo.CRSBD09 }

// setCoordinateSystem names the answer's system in a header.
func setCoordinateSystem(c *gin.Context, crs geo.CRS) {
	if converting(crs) {
		c.Header("X-Coordinate-System", string(crs))
	}
}

// featureIn is a feature's JSON with its geometry (and, for a case, its
// events' locations) in crs, and "coordinate_system" naming it.
func featureIn(b []byte, crs geo.CRS) ([]byte, error) {
	if !converting(crs) {
		return b, nil
	}
	to := func(lon, lat float64) (float64, float64) { return geo.FromWGS84(crs, lon, lat) }
	var f map[string]json.RawMessage
	if err := json.Unmarshal(b, &f); err != nil {
		return nil, fmt.Errorf("convert feature: %w", err)
	}
	g, err := geo.ConvertGeoJSON(f["geometry"], to)
	if err != nil {
		return nil, err
	}
	f["geometry"] = g
	if evs, ok := f["events"]; ok {
		var events []map[string]json.RawMessage
		if err := json.Unmarshal(evs, &events); err == nil {
			for _, ev := range events {
				if ev["location"], err = geo.ConvertGeoJSON(ev["location"], to); err != nil {
					return nil, err
				}
			}
			f["events"], _ = json.Marshal(events)
		}
	}
	f["coordinate_system"], _ = json.Marshal(crs)
	return json.Marshal(f)
}

// crsMembers are the FeatureCollection members naming the system (nil
// for WGS84).
func crsMembers(crs geo.CRS) map[string]string {
	if !converting(crs) {
		return nil
	}
	return map[string]string{"coordinate_system": string(crs)}
}
