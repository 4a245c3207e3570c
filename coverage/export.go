package coverage

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strconv"

	"riskmap/internal/collection"
	"riskmap/internal/sheet"
)

// WriteGeoJSON writes r as a GeoJSON FeatureCollection for a map: every grid
// of the answer (polygons, with covered, population and the nearest
// facility) and then the listed uncovered risk points and hazard sources
// (points); properties.layer tells them apart. The answer's facility,
// limits, shares and totals ride along as foreign members.
func (s *Service) WriteGeoJSON(ctx context.Context, w io.Writer, r *Result) error {
	geoms := map[int64]json.RawMessage{}
	if r.gridSet != nil && len(r.gridSet.ids) > 0 {
		rows, err := s.reads.Query(ctx, "SELECT id, ST_AsGeoJSON(geom, 7) FROM grids WHERE id = ANY($1)", r.gridSet.ids)
		if err != nil {
			return fmt.Errorf("coverage: grid geometries: %w", err)
		}
		for rows.Next() {
			var id int64
			var g string
			if err := rows.Scan(&id, &g); err != nil {
				rows.Close()
				return err
			}
			geoms[id] = json.RawMessage(g)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
	}
	bw := bufio.NewWriter(w)
	// the foreign members first, then the features
	fc := collection.New(bw, collection.Options{Members: map[string]any{
		"facility": r.Facility, "kind": r.Kind, "area": r.Area, "max_distance_m": r.MaxDistanceM, "max_minutes": r.MaxMinutes,
		"facilities": r.Facilities, "share": r.Share, "totals": r.Totals,
	}})
	feature := func(id any, geom json.RawMessage, props map[string]any) error {
		b, err := json.Marshal(map[string]any{"type": "Feature", "id": id, "geometry": geom, "properties": props})
		if err != nil {
			return err
		}
		return fc.Add(b)
	}
	for _, o := range r.grids {
		g := r.gridSet
		i := o.i
		props := map[string]any{"layer": "grids", "code": g.codes[i], "name": g.names[i], "township_code": g.township[i],
			"population": g.pop[i], "covered": o.covered}
		r.addReach(props, o.reach)
		if err := feature(g.codes[i], geoms[g.ids[i]], props); err != nil {
			return err
		}
	}
	for _, set := range []struct {
		layer string
		pts   []UncoveredPoint
	}{{"risk_points", r.UncoveredRiskPoints}, {"hazard_sources", r.UncoveredHazardSources}} {
		for _, p := range set.pts {
			props := map[string]any{"layer": set.layer, "id": p.ID, "name": p.Name, "grid_code": p.GridCode,
				"township_code": p.TownshipCode, "covered": false, "nearest_facility_id": p.NearestFacilityID,
				"nearest_facility_name": p.NearestFacilityName, "distance_m": p.DistanceM, "minutes": p.Minutes}
			if p.RiskLevel != nil {
				props["risk_level"] = *p.RiskLevel
			}
			if p.MajorHazardLevel != nil {
				props["major_hazard_level"] = *p.MajorHazardLevel
			}
			geom := json.RawMessage(fmt.Sprintf(`{"type":"Point","coordinates":[%s,%s]}`,
				strconv.FormatFloat(p.Lon, 'f', -1, 64), strconv.FormatFloat(p.Lat, 'f', -1, 64)))
			if err := feature(set.layer+"."+strconv.FormatInt(p.ID, 10), geom, props); err != nil {
				return err
			}
		}
	}
	if err := fc.Close(nil); err != nil {
		return err
	}
	return bw.Flush()
}

// addReach sets the nearest facility and its distance (and time) of a grid.
func (r *Result) addReach(props map[string]any, x reach) {
	props["nearest_facility_id"], props["nearest_facility_name"] = nil, nil
	props["distance_m"], props["minutes"] = nil, nil
	if x.facility < 0 || r.fac == nil {
		return
	}
	props["nearest_facility_id"] = r.fac.ids[x.facility]
	props["nearest_facility_name"] = r.fac.names[x.facility]
	props["distance_m"] = round(x.metres, 1)
	if r.MaxMinutes != nil {
		props["minutes"] = round(x.seconds/60, 2)
	}
}

// csvColumns are the columns of the CSV export.
var csvColumns = []string{"layer", "code", "name", "township_code", "grid_code", "risk_level", "population", "covered",
	"nearest_facility_id", "nearest_facility_name", "distance_m", "minutes"}

// WriteCSV writes r as CSV (UTF-8 with a byte-order mark, for Excel): one
// row per grid of the answer, covered or not, then the listed uncovered
// risk points and hazard sources; the API's field names as header.
func (r *Result) WriteCSV(w io.Writer) error {
	cw, err := sheet.NewCSV(w)
	if err != nil {
		return err
	}
	if err := cw.Write(csvColumns); err != nil {
		return err
	}
	opt := func(v any) string {
		switch x := v.(type) {
		case nil:
			return ""
		case *int64:
			if x == nil {
				return ""
			}
			return strconv.FormatInt(*x, 10)
		case *string:
			if x == nil {
				return ""
			}
			return *x
		case *float64:
			if x == nil {
				return ""
			}
			return strconv.FormatFloat(*x, 'f', -1, 64)
		case *int:
			if x == nil {
				return ""
			}
			return strconv.Itoa(*x)
		}
		return fmt.Sprint(v)
	}
	for _, o := range r.grids {
		g, i := r.gridSet, o.i
		props := map[string]any{}
		r.addReach(props, o.reach)
		var fid *int64
		var fname *string
		var dist, mins *float64
		if v, ok := props["nearest_facility_id"].(int64); ok {
			fid = &v
		}
		if v, ok := props["nearest_facility_name"].(string); ok {
			fname = &v
		}
		if v, ok := props["distance_m"].(float64); ok {
			dist = &v
		}
		if v, ok := props["minutes"].(float64); ok {
			mins = &v
		}
		rec := []string{"grids", g.codes[i], g.names[i], g.township[i], g.codes[i], "", strconv.FormatInt(g.pop[i], 10),
			strconv.FormatBool(o.covered), opt(fid), opt(fname), opt(dist), opt(mins)}
		if err := cw.Write(rec); err != nil {
			return err
		}
	}
	for _, set := range []struct {
		layer string
		pts   []UncoveredPoint
	}{{"risk_points", r.UncoveredRiskPoints}, {"hazard_sources", r.UncoveredHazardSources}} {
		for _, p := range set.pts {
			lvl := p.RiskLevel
			if lvl == nil {
				lvl = p.MajorHazardLevel
			}
			rec := []string{set.layer, strconv.FormatInt(p.ID, 10), p.Name, p.TownshipCode, p.GridCode, opt(lvl), "",
				"false", opt(p.NearestFacilityID), opt(p.NearestFacilityName), opt(p.DistanceM), opt(p.Minutes)}
			if err := cw.Write(rec); err != nil {
				return err
			}
		}
	}
	return cw.Flush()
}
