package roads

import (
	"math"
)

// A Line is one road as read from a file: an OSM way or a GeoJSON
// LineString, with its attributes. Nodes identify its points: OSM node ids,
// or for GeoJSON the coordinates themselves, so that lines sharing a point
// share a junction.
type Line struct {
	Ref      string // where it came from: osm:way/123, feature 7
	Name     string
	Class    string
	Oneway   int8     // 1: only along the line, -1: only against it, 0: both ways
	MaxSpeed *float64 // km/h, when the source says
	Nodes    []int64
	Coords   [][2]float64 // lon, lat on the 1e-7° lattice
}

// An Edge is a piece of a line between two junctions (or a junction and an
// end): what the roads table holds and pgRouting routes over.
type Edge struct {
	Line   *Line
	Coords [][2]float64
}

// lattice is the coordinate precision of stored roads: 1e-7° (about 1 cm),
// OSM's own. The topology joins edge ends on this lattice.
const lattice = 1e7

// snap rounds a coordinate to the lattice.
func snap(v float64) float64 { return math.Round(v*lattice) / lattice }

// coordNode is the node id of a GeoJSON point: its lattice coordinates
// packed into 64 bits (lon and lat in 1e-7° fit in 32 bits each).
func coordNode(lon, lat float64) int64 {
	x := int64(math.Round(lon * lattice))
	y := int64(math.Round(lat * lattice))
	return x<<32 | (y & 0xffffffff)
}

// split cuts every line at the nodes it shares with another line (or with
// itself: a loop), so that edges meet only at their ends. Lines crossing
// without a shared node stay apart: in OSM that is a bridge or a tunnel.
func split(lines []*Line) []Edge {
	uses := make(map[int64]int, len(lines)*4)
	for _, l := range lines {
		for i, n := range l.Nodes {
			// a closed way's last node is its first: count it once
			if i == len(l.Nodes)-1 && i > 0 && n == l.Nodes[0] {
				continue
			}
			uses[n]++
		}
	}
	var edges []Edge
	for _, l := range lines {
		start := 0
		for i := 1; i < len(l.Nodes); i++ {
			if i == len(l.Nodes)-1 || uses[l.Nodes[i]] > 1 {
				if c := dedupe(l.Coords[start : i+1]); len(c) >= 2 {
					edges = append(edges, Edge{Line: l, Coords: c})
				}
				start = i
			}
		}
	}
	return edges
}

// dedupe drops repeated consecutive points (a zero-length step).
func dedupe(c [][2]float64) [][2]float64 {
	out := make([][2]float64, 0, len(c))
	for _, p := range c {
		if len(out) > 0 && out[len(out)-1] == p {
			continue
		}
		out = append(out, p)
	}
	return out
}
