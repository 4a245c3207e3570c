package coverage

import (
	"fmt"
)

// Result is a coverage answer (docs/coverage.md).
type Result struct {
	Facility     string   `json:"facility"`
	Kind         *string  `json:"kind"`
	Area         *string  `json:"area"`
	AreaName     *string  `json:"area_name"`
	MaxDistanceM *float64 `json:"max_distance_m"`
	MaxMinutes   *float64 `json:"max_minutes"`
	// Facilities is how many active facilities of the kind counted.
	Facilities int `json:"facilities"`
	// Share of what is covered: fractions, null when there is nothing to
	// share (no grid, no risk point...).
	Share     Share              `json:"share"`
	Totals    Totals             `json:"totals"`
	Townships []TownshipCoverage `json:"townships"`
	// Every uncovered grid; the uncovered points gravest first, up to the
	// limit (Truncated says when more were left out; *_total counts them all).
	UncoveredGrids              []UncoveredGrid  `json:"uncovered_grids"`
	UncoveredRiskPoints         []UncoveredPoint `json:"uncovered_risk_points"`
	UncoveredRiskPointsTotal    int              `json:"uncovered_risk_points_total"`
	UncoveredHazardSources      []UncoveredPoint `json:"uncovered_hazard_sources"`
	UncoveredHazardSourcesTotal int              `json:"uncovered_hazard_sources_total"`
	Truncated                   bool             `json:"truncated"`
	// Network describes the roads travel times were measured on.
	Network     *NetworkInfo `json:"network,omitempty"`
	DataVersion string       `json:"data_version"`
	Cached      bool         `json:"cached"`

	grids   []gridOutcome
	gridSet *gridSet
	fac     *facilitySet
	tile    *tileData // what the coverage tile layer draws
}

// Share is the covered fraction by grid count, by area, by population,
// risk-weighted (docs/domain.md weights of the risk points' levels), by risk
// point count and by hazard source count.
type Share struct {
	Grids         *float64 `json:"grids"`
	Area          *float64 `json:"area"`
	Population    *float64 `json:"population"`
	RiskWeighted  *float64 `json:"risk_weighted"`
	RiskPoints    *float64 `json:"risk_points"`
	HazardSources *float64 `json:"hazard_sources"`
}

// Totals are the counts the shares divide.
type Totals struct {
	Grids                int     `json:"grids"`
	CoveredGrids         int     `json:"covered_grids"`
	AreaKm2              float64 `json:"area_km2"`
	CoveredAreaKm2       float64 `json:"covered_area_km2"`
	Population           int64   `json:"population"`
	CoveredPopulation    int64   `json:"covered_population"`
	RiskPoints           int     `json:"risk_points"`
	CoveredRiskPoints    int     `json:"covered_risk_points"`
	RiskWeight           float64 `json:"risk_weight"`
	CoveredRiskWeight    float64 `json:"covered_risk_weight"`
	HazardSources        int     `json:"hazard_sources"`
	CoveredHazardSources int     `json:"covered_hazard_sources"`
}

// TownshipCoverage is the coverage of one township (of the part in scope).
type TownshipCoverage struct {
	Code  string `json:"code"`
	Name  string `json:"name"`
	Share Share  `json:"share"`
	Totals
}

// UncoveredGrid is a grid out of reach, with the facility nearest to it
// (by distance, or by travel time) and how far that is.
type UncoveredGrid struct {
	Code                string   `json:"code"`
	Name                string   `json:"name"`
	TownshipCode        string   `json:"township_code"`
	Population          int64    `json:"population"`
	NearestFacilityID   *int64   `json:"nearest_facility_id"`
	NearestFacilityName *string  `json:"nearest_facility_name"`
	DistanceM           *float64 `json:"distance_m"`
	Minutes             *float64 `json:"minutes"`
}

// UncoveredPoint is a risk point or hazard source out of reach.
type UncoveredPoint struct {
	ID                  int64    `json:"id"`
	Name                string   `json:"name"`
	RiskLevel           *int     `json:"risk_level,omitempty"`
	MajorHazardLevel    *int     `json:"major_hazard_level,omitempty"`
	GridCode            string   `json:"grid_code"`
	TownshipCode        string   `json:"township_code"`
	Lon                 float64  `json:"lon"`
	Lat                 float64  `json:"lat"`
	NearestFacilityID   *int64   `json:"nearest_facility_id"`
	NearestFacilityName *string  `json:"nearest_facility_name"`
	DistanceM           *float64 `json:"distance_m"`
	Minutes             *float64 `json:"minutes"`
}

// NetworkInfo describes the road network of a travel-time answer.
type NetworkInfo struct {
	Edges            int64   `json:"edges"`
	RoutableVertices int64   `json:"routable_vertices"`
	AccessSpeedKmh   float64 `json:"access_speed_kmh"`
}

type gridOutcome struct {
	i       int
	covered bool
	reach   reach
}

func newResult(q Query, a area, facilities int) *Result {
	r := &Result{Facility: q.Facility, Facilities: facilities, Townships: []TownshipCoverage{},
		UncoveredGrids: []UncoveredGrid{}, UncoveredRiskPoints: []UncoveredPoint{}, UncoveredHazardSources: []UncoveredPoint{}}
	if q.Kind != "" {
		k := q.Kind
		r.Kind = &k
	}
	if a.code != "" {
		c, n := a.code, a.name
		r.Area, r.AreaName = &c, &n
	}
	if q.byTime() {
		m := q.MaxMinutes
		r.MaxMinutes = &m
	} else {
		m := q.MaxDistanceM
		r.MaxDistanceM = &m
	}
	return r
}

func (t *Totals) addGrid(covered bool, pop int64, m2 float64) {
	t.Grids++
	t.Population += pop
	t.AreaKm2 += m2 / 1e6
	if covered {
		t.CoveredGrids++
		t.CoveredPopulation += pop
		t.CoveredAreaKm2 += m2 / 1e6
	}
}

func (t *Totals) addRiskPoint(covered bool, w float64) {
	t.RiskPoints++
	t.RiskWeight += w
	if covered {
		t.CoveredRiskPoints++
		t.CoveredRiskWeight += w
	}
}

func (t *Totals) addHazardSource(covered bool) {
	t.HazardSources++
	if covered {
		t.CoveredHazardSources++
	}
}

func fraction(part, whole float64) *float64 {
	if whole <= 0 {
		return nil
	}
	v := part / whole
	return &v
}

// share computes the fractions, then rounds the areas for display.
func (t *Totals) share() Share {
	defer func() { t.AreaKm2, t.CoveredAreaKm2 = round(t.AreaKm2, 4), round(t.CoveredAreaKm2, 4) }()
	return Share{
		Grids:         fraction(float64(t.CoveredGrids), float64(t.Grids)),
		Area:          fraction(t.CoveredAreaKm2, t.AreaKm2),
		Population:    fraction(float64(t.CoveredPopulation), float64(t.Population)),
		RiskWeighted:  fraction(t.CoveredRiskWeight, t.RiskWeight),
		RiskPoints:    fraction(float64(t.CoveredRiskPoints), float64(t.RiskPoints)),
		HazardSources: fraction(float64(t.CoveredHazardSources), float64(t.HazardSources)),
	}
}

// cacheKey identifies q among cached results.
func cacheKey(q Query) string {
	return fmt.Sprintf("%s|%s|%v|%v|%s|%d", q.Facility, q.Kind, q.MaxDistanceM, q.MaxMinutes, q.Area, q.Limit)
}
