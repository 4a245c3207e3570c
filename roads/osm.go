package roads

import (
	"fmt"
	"io"
	"math"
	"regexp"
	"strconv"
	"strings"
)

// osmResult is what an OSM file yields: the road lines and what was left
// out, counted (nothing is dropped without saying so in the report).
type osmResult struct {
	lines   []*Line
	ignored map[string]int // way counts by reason: "highway=footway (no speed for the class)"
	missing int            // node references the file lacks (clipped extracts)
}

// readOSM reads the roads of an OSM PBF file: the ways whose highway tag is
// a class with a speed. If r can seek it reads the file twice (ways first,
// then only the nodes they use), so a large extract never holds all its
// nodes in memory; otherwise once, keeping every node's coordinates.
func readOSM(r io.Reader, speeds Speeds) (osmResult, error) {
	res := osmResult{ignored: map[string]int{}}
	type way struct {
		id   int64
		tags map[string]string
		refs []int64
	}
	var ways []way
	onWay := func(id int64, tags map[string]string, refs []int64) {
		hw, ok := tags["highway"]
		if !ok {
			return
		}
		if _, ok := speeds[hw]; !ok {
			res.ignored["highway="+hw+" (no speed for the class)"]++
			return
		}
		if len(refs) < 2 {
			res.ignored["ways with fewer than 2 nodes"]++
			return
		}
		ways = append(ways, way{id, tags, refs})
	}
	coords := map[int64][2]float64{}
	if rs, ok := r.(io.ReadSeeker); ok {
		start, err := rs.Seek(0, io.SeekCurrent)
		if err != nil {
			return res, err
		}
		if err := readPBF(rs, pbfHandler{way: onWay}); err != nil {
			return res, err
		}
		// NaN marks a node a way needs and the file has not given yet
		for _, w := range ways {
			for _, n := range w.refs {
				coords[n] = [2]float64{math.NaN(), math.NaN()}
			}
		}
		if _, err := rs.Seek(start, io.SeekStart); err != nil {
			return res, err
		}
		err = readPBF(rs, pbfHandler{node: func(id int64, lon, lat float64) {
			if _, ok := coords[id]; ok {
				coords[id] = [2]float64{snap(lon), snap(lat)}
			}
		}})
		if err != nil {
			return res, err
		}
		for n, c := range coords {
			if math.IsNaN(c[0]) {
				delete(coords, n)
			}
		}
	} else {
		err := readPBF(r, pbfHandler{
			node: func(id int64, lon, lat float64) { coords[id] = [2]float64{snap(lon), snap(lat)} },
			way:  onWay,
		})
		if err != nil {
			return res, err
		}
	}
	for _, w := range ways {
		tags := w.tags
		base := Line{
			Ref:      fmt.Sprintf("osm:way/%d", w.id),
			Name:     tags["name"],
			Class:    tags["highway"],
			Oneway:   osmOneway(tags),
			MaxSpeed: parseMaxSpeed(tags["maxspeed"]),
		}
		// a way is cut where the file lacks one of its nodes (an extract
		// clipped at its border): the pieces on either side stay
		cur := base
		flush := func() {
			if len(cur.Nodes) >= 2 {
				l := cur
				res.lines = append(res.lines, &l)
			}
			cur = base
		}
		for _, n := range w.refs {
			c, ok := coords[n]
			if !ok {
				res.missing++
				flush()
				continue
			}
			cur.Nodes = append(cur.Nodes, n)
			cur.Coords = append(cur.Coords, c)
		}
		flush()
	}
	return res, nil
}

// osmOneway reads OSM's oneway tag, with the classes and junctions that
// imply one.
func osmOneway(tags map[string]string) int8 {
	switch strings.ToLower(tags["oneway"]) {
	case "yes", "true", "1":
		return 1
	case "-1", "reverse":
		return -1
	case "no", "false", "0":
		return 0
	}
	if tags["highway"] == "motorway" || tags["junction"] == "roundabout" || tags["junction"] == "circular" {
		return 1
	}
	return 0
}

var maxSpeedPattern = regexp.MustCompile(`^\s*([0-9]+(?:\.[0-9]+)?)\s*(km/h|kmh|kph|mph)?\s*$`)

// parseMaxSpeed reads "60", "60 km/h" or "40 mph" as km/h; anything else
// (signposted, CN:urban, none) is no limit of its own: the class speed holds.
func parseMaxSpeed(s string) *float64 {
	m := maxSpeedPattern.FindStringSubmatch(s)
	if m == nil {
		return nil
	}
	v, err := strconv.ParseFloat(m[1], 64)
	if err != nil || v <= 0 {
		return nil
	}
	if m[2] == "mph" {
		v *= 1.609344
	}
	if v > 200 {
		return nil
	}
	return &v
}
