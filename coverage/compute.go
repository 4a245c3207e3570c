package coverage

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"runtime"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"

	"riskmap"
)

// Query asks for the coverage of an area by a kind of facility within a
// distance or a travel time.
type Query struct {
	Facility     string  // stations or depots
	Kind         string  // for stations: office, rescue_team or platform ("" every kind)
	MaxDistanceM float64 // > 0: by straight-line distance
	MaxMinutes   float64 // > 0: by road travel time
	Area         string  // 12-digit code ("" the user's whole scope)
	Limit        int     // uncovered risk points and hazard sources listed (0: the default)
}

// Limits of the parameters.
const (
	MaxDistanceLimitM = 200000
	MaxMinutesLimit   = 600
)

// Check validates q, naming the parameter at fault.
func (q Query) Check() error {
	bad := func(field string, v any, format string, args ...any) error {
		e := riskmap.Errorf(riskmap.EINVALID, "parameter "+field+": "+format, args...)
		return e.WithDetails(riskmap.Detail{Field: field, Value: v, Message: e.Message})
	}
	switch q.Facility {
	case FacilityStations, FacilityDepots:
	default:
		return bad("facility", q.Facility, "want stations or depots, got %q", q.Facility)
	}
	if q.Kind != "" {
		if q.Facility != FacilityStations {
			return bad("kind", q.Kind, "only stations have kinds")
		}
		ok := false
		for _, k := range StationKinds {
			ok = ok || k == q.Kind
		}
		if !ok {
			return bad("kind", q.Kind, "want office, rescue_team or platform, got %q", q.Kind)
		}
	}
	switch {
	case q.MaxDistanceM > 0 && q.MaxMinutes > 0:
		return bad("max_minutes", q.MaxMinutes, "give max_distance_m or max_minutes, not both")
	case q.MaxDistanceM == 0 && q.MaxMinutes == 0:
		return bad("max_distance_m", nil, "give max_distance_m (metres, straight line) or max_minutes (road travel time)")
	case q.MaxDistanceM < 0 || q.MaxDistanceM > MaxDistanceLimitM || math.IsNaN(q.MaxDistanceM):
		return bad("max_distance_m", q.MaxDistanceM, "want metres in (0, %d], got %v", MaxDistanceLimitM, q.MaxDistanceM)
	case q.MaxMinutes < 0 || q.MaxMinutes > MaxMinutesLimit || math.IsNaN(q.MaxMinutes):
		return bad("max_minutes", q.MaxMinutes, "want minutes in (0, %d], got %v", MaxMinutesLimit, q.MaxMinutes)
	}
	if q.Limit < 0 || q.Limit > MaxListLimit {
		return bad("limit", q.Limit, "want 1 to %d uncovered points listed, got %d", MaxListLimit, q.Limit)
	}
	return nil
}

func (q Query) byTime() bool { return q.MaxMinutes > 0 }

// within is the inclusive test against the limit. The relative margin of
// 1e-9 (5 µm at 5 km) only absorbs floating-point rounding, so that a point
// computed to lie exactly at the limit is covered.
func within(v, limit float64) bool { return v <= limit*(1+1e-9) }

// reach is how a target is reached: by which facility (-1: none can reach
// it), at what straight-line distance to that facility, and, by road, in
// how many seconds (NaN when measuring distance).
type reach struct {
	facility int32
	metres   float64
	seconds  float64
}

// reacher computes reaches for positions: by distance or by road.
type reacher struct {
	fac     facilitySet
	index   *pointIndex
	net     *network
	field   *field
	s       *Service
	byTime  bool
	limitM  float64
	limitS  float64
	covered func(r reach) bool
}

func (s *Service) newReacher(ctx context.Context, tx pgx.Tx, q Query, fac facilitySet) (*reacher, error) {
	r := &reacher{fac: fac, s: s, byTime: q.byTime(), limitM: q.MaxDistanceM, limitS: q.MaxMinutes * 60}
	r.index = newPointIndex(fac.lon, fac.lat, fac.ids)
	if !r.byTime {
		r.covered = func(x reach) bool { return x.facility >= 0 && within(x.metres, r.limitM) }
		return r, nil
	}
	r.covered = func(x reach) bool { return x.facility >= 0 && within(x.seconds, r.limitS) }
	net, err := s.loadNetwork(ctx, tx)
	if err != nil {
		return nil, err
	}
	r.net = net
	starts := make([]access, fac.len())
	for i := range starts {
		starts[i] = s.snap(net, fac.lon[i], fac.lat[i])
	}
	if r.field, err = s.travelField(ctx, tx, net, starts); err != nil {
		return nil, err
	}
	return r, nil
}

// at is the reach of one position.
func (r *reacher) at(lon, lat float64) reach {
	if r.fac.len() == 0 {
		return reach{facility: -1, metres: math.NaN(), seconds: math.NaN()}
	}
	if !r.byTime {
		i, d := r.index.nearest(lon, lat)
		return reach{facility: int32(i), metres: d, seconds: math.NaN()}
	}
	a := r.s.snap(r.net, lon, lat)
	t, f := r.field.at(a.vertex)
	if f < 0 {
		return reach{facility: -1, metres: math.NaN(), seconds: math.NaN()}
	}
	return reach{facility: f, seconds: t + a.seconds, metres: Distance(lon, lat, r.fac.lon[f], r.fac.lat[f])}
}

// coveredAll says which points of a set are covered, on every core. By
// distance it only looks for a facility within the limit; the reaches (by
// road, computed anyway) are returned too, else nil.
func (r *reacher) coveredAll(p *points) ([]bool, []reach) {
	out := make([]bool, p.len())
	if r.byTime {
		rs := r.all(p)
		for i, x := range rs {
			out[i] = r.covered(x)
		}
		return out, rs
	}
	parallel(p.len(), func(lo, hi int) {
		for i := lo; i < hi; i++ {
			out[i] = r.index.anyWithin(p.lon[i], p.lat[i], r.limitM)
		}
	})
	return out, nil
}

// all computes the reaches of a point set, on every core.
func (r *reacher) all(p *points) []reach {
	out := make([]reach, p.len())
	parallel(p.len(), func(lo, hi int) {
		for i := lo; i < hi; i++ {
			out[i] = r.at(p.lon[i], p.lat[i])
		}
	})
	return out
}

// parallel splits [0, n) into chunks run on every core.
func parallel(n int, fn func(lo, hi int)) {
	workers := runtime.GOMAXPROCS(0)
	if n < 2048 || workers < 2 {
		fn(0, n)
		return
	}
	var wg sync.WaitGroup
	chunk := (n + workers - 1) / workers
	for lo := 0; lo < n; lo += chunk {
		wg.Add(1)
		go func(lo, hi int) {
			defer wg.Done()
			fn(lo, hi)
		}(lo, min(lo+chunk, n))
	}
	wg.Wait()
}

// Coverage computes the coverage of q for u. Results are cached until the
// data changes.
func (s *Service) Coverage(ctx context.Context, u *riskmap.User, q Query) (*Result, error) {
	if err := s.prepare(ctx, u, &q); err != nil {
		return nil, err
	}
	var res *Result
	err := s.snapshot(ctx, func(tx pgx.Tx) error {
		version, err := s.version(ctx, tx)
		if err != nil {
			return err
		}
		res, err = s.coverageIn(ctx, tx, u, q, version)
		return err
	})
	return res, err
}

// prepare checks u and q, fills q's defaults and, for travel time, brings
// the routing topology up to date (before the snapshot: it writes).
func (s *Service) prepare(ctx context.Context, u *riskmap.User, q *Query) error {
	if err := allowed(u); err != nil {
		return err
	}
	if err := q.Check(); err != nil {
		return err
	}
	if q.Limit == 0 {
		q.Limit = s.cfg.ListLimit
	}
	if q.byTime() {
		return s.freshTopology(ctx)
	}
	return nil
}

// coverageIn is the coverage of q for u in tx's snapshot, whose data
// version is version: from the cache, or computed and cached.
func (s *Service) coverageIn(ctx context.Context, tx pgx.Tx, u *riskmap.User, q Query, version string) (*Result, error) {
	a, err := s.resolveArea(ctx, tx, u, q.Area)
	if err != nil {
		return nil, err
	}
	key := "coverage|" + scopeKey(u.Scope()) + "|" + cacheKey(q)
	if v, ok := s.cache.get(key, version); ok {
		cached := *v.(*Result)
		cached.Cached = true
		return &cached, nil
	}
	// one computation per key and version however many ask at once (a map
	// asks for a dozen coverage tiles together). It runs on the first
	// asker's transaction, so that one waits for it even if its request
	// goes away (the others are waiting too); the wait is bounded.
	v, err, _ := s.flights.Do(key+"\x00"+version, func() (any, error) {
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), computeTimeout)
		defer cancel()
		res, err := s.compute(cctx, tx, u.Scope(), q, a)
		if err != nil {
			return nil, err
		}
		res.DataVersion = version
		s.cache.put(key, version, res)
		return res, nil
	})
	if err != nil {
		return nil, err
	}
	return v.(*Result), nil
}

// computeTimeout bounds one coverage computation.
const computeTimeout = 5 * time.Minute

func (s *Service) compute(ctx context.Context, tx pgx.Tx, sc riskmap.Scope, q Query, a area) (*Result, error) {
	var rps pointSet
	var grids gridSet
	riskPoints := s.aside(ctx, tx, func(tx pgx.Tx) (err error) {
		rps, err = s.loadPoints(ctx, tx, "risk_points", sc, a)
		return err
	})
	gridsLoaded := s.aside(ctx, tx, func(tx pgx.Tx) (err error) {
		grids, err = s.loadGrids(ctx, tx, sc, a)
		return err
	})
	fac, err := s.loadFacilities(ctx, tx, q.Facility, q.Kind)
	if err != nil {
		return nil, err
	}
	r, err := s.newReacher(ctx, tx, q, fac)
	if err != nil {
		return nil, err
	}
	hss, err := s.loadPoints(ctx, tx, "hazard_sources", sc, a)
	if err != nil {
		return nil, err
	}
	if err := gridsLoaded(); err != nil {
		return nil, err
	}
	if err := riskPoints(); err != nil {
		return nil, err
	}
	res := newResult(q, a, fac.len())
	if r.net != nil {
		res.Network = &NetworkInfo{Edges: r.net.edges, RoutableVertices: int64(r.net.vertices.len()), AccessSpeedKmh: s.cfg.AccessSpeedKmh}
	}
	gr := r.all(&grids.points)
	rc, rr := r.coveredAll(&rps.points)
	hc, hr := r.coveredAll(&hss.points)

	// townships by the 9 significant digits of their code: a number, so
	// that the hundreds of thousands of points look theirs up cheaply
	twp := map[int64]*TownshipCoverage{}
	township := func(key int64) *TownshipCoverage {
		t, ok := twp[key]
		if !ok {
			t = &TownshipCoverage{Code: fmt.Sprintf("%09d000", key)}
			twp[key] = t
		}
		return t
	}
	for i := range grids.ids {
		cov := r.covered(gr[i])
		for _, t := range []*Totals{&res.Totals, &township(townshipKey(grids.township[i])).Totals} {
			t.addGrid(cov, grids.pop[i], grids.areaM2[i])
		}
		res.grids = append(res.grids, gridOutcome{i: i, covered: cov, reach: gr[i]})
		if !cov {
			res.UncoveredGrids = append(res.UncoveredGrids, r.uncoveredGrid(&grids, i, gr[i]))
		}
	}
	var unRP, unHS []int
	for i := range rps.ids {
		cov := rc[i]
		w := s.weight(rps.level[i])
		for _, t := range []*Totals{&res.Totals, &township(rps.grid[i] / 1000000).Totals} {
			t.addRiskPoint(cov, w)
		}
		if !cov {
			unRP = append(unRP, i)
		}
	}
	for i := range hss.ids {
		cov := hc[i]
		for _, t := range []*Totals{&res.Totals, &township(hss.grid[i] / 1000000).Totals} {
			t.addHazardSource(cov)
		}
		if !cov {
			unHS = append(unHS, i)
		}
	}
	res.tile = newTileData(r, &grids, res.grids, &rps, unRP, rr, &hss, unHS, hr)
	res.UncoveredRiskPointsTotal = len(unRP)
	res.UncoveredHazardSourcesTotal = len(unHS)
	if len(unRP) > q.Limit || len(unHS) > q.Limit {
		res.Truncated = true
	}
	unRP, unHS = gravestFirst(&rps, unRP, q.Limit), gravestFirst(&hss, unHS, q.Limit)
	if res.UncoveredRiskPoints, err = s.uncoveredPoints(ctx, tx, r, "risk_points", &rps, unRP, rr); err != nil {
		return nil, err
	}
	if res.UncoveredHazardSources, err = s.uncoveredPoints(ctx, tx, r, "hazard_sources", &hss, unHS, hr); err != nil {
		return nil, err
	}

	keys := make([]int64, 0, len(twp))
	codes := make([]string, 0, len(twp))
	for k, t := range twp {
		keys = append(keys, k)
		codes = append(codes, t.Code)
	}
	slices.Sort(keys)
	names, err := s.townshipNames(ctx, tx, codes)
	if err != nil {
		return nil, err
	}
	for _, k := range keys {
		t := twp[k]
		t.Name = names[t.Code]
		t.Share = t.Totals.share()
		res.Townships = append(res.Townships, *t)
	}
	res.Share = res.Totals.share()
	res.gridSet = &grids
	res.fac = &r.fac
	return res, nil
}

// townshipKey is the number of a township code's 9 significant digits.
func townshipKey(code string) int64 {
	n, _ := strconv.ParseInt(code[:min(9, len(code))], 10, 64)
	return n
}

// townshipOfGrid is the 12-digit township code of a 15-digit grid code.
func townshipOfGrid(grid int64) string { return fmt.Sprintf("%09d000", grid/1000000) }

// gravestFirst returns up to limit of the points idx, the gravest level
// first (1 before 4; hazard sources without a level last), then by id. Only
// the levels that make the list are sorted.
func gravestFirst(p *pointSet, idx []int, limit int) []int {
	var byLevel [5][]int
	for _, i := range idx {
		l := int(p.level[i])
		if l < 1 || l > 4 {
			l = 0
		}
		byLevel[l] = append(byLevel[l], i)
	}
	out := make([]int, 0, min(limit, len(idx)))
	for _, l := range []int{1, 2, 3, 4, 0} {
		if len(out) == limit {
			break
		}
		b := byLevel[l]
		slices.SortFunc(b, func(x, y int) int { return cmp.Compare(p.ids[x], p.ids[y]) })
		out = append(out, b[:min(len(b), limit-len(out))]...)
	}
	return out
}

// weight is the docs/domain.md weight of a risk level.
func (s *Service) weight(level int16) float64 {
	if level < 1 || level > 4 {
		return 0
	}
	return s.cfg.Weights[level-1]
}

func (r *reacher) facilityRef(x reach) (*int64, *string) {
	if x.facility < 0 {
		return nil, nil
	}
	id, name := r.fac.ids[x.facility], r.fac.names[x.facility]
	return &id, &name
}

func (r *reacher) measures(x reach) (*float64, *float64) {
	var m, min *float64
	if x.facility >= 0 {
		v := round(x.metres, 1)
		m = &v
		if r.byTime {
			t := round(x.seconds/60, 2)
			min = &t
		}
	}
	return m, min
}

func round(v float64, places int) float64 {
	p := math.Pow(10, float64(places))
	return math.Round(v*p) / p
}

func (r *reacher) uncoveredGrid(g *gridSet, i int, x reach) UncoveredGrid {
	id, name := r.facilityRef(x)
	m, min := r.measures(x)
	return UncoveredGrid{Code: g.codes[i], Name: g.names[i], TownshipCode: g.township[i], Population: g.pop[i],
		NearestFacilityID: id, NearestFacilityName: name, DistanceM: m, Minutes: min}
}

func (s *Service) uncoveredPoints(ctx context.Context, tx pgx.Tx, r *reacher, table string, p *pointSet, idx []int, rs []reach) ([]UncoveredPoint, error) {
	ids := make([]int64, len(idx))
	for k, i := range idx {
		ids[k] = p.ids[i]
	}
	names, err := s.names(ctx, tx, table, ids)
	if err != nil {
		return nil, err
	}
	out := make([]UncoveredPoint, 0, len(idx))
	for _, i := range idx {
		x := r.reachOf(p, i, rs)
		fid, fname := r.facilityRef(x)
		m, min := r.measures(x)
		up := UncoveredPoint{ID: p.ids[i], Name: names[p.ids[i]], GridCode: gridCode(p.grid[i]), TownshipCode: townshipOfGrid(p.grid[i]),
			Lon: p.lon[i], Lat: p.lat[i], NearestFacilityID: fid, NearestFacilityName: fname, DistanceM: m, Minutes: min}
		if lv := int(p.level[i]); lv > 0 {
			if table == "risk_points" {
				up.RiskLevel = &lv
			} else {
				up.MajorHazardLevel = &lv
			}
		}
		out = append(out, up)
	}
	return out, nil
}
