package coverage

import (
	"context"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"

	"riskmap"
	"riskmap/roads"
)

// network is the routable part of the road network, as points join it.
type network struct {
	vertices  *pointIndex // routable junctions; ids are road_vertices ids
	maxVertex int64
	maxEdge   int64
	edges     int64
}

// freshTopology rebuilds the routing topology when edges were added or
// moved since it was built (by hand, in QGIS): it is derived data. It runs
// before an answer's snapshot, in a transaction of its own.
func (s *Service) freshTopology(ctx context.Context) error {
	var stale bool
	if err := s.pool.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM roads WHERE source IS NULL OR target IS NULL)").Scan(&stale); err != nil {
		return fmt.Errorf("coverage: network: %w", err)
	}
	if stale {
		if _, err := roads.Rebuild(ctx, s.pool); err != nil {
			return err
		}
		// the snapshot that follows must see the rebuilt topology
		if err := s.reads.Wrote(ctx); err != nil {
			return fmt.Errorf("coverage: network: %w", err)
		}
	}
	return nil
}

// loadNetwork reads the junctions points may join the network at.
func (s *Service) loadNetwork(ctx context.Context, tx pgx.Tx) (*network, error) {
	n := &network{}
	err := tx.QueryRow(ctx, "SELECT coalesce((SELECT max(id) FROM road_vertices), 0), coalesce((SELECT max(id) FROM roads), 0), (SELECT count(*) FROM roads)").
		Scan(&n.maxVertex, &n.maxEdge, &n.edges)
	if err != nil {
		return nil, fmt.Errorf("coverage: network: %w", err)
	}
	var p points
	rows, err := tx.Query(ctx, "SELECT id, ST_X(geom), ST_Y(geom) FROM road_vertices WHERE routable ORDER BY id")
	if err != nil {
		return nil, fmt.Errorf("coverage: network: %w", err)
	}
	var id int64
	var lon, lat float64
	if _, err := pgx.ForEachRow(rows, []any{&id, &lon, &lat}, func() error { p.add(id, lon, lat); return nil }); err != nil {
		return nil, fmt.Errorf("coverage: network: %w", err)
	}
	if p.len() == 0 {
		return nil, riskmap.Errorf(riskmap.EUNPROCESSABLE, "no road network to measure travel time on: import one with `riskmap import --layer roads FILE.osm.pbf` (or GeoJSON lines with a class), or ask by max_distance_m")
	}
	n.vertices = newPointIndex(p.lon, p.lat, p.ids)
	return n, nil
}

// access is the straight-line leg between a point and its junction.
type access struct {
	vertex  int64   // road_vertices id
	seconds float64 // at the access speed
	metres  float64
}

func (s *Service) snap(n *network, lon, lat float64) access {
	i, d := n.vertices.nearest(lon, lat)
	return access{vertex: n.vertices.ids[i], metres: d, seconds: d / (s.cfg.AccessSpeedKmh / 3.6)}
}

// field is the travel time from the nearest facility to every junction:
// seconds (+Inf where no facility reaches) and which facility (-1: none).
type field struct {
	seconds  []float64 // by vertex id
	facility []int32
}

func (f *field) at(v int64) (float64, int32) {
	if v < 0 || v >= int64(len(f.seconds)) {
		return math.Inf(1), -1
	}
	return f.seconds[v], f.facility[v]
}

// travelField routes from all facilities at once: one Dijkstra
// (pgr_drivingDistance) from a virtual source joined to each facility's
// junction by an edge costing the facility's access time. Each junction's
// facility is found by walking the shortest-path tree back to the virtual
// edge it starts with. (pgRouting 3.4's equicost mode is not used: it does
// not always give the least cost.)
func (s *Service) travelField(ctx context.Context, tx pgx.Tx, n *network, starts []access) (*field, error) {
	f := &field{seconds: make([]float64, n.maxVertex+2), facility: make([]int32, n.maxVertex+2)}
	for i := range f.seconds {
		f.seconds[i] = math.Inf(1)
		f.facility[i] = -1
	}
	if len(starts) == 0 {
		return f, nil
	}
	source := n.maxVertex + 1
	pred := make([]int64, n.maxVertex+2)
	via := make([]int64, n.maxVertex+2)
	err := func() error {
		// the virtual edges are numbers written into the edges query (a
		// temporary table would need a writable transaction: not on a
		// standby)
		var virtual strings.Builder
		for k, a := range starts {
			if k > 0 {
				virtual.WriteString(", ")
			}
			cost := a.seconds
			if math.IsNaN(cost) || math.IsInf(cost, 0) {
				cost = 1e15 // unreachable (never: access times are finite)
			}
			fmt.Fprintf(&virtual, "(%d::bigint, %d::bigint, %d::bigint, %s::float8, -1::float8)",
				n.maxEdge+1+int64(k), source, a.vertex, strconv.FormatFloat(cost, 'g', -1, 64))
		}
		res, err := tx.Query(ctx, `SELECT d.node, d.edge, d.agg_cost,
		       coalesce(CASE WHEN r.target = d.node THEN r.source ELSE r.target END, -1)
		  FROM pgr_drivingDistance(
		         'SELECT id, source, target, cost, reverse_cost FROM road_edges
		          UNION ALL SELECT * FROM (VALUES `+virtual.String()+`) v (id, source, target, cost, reverse_cost)',
		         $1::bigint, 1e15::float8, true) d
		  LEFT JOIN roads r ON r.id = d.edge`, source)
		if err != nil {
			return err
		}
		var node, edge, p int64
		var cost float64
		_, err = pgx.ForEachRow(res, []any{&node, &edge, &cost, &p}, func() error {
			if node < 0 || node >= int64(len(f.seconds)) {
				return nil
			}
			f.seconds[node] = cost
			via[node] = edge
			pred[node] = p
			return nil
		})
		return err
	}()
	if err != nil {
		return nil, fmt.Errorf("coverage: travel times: %w", roads.NoPgRouting(err))
	}
	// the facility of a junction is that of its predecessor, down to the
	// virtual edge the path starts with
	var path []int64
	for v := range f.seconds {
		path = path[:0]
		fac := int32(-1)
		for u := int64(v); ; {
			if u < 0 || u >= int64(len(f.seconds)) || u == source || math.IsInf(f.seconds[u], 1) || len(path) > len(f.seconds) {
				break // unreached, or a broken tree: never loop
			}
			if f.facility[u] >= 0 {
				fac = f.facility[u]
				break
			}
			path = append(path, u)
			if e := via[u]; e > n.maxEdge {
				fac = int32(e - n.maxEdge - 1)
				break
			}
			u = pred[u]
		}
		for _, u := range path {
			f.facility[u] = fac
		}
	}
	return f, nil
}
