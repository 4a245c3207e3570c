package coverage

import "math"

// tileData is what the coverage tile layer draws from a result: every grid
// with its outcome, and every uncovered risk point and hazard source (the
// result's lists stop at its limit; a map must show them all).
type tileData struct {
	byTime bool
	grids  map[int64]gridTile // by grid id
	spots  []spot             // uncovered points
}

// gridTile is the outcome of one grid as the tile layer carries it.
type gridTile struct {
	code, name, township string
	pop                  int64
	covered              bool
	near                 nearest
}

// spot is an uncovered risk point or hazard source.
type spot struct {
	kind     string // risk_point or hazard_source
	id       int64
	lon, lat float64
	level    int16 // 0: none
	grid     int64
	near     nearest
}

// nearest is the facility that reaches a target first (by distance, or by
// road) and how far it is: facility 0 when none can reach it, measures NaN
// when unknown.
type nearest struct {
	facility int64
	name     string
	metres   float64
	minutes  float64
}

func (r *reacher) nearest(x reach) nearest {
	n := nearest{metres: math.NaN(), minutes: math.NaN()}
	if x.facility < 0 {
		return n
	}
	n.facility, n.name = r.fac.ids[x.facility], r.fac.names[x.facility]
	n.metres = round(x.metres, 1)
	if r.byTime {
		n.minutes = round(x.seconds/60, 2)
	}
	return n
}

// newTileData keeps the tile layer's view of a computed result. rps and
// hss are the risk points and hazard sources, unRP and unHS the indexes of
// their uncovered ones, rr and hr their reaches when known (by road).
func newTileData(r *reacher, grids *gridSet, outcomes []gridOutcome,
	rps *pointSet, unRP []int, rr []reach, hss *pointSet, unHS []int, hr []reach) *tileData {
	d := &tileData{byTime: r.byTime, grids: make(map[int64]gridTile, len(outcomes)), spots: make([]spot, 0, len(unRP)+len(unHS))}
	for _, o := range outcomes {
		i := o.i
		d.grids[grids.ids[i]] = gridTile{code: grids.codes[i], name: grids.names[i], township: grids.township[i],
			pop: grids.pop[i], covered: o.covered, near: r.nearest(o.reach)}
	}
	add := func(kind string, p *pointSet, idx []int, rs []reach) {
		for _, i := range idx {
			x := r.reachOf(p, i, rs)
			d.spots = append(d.spots, spot{kind: kind, id: p.ids[i], lon: p.lon[i], lat: p.lat[i],
				level: p.level[i], grid: p.grid[i], near: r.nearest(x)})
		}
	}
	add("risk_point", rps, unRP, rr)
	add("hazard_source", hss, unHS, hr)
	return d
}

// reachOf is the reach of point i of p: from rs when computed (by road),
// else now.
func (r *reacher) reachOf(p *pointSet, i int, rs []reach) reach {
	if rs != nil {
		return rs[i]
	}
	return r.at(p.lon[i], p.lat[i])
}
