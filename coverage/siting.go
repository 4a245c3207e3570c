package coverage

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"

	"riskmap"
	"riskmap/roads"
)

// Candidate sources for siting.
const (
	CandidateGrids    = "grids"    // the representative point of every grid in scope
	CandidateVillages = "villages" // a point inside every village in scope
	CandidatePoints   = "points"   // the positions given
)

// SitingQuery asks where K new facilities would cover the most.
type SitingQuery struct {
	Query             // facility, kind, limit (distance or minutes), area
	K          int    // how many new sites
	Candidates string // grids (default), villages or points
	Points     [][2]float64
}

// Limits of siting.
const (
	MaxSites           = 50
	MaxCandidatePoints = 500
)

// Siting is the answer: the sites chosen one by one, each where it adds
// the most covered demand to what the existing facilities (kept as they
// are) and the sites before it cover.
//
// Demand is risk-weighted population: each grid's population times the
// docs/domain.md weight of the gravest active risk point in it (8, 4, 2, 1; 1
// for a grid without one), so people living next to a major risk count
// eight times. A grid counts as covered as in coverage (its representative
// point within reach).
type Siting struct {
	Facility       string       `json:"facility"`
	Kind           *string      `json:"kind"`
	Area           *string      `json:"area"`
	MaxDistanceM   *float64     `json:"max_distance_m"`
	MaxMinutes     *float64     `json:"max_minutes"`
	K              int          `json:"k"`
	Candidates     string       `json:"candidates"`
	CandidateCount int          `json:"candidate_count"`
	Demand         string       `json:"demand"`
	Before         SitingTotals `json:"before"`
	Sites          []Site       `json:"sites"`
	After          SitingTotals `json:"after"`
	// Note says why fewer than K sites were proposed, if so.
	Note        string `json:"note,omitempty"`
	DataVersion string `json:"data_version"`
	Cached      bool   `json:"cached"`
}

// SitingTotals is the covered demand at a stage.
type SitingTotals struct {
	Demand            float64  `json:"demand"`
	CoveredDemand     float64  `json:"covered_demand"`
	Share             *float64 `json:"share"`
	Population        int64    `json:"population"`
	CoveredPopulation int64    `json:"covered_population"`
	Grids             int      `json:"grids"`
	CoveredGrids      int      `json:"covered_grids"`
}

// Site is one proposed site and what it adds.
type Site struct {
	Rank         int     `json:"rank"`
	Lon          float64 `json:"lon"`
	Lat          float64 `json:"lat"`
	GridCode     *string `json:"grid_code"`
	GridName     *string `json:"grid_name"`
	TownshipCode *string `json:"township_code"`
	// Gain is the risk-weighted population it newly covers.
	Gain          float64  `json:"gain"`
	NewGrids      int      `json:"new_grids"`
	NewPopulation int64    `json:"new_population"`
	ShareAfter    *float64 `json:"share_after"`
	NewGridCodes  []string `json:"new_grid_codes"`
}

// Check validates the siting parameters.
func (q SitingQuery) Check() error {
	if err := q.Query.Check(); err != nil {
		return err
	}
	bad := func(field string, v any, format string, args ...any) error {
		e := riskmap.Errorf(riskmap.EINVALID, "parameter "+field+": "+format, args...)
		return e.WithDetails(riskmap.Detail{Field: field, Value: v, Message: e.Message})
	}
	if q.K < 1 || q.K > MaxSites {
		return bad("k", q.K, "want 1 to %d new sites, got %d", MaxSites, q.K)
	}
	switch q.Candidates {
	case CandidateGrids, CandidateVillages:
		if len(q.Points) > 0 {
			return bad("points", nil, "points are candidates only with candidates=points")
		}
	case CandidatePoints:
		if len(q.Points) == 0 || len(q.Points) > MaxCandidatePoints {
			return bad("points", len(q.Points), "want 1 to %d candidate positions lon,lat;lon,lat", MaxCandidatePoints)
		}
		for i, p := range q.Points {
			if !(p[0] >= -180 && p[0] <= 180 && p[1] >= -90 && p[1] <= 90) {
				return bad("points", fmt.Sprintf("%v,%v", p[0], p[1]), "position %d (%v, %v) is not a lon/lat coordinate", i+1, p[0], p[1])
			}
		}
	default:
		return bad("candidates", q.Candidates, "want grids, villages or points, got %q", q.Candidates)
	}
	return nil
}

// ParsePoints reads "lon,lat;lon,lat".
func ParsePoints(s string) ([][2]float64, error) {
	var out [][2]float64
	for i, part := range strings.Split(s, ";") {
		if strings.TrimSpace(part) == "" {
			continue
		}
		xy := strings.Split(part, ",")
		if len(xy) != 2 {
			return nil, riskmap.Errorf(riskmap.EINVALID, "parameter points: position %d %q: want lon,lat", i+1, part)
		}
		lon, err1 := strconv.ParseFloat(strings.TrimSpace(xy[0]), 64)
		lat, err2 := strconv.ParseFloat(strings.TrimSpace(xy[1]), 64)
		if err1 != nil || err2 != nil || math.IsNaN(lon+lat) || math.IsInf(lon+lat, 0) {
			return nil, riskmap.Errorf(riskmap.EINVALID, "parameter points: position %d %q: want two finite numbers lon,lat", i+1, part)
		}
		out = append(out, [2]float64{lon, lat})
	}
	return out, nil
}

// Siting proposes K sites by greedy maximal covering. Results are cached
// until the data changes.
func (s *Service) Siting(ctx context.Context, u *riskmap.User, q SitingQuery) (*Siting, error) {
	if err := allowed(u); err != nil {
		return nil, err
	}
	if q.Candidates == "" {
		q.Candidates = CandidateGrids
	}
	if err := q.Check(); err != nil {
		return nil, err
	}
	if q.byTime() {
		if err := s.freshTopology(ctx); err != nil {
			return nil, err
		}
	}
	var res *Siting
	err := s.snapshot(ctx, func(tx pgx.Tx) error {
		a, err := s.resolveArea(ctx, tx, u, q.Area)
		if err != nil {
			return err
		}
		version, err := s.version(ctx, tx)
		if err != nil {
			return err
		}
		key := fmt.Sprintf("siting|%s|%s|%d|%s|%v", scopeKey(u.Scope()), cacheKey(q.Query), q.K, q.Candidates, q.Points)
		if v, ok := s.cache.get(key, version); ok {
			cached := *v.(*Siting)
			cached.Cached = true
			res = &cached
			return nil
		}
		if res, err = s.siting(ctx, tx, u.Scope(), q, a); err != nil {
			return err
		}
		res.DataVersion = version
		s.cache.put(key, version, res)
		return nil
	})
	return res, err
}

func (s *Service) siting(ctx context.Context, tx pgx.Tx, sc riskmap.Scope, q SitingQuery, a area) (*Siting, error) {
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
	r, err := s.newReacher(ctx, tx, q.Query, fac)
	if err != nil {
		return nil, err
	}
	if err := gridsLoaded(); err != nil {
		return nil, err
	}
	if err := riskPoints(); err != nil {
		return nil, err
	}
	// demand: population × the weight of the grid's gravest risk level
	gravest := map[string]int16{}
	for i, n := range rps.grid {
		g := gridCode(n)
		if l := rps.level[i]; l >= 1 && l <= 4 && (gravest[g] == 0 || l < gravest[g]) {
			gravest[g] = l
		}
	}
	demand := make([]float64, grids.len())
	for i, code := range grids.codes {
		w := 1.0
		if l := gravest[code]; l > 0 {
			w = s.weight(l)
		}
		demand[i] = float64(grids.pop[i]) * w
	}
	covered := make([]bool, grids.len())
	for i, x := range r.all(&grids.points) {
		covered[i] = r.covered(x)
	}

	cands, err := s.candidates(ctx, tx, sc, a, q, &grids)
	if err != nil {
		return nil, err
	}
	cover, err := s.coverSets(ctx, tx, r, q.Query, &grids, covered, cands)
	if err != nil {
		return nil, err
	}

	res := &Siting{Facility: q.Facility, K: q.K, Candidates: q.Candidates, CandidateCount: cands.len(), Sites: []Site{},
		Demand: "population × weight of the gravest active risk level in the grid (" + weightText(s.cfg.Weights) + "; 1 without a risk point)"}
	head := newResult(q.Query, a, 0)
	res.Kind, res.Area, res.MaxDistanceM, res.MaxMinutes = head.Kind, head.Area, head.MaxDistanceM, head.MaxMinutes
	totals := func() SitingTotals {
		var t SitingTotals
		for i := range demand {
			t.Demand += demand[i]
			t.Population += grids.pop[i]
			t.Grids++
			if covered[i] {
				t.CoveredDemand += demand[i]
				t.CoveredPopulation += grids.pop[i]
				t.CoveredGrids++
			}
		}
		t.Share = fraction(t.CoveredDemand, t.Demand)
		return t
	}
	res.Before = totals()
	used := make([]bool, cands.len())
	for rank := 1; rank <= q.K; rank++ {
		best, bestGain := -1, 0.0
		for c, set := range cover {
			if used[c] {
				continue
			}
			gain := 0.0
			for _, g := range set {
				if !covered[g] {
					gain += demand[g]
				}
			}
			// ties: the earlier candidate (grid code order) wins
			if gain > bestGain {
				best, bestGain = c, gain
			}
		}
		if best < 0 {
			res.Note = fmt.Sprintf("only %d of %d sites proposed: no other candidate covers demand that is not covered yet", rank-1, q.K)
			break
		}
		used[best] = true
		site := Site{Rank: rank, Lon: cands.lon[best], Lat: cands.lat[best], Gain: bestGain, NewGridCodes: []string{}}
		for _, g := range cover[best] {
			if !covered[g] {
				covered[g] = true
				site.NewGrids++
				site.NewPopulation += grids.pop[g]
				site.NewGridCodes = append(site.NewGridCodes, grids.codes[g])
			}
		}
		site.ShareAfter = totals().Share
		res.Sites = append(res.Sites, site)
	}
	res.After = totals()
	if err := s.placeSites(ctx, tx, res.Sites); err != nil {
		return nil, err
	}
	return res, nil
}

func weightText(w [4]float64) string {
	parts := make([]string, 4)
	for i, v := range w {
		parts[i] = strconv.FormatFloat(v, 'f', -1, 64)
	}
	return "levels 1–4: " + strings.Join(parts, ", ")
}

// candidates returns the candidate positions, in a fixed order.
func (s *Service) candidates(ctx context.Context, tx pgx.Tx, sc riskmap.Scope, a area, q SitingQuery, grids *gridSet) (*points, error) {
	var p points
	switch q.Candidates {
	case CandidateGrids:
		return &grids.points, nil
	case CandidatePoints:
		for i, xy := range q.Points {
			p.add(int64(i+1), xy[0], xy[1])
		}
		return &p, nil
	}
	cond, args := sc.AreaSQL("t.code", 2)
	rows, err := tx.Query(ctx, `SELECT t.id, ST_X(p.pt), ST_Y(p.pt)
	    FROM areas t CROSS JOIN LATERAL (SELECT ST_PointOnSurface(t.geom) AS pt) p
	   WHERE t.level = 'village' AND t.code LIKE $1 AND `+cond+` ORDER BY t.code`, append([]any{a.prefix}, args...)...)
	if err != nil {
		return nil, fmt.Errorf("coverage: candidate villages: %w", err)
	}
	var id int64
	var lon, lat float64
	if _, err := pgx.ForEachRow(rows, []any{&id, &lon, &lat}, func() error { p.add(id, lon, lat); return nil }); err != nil {
		return nil, fmt.Errorf("coverage: candidate villages: %w", err)
	}
	return &p, nil
}

// coverSets lists, per candidate, the grids not yet covered that a facility
// there would reach.
func (s *Service) coverSets(ctx context.Context, tx pgx.Tx, r *reacher, q Query, grids *gridSet, covered []bool, cands *points) ([][]int, error) {
	out := make([][]int, cands.len())
	var open []int // grids not covered yet: the only ones a site can add
	for i := range covered {
		if !covered[i] {
			open = append(open, i)
		}
	}
	if len(open) == 0 {
		return out, nil
	}
	if !q.byTime() {
		var p points
		for _, i := range open {
			p.add(grids.ids[i], grids.lon[i], grids.lat[i])
		}
		ix := newPointIndex(p.lon, p.lat, p.ids)
		parallel(cands.len(), func(lo, hi int) {
			for c := lo; c < hi; c++ {
				ix.within(cands.lon[c], cands.lat[c], q.MaxDistanceM, func(k int, _ float64) bool {
					out[c] = append(out[c], open[k])
					return true
				})
			}
		})
		return out, nil
	}
	// by road: one bounded Dijkstra per distinct candidate junction
	limit := q.MaxMinutes * 60
	candAcc := make([]access, cands.len())
	startSet := map[int64]bool{}
	for c := range candAcc {
		candAcc[c] = s.snap(r.net, cands.lon[c], cands.lat[c])
		if within(candAcc[c].seconds, limit) {
			startSet[candAcc[c].vertex] = true
		}
	}
	gridAcc := map[int64][]int{} // junction → open grids joining there
	gridSec := make([]float64, grids.len())
	targets := []int64{}
	for _, i := range open {
		a := s.snap(r.net, grids.lon[i], grids.lat[i])
		gridSec[i] = a.seconds
		if _, ok := gridAcc[a.vertex]; !ok {
			targets = append(targets, a.vertex)
		}
		gridAcc[a.vertex] = append(gridAcc[a.vertex], i)
	}
	starts := make([]int64, 0, len(startSet))
	for v := range startSet {
		starts = append(starts, v)
	}
	if len(starts) == 0 {
		return out, nil
	}
	times := map[[2]int64]float64{} // (start junction, target junction) → seconds
	err := func() error {
		rows, err := tx.Query(ctx, `SELECT d.from_v, d.node, d.agg_cost
		    FROM pgr_drivingDistance('SELECT id, source, target, cost, reverse_cost FROM road_edges', $1::bigint[], $2::float8, true, false) d
		   WHERE d.node = ANY($3::bigint[])`, starts, limit*(1+1e-9), targets)
		if err != nil {
			return err
		}
		var from, node int64
		var cost float64
		_, err = pgx.ForEachRow(rows, []any{&from, &node, &cost}, func() error {
			times[[2]int64{from, node}] = cost
			return nil
		})
		return err
	}()
	if err != nil {
		return nil, fmt.Errorf("coverage: siting travel times: %w", roads.NoPgRouting(err))
	}
	byStart := map[int64][][2]float64{} // start → (target, seconds)
	for k, t := range times {
		byStart[k[0]] = append(byStart[k[0]], [2]float64{float64(k[1]), t})
	}
	for c, ca := range candAcc {
		for _, vt := range byStart[ca.vertex] {
			for _, g := range gridAcc[int64(vt[0])] {
				if within(ca.seconds+vt[1]+gridSec[g], limit) {
					out[c] = append(out[c], g)
				}
			}
		}
		sort.Ints(out[c])
	}
	return out, nil
}

// placeSites names the grid each site lies in (if any).
func (s *Service) placeSites(ctx context.Context, tx pgx.Tx, sites []Site) error {
	for i := range sites {
		st := &sites[i]
		var code, name, twp *string
		err := tx.QueryRow(ctx, `SELECT g.code, g.name, g.township_code FROM grids g
		    WHERE g.code = riskmap_grid_at(ST_SetSRID(ST_MakePoint($1, $2), 4326))`, st.Lon, st.Lat).Scan(&code, &name, &twp)
		if err != nil && !errors.Is(err, pgx.ErrNoRows) {
			return fmt.Errorf("coverage: place site %d: %w", st.Rank, err)
		}
		st.GridCode, st.GridName, st.TownshipCode = code, name, twp
	}
	return nil
}
