package coverage

import (
	"math"

	"github.com/tidwall/rtree"
)

// EarthRadius is the radius of the sphere every coverage distance is
// measured on: the WGS-84 mean radius R1 = (2a + b) / 3, the sphere PostGIS
// uses for geography with use_spheroid = false. Great-circle distances on it
// are within 0.5 % of the ellipsoid's, far finer than what a response
// radius means, and simple enough to check by hand.
const EarthRadius = 6371008.7714150598

const rad = math.Pi / 180

// Distance is the great-circle distance in metres between two lon/lat
// points, computed as PostGIS's sphere_distance does (the atan2 form, exact
// for short and antipodal distances alike).
func Distance(lon1, lat1, lon2, lat2 float64) float64 {
	φ1, φ2 := lat1*rad, lat2*rad
	dλ := (lon2 - lon1) * rad
	sinφ1, cosφ1 := math.Sincos(φ1)
	sinφ2, cosφ2 := math.Sincos(φ2)
	sindλ, cosdλ := math.Sincos(dλ)
	a1 := cosφ2 * sindλ
	a2 := cosφ1*sinφ2 - sinφ1*cosφ2*cosdλ
	a := math.Sqrt(a1*a1 + a2*a2)
	b := sinφ1*sinφ2 + cosφ1*cosφ2*cosdλ
	return math.Atan2(a, b) * EarthRadius
}

// A pointIndex finds the points nearest a position exactly (by Distance).
// It searches an R-tree over lon/lat with boxes that surely hold every point
// within a radius (searchBox), doubling the radius until the nearest point
// found lies within it: then no point outside the box can be nearer.
type pointIndex struct {
	tr  rtree.RTreeG[int32]
	lon []float64
	lat []float64
	ids []int64 // tie-break: the smaller id wins
	r0  float64 // first radius tried: about the spacing of the points
}

func newPointIndex(lon, lat []float64, ids []int64) *pointIndex {
	ix := &pointIndex{lon: lon, lat: lat, ids: ids}
	minLon, minLat, maxLon, maxLat := math.Inf(1), math.Inf(1), math.Inf(-1), math.Inf(-1)
	for i := range lon {
		p := [2]float64{lon[i], lat[i]}
		ix.tr.Insert(p, p, int32(i))
		minLon, maxLon = math.Min(minLon, lon[i]), math.Max(maxLon, lon[i])
		minLat, maxLat = math.Min(minLat, lat[i]), math.Max(maxLat, lat[i])
	}
	ix.r0 = 100
	if n := len(lon); n > 0 {
		w := (maxLon - minLon) * rad * EarthRadius * math.Cos((minLat+maxLat)/2*rad)
		h := (maxLat - minLat) * rad * EarthRadius
		ix.r0 = math.Max(math.Sqrt(w*h/float64(n)), 100)
	}
	return ix
}

func (ix *pointIndex) len() int { return len(ix.lon) }

// nearest returns the index of the point nearest (lon, lat) and its
// distance; -1 when the index is empty. Of equally near points the one with
// the smaller id wins, so answers do not depend on insertion order.
func (ix *pointIndex) nearest(lon, lat float64) (int, float64) {
	if len(ix.lon) == 0 {
		return -1, math.Inf(1)
	}
	for r := ix.r0; ; r *= 2 {
		best, bestD := -1, math.Inf(1)
		whole := r >= math.Pi*EarthRadius
		visit := func(_, _ [2]float64, i int32) bool {
			d := Distance(lon, lat, ix.lon[i], ix.lat[i])
			if d < bestD || (d == bestD && ix.ids[i] < ix.ids[best]) {
				best, bestD = int(i), d
			}
			return true
		}
		if whole {
			ix.tr.Scan(func(min, max [2]float64, i int32) bool { return visit(min, max, i) })
			return best, bestD
		}
		minB, maxB := searchBox(lon, lat, r)
		ix.tr.Search(minB, maxB, visit)
		if best >= 0 && bestD <= r {
			return best, bestD
		}
	}
}

// anyWithin reports whether some point lies within maxM metres (inclusive,
// as within() rounds) of (lon, lat).
func (ix *pointIndex) anyWithin(lon, lat, maxM float64) bool {
	found := false
	minB, maxB := searchBox(lon, lat, maxM*(1+1e-9))
	ix.tr.Search(minB, maxB, func(_, _ [2]float64, i int32) bool {
		found = within(Distance(lon, lat, ix.lon[i], ix.lat[i]), maxM)
		return !found
	})
	return found
}

// within calls fn for every point within maxM metres (inclusive, as
// within() rounds) of (lon, lat), until fn returns false.
func (ix *pointIndex) within(lon, lat, maxM float64, fn func(i int, d float64) bool) {
	minB, maxB := searchBox(lon, lat, maxM*(1+1e-9))
	ix.tr.Search(minB, maxB, func(_, _ [2]float64, i int32) bool {
		d := Distance(lon, lat, ix.lon[i], ix.lat[i])
		if within(d, maxM) {
			return fn(int(i), d)
		}
		return true
	})
}

// searchBox is a lon/lat box holding every point within m metres of (lon,
// lat): latitude ± m/R, longitude ± asin(sin(m/R) / cos φ), the widest a
// small circle gets, with a margin for rounding. Near a pole, or across the
// antimeridian, it takes every longitude.
func searchBox(lon, lat, m float64) ([2]float64, [2]float64) {
	δ := m / EarthRadius
	dφ := δ/rad*(1+1e-9) + 1e-9
	minLat, maxLat := math.Max(lat-dφ, -90), math.Min(lat+dφ, 90)
	c := math.Cos(lat * rad)
	s := math.Sin(math.Min(δ, math.Pi/2))
	if minLat <= -90 || maxLat >= 90 || s >= c {
		return [2]float64{-180, minLat}, [2]float64{180, maxLat}
	}
	dλ := math.Asin(s/c)/rad*(1+1e-9) + 1e-9
	if lon-dλ < -180 || lon+dλ > 180 {
		return [2]float64{-180, minLat}, [2]float64{180, maxLat}
	}
	return [2]float64{lon - dλ, minLat}, [2]float64{lon + dλ, maxLat}
}
