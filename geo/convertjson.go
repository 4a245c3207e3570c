package geo

import (
	"encoding/json"
	"fmt"
)

// ConvertGeoJSON returns a GeoJSON geometry with every position passed
// through f (a GeometryCollection's members too); anything else in it is
// kept. It is how answers leave in another coordinate system.
func ConvertGeoJSON(raw json.RawMessage, f func(lon, lat float64) (float64, float64)) (json.RawMessage, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return raw, nil
	}
	var g map[string]json.RawMessage
	if err := json.Unmarshal(raw, &g); err != nil {
		return nil, fmt.Errorf("geometry: %w", err)
	}
	if members, ok := g["geometries"]; ok {
		var gs []json.RawMessage
		if err := json.Unmarshal(members, &gs); err != nil {
			return nil, fmt.Errorf("geometries: %w", err)
		}
		for i := range gs {
			c, err := ConvertGeoJSON(gs[i], f)
			if err != nil {
				return nil, err
			}
			gs[i] = c
		}
		b, _ := json.Marshal(gs)
		g["geometries"] = b
	}
	if coords, ok := g["coordinates"]; ok {
		var c any
		if err := json.Unmarshal(coords, &c); err != nil {
			return nil, fmt.Errorf("coordinates: %w", err)
		}
		c, err := convertPositions(c, f)
		if err != nil {
			return nil, err
		}
		b, _ := json.Marshal(c)
		g["coordinates"] = b
	}
	return json.Marshal(g)
}

// convertPositions walks nested coordinate arrays down to positions.
func convertPositions(c any, f func(lon, lat float64) (float64, float64)) (any, error) {
	arr, ok := c.([]any)
	if !ok {
		return nil, fmt.Errorf("coordinates: not an array")
	}
	if len(arr) >= 2 {
		if lon, ok := arr[0].(float64); ok {
			lat, ok := arr[1].(float64)
			if !ok {
				return nil, fmt.Errorf("coordinates: a position of non-numbers")
			}
			out := append([]any{}, arr...)
			out[0], out[1] = f(lon, lat)
			return out, nil
		}
	}
	for i := range arr {
		x, err := convertPositions(arr[i], f)
		if err != nil {
			return nil, err
		}
		arr[i] = x
	}
	return arr, nil
}
