package roads

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"testing"

	"google.golang.org/protobuf/encoding/protowire"
)

// A minimal OSM PBF writer for tests: the encoder side of osmpbf.go, so
// that fixtures are built in the test, not shipped as opaque files.

type testNode struct {
	id       int64
	lon, lat float64
}

type testWay struct {
	id   int64
	tags [][2]string
	refs []int64
}

type pbfWriter struct {
	buf      bytes.Buffer
	compress bool
}

func (w *pbfWriter) blob(typ string, data []byte) {
	var blob []byte
	if w.compress {
		var z bytes.Buffer
		zw := zlib.NewWriter(&z)
		zw.Write(data)
		zw.Close()
		blob = protowire.AppendTag(blob, 2, protowire.VarintType)
		blob = protowire.AppendVarint(blob, uint64(len(data)))
		blob = protowire.AppendTag(blob, 3, protowire.BytesType)
		blob = protowire.AppendBytes(blob, z.Bytes())
	} else {
		blob = protowire.AppendTag(blob, 1, protowire.BytesType)
		blob = protowire.AppendBytes(blob, data)
	}
	var hdr []byte
	hdr = protowire.AppendTag(hdr, 1, protowire.BytesType)
	hdr = protowire.AppendString(hdr, typ)
	hdr = protowire.AppendTag(hdr, 3, protowire.VarintType)
	hdr = protowire.AppendVarint(hdr, uint64(len(blob)))
	var n [4]byte
	binary.BigEndian.PutUint32(n[:], uint32(len(hdr)))
	w.buf.Write(n[:])
	w.buf.Write(hdr)
	w.buf.Write(blob)
}

func (w *pbfWriter) header(features ...string) {
	var b []byte
	for _, f := range features {
		b = protowire.AppendTag(b, 4, protowire.BytesType)
		b = protowire.AppendString(b, f)
	}
	w.blob("OSMHeader", b)
}

func packSint(vals []int64, delta bool) []byte {
	var b []byte
	var prev int64
	for _, v := range vals {
		x := v
		if delta {
			x, prev = v-prev, v
		}
		b = protowire.AppendVarint(b, protowire.EncodeZigZag(x))
	}
	return b
}

// block writes one PrimitiveBlock (granularity 100) holding dense nodes,
// plain nodes (each in its own group) and ways.
func (w *pbfWriter) block(dense []testNode, plain []testNode, ways []testWay) {
	strs := []string{""}
	index := map[string]uint64{}
	str := func(s string) uint64 {
		if i, ok := index[s]; ok {
			return i
		}
		index[s] = uint64(len(strs))
		strs = append(strs, s)
		return index[s]
	}
	coord := func(v float64) int64 { return int64(v*1e7 + 0.5*sign(v)) }
	var groups [][]byte
	if len(dense) > 0 {
		var ids, lats, lons []int64
		for _, n := range dense {
			ids, lats, lons = append(ids, n.id), append(lats, coord(n.lat)), append(lons, coord(n.lon))
		}
		var d []byte
		d = protowire.AppendTag(d, 1, protowire.BytesType)
		d = protowire.AppendBytes(d, packSint(ids, true))
		d = protowire.AppendTag(d, 8, protowire.BytesType)
		d = protowire.AppendBytes(d, packSint(lats, true))
		d = protowire.AppendTag(d, 9, protowire.BytesType)
		d = protowire.AppendBytes(d, packSint(lons, true))
		var g []byte
		g = protowire.AppendTag(g, 2, protowire.BytesType)
		g = protowire.AppendBytes(g, d)
		groups = append(groups, g)
	}
	for _, n := range plain {
		var nb []byte
		nb = protowire.AppendTag(nb, 1, protowire.VarintType)
		nb = protowire.AppendVarint(nb, protowire.EncodeZigZag(n.id))
		nb = protowire.AppendTag(nb, 8, protowire.VarintType)
		nb = protowire.AppendVarint(nb, protowire.EncodeZigZag(coord(n.lat)))
		nb = protowire.AppendTag(nb, 9, protowire.VarintType)
		nb = protowire.AppendVarint(nb, protowire.EncodeZigZag(coord(n.lon)))
		var g []byte
		g = protowire.AppendTag(g, 1, protowire.BytesType)
		g = protowire.AppendBytes(g, nb)
		groups = append(groups, g)
	}
	if len(ways) > 0 {
		var g []byte
		for _, wy := range ways {
			var keys, vals []byte
			for _, kv := range wy.tags {
				keys = protowire.AppendVarint(keys, str(kv[0]))
				vals = protowire.AppendVarint(vals, str(kv[1]))
			}
			var wb []byte
			wb = protowire.AppendTag(wb, 1, protowire.VarintType)
			wb = protowire.AppendVarint(wb, uint64(wy.id))
			wb = protowire.AppendTag(wb, 2, protowire.BytesType)
			wb = protowire.AppendBytes(wb, keys)
			wb = protowire.AppendTag(wb, 3, protowire.BytesType)
			wb = protowire.AppendBytes(wb, vals)
			wb = protowire.AppendTag(wb, 8, protowire.BytesType)
			wb = protowire.AppendBytes(wb, packSint(wy.refs, true))
			g = protowire.AppendTag(g, 3, protowire.BytesType)
			g = protowire.AppendBytes(g, wb)
		}
		groups = append(groups, g)
	}
	var st []byte
	for _, s := range strs {
		st = protowire.AppendTag(st, 1, protowire.BytesType)
		st = protowire.AppendString(st, s)
	}
	var b []byte
	b = protowire.AppendTag(b, 1, protowire.BytesType)
	b = protowire.AppendBytes(b, st)
	for _, g := range groups {
		b = protowire.AppendTag(b, 2, protowire.BytesType)
		b = protowire.AppendBytes(b, g)
	}
	w.blob("OSMData", b)
}

func sign(v float64) float64 {
	if v < 0 {
		return -1
	}
	return 1
}

func TestPBFReaderDecodesNodesAndWays(t *testing.T) {
	for _, compress := range []bool{false, true} {
		w := &pbfWriter{compress: compress}
		w.header("OsmSchema-V0.6", "DenseNodes")
		w.block([]testNode{{1, 115.1, 22.8}, {2, 115.1000001, 22.8000002}, {5, -0.5, -1.25}}, []testNode{{3, 115.2, 22.9}}, nil)
		w.block(nil, nil, []testWay{{10, [][2]string{{"highway", "primary"}, {"name", "人民路"}}, []int64{1, 2, 3}}})
		nodes := map[int64][2]float64{}
		var ways []testWay
		err := readPBF(bytes.NewReader(w.buf.Bytes()), pbfHandler{
			node: func(id int64, lon, lat float64) { nodes[id] = [2]float64{lon, lat} },
			way: func(id int64, tags map[string]string, refs []int64) {
				ways = append(ways, testWay{id: id, tags: [][2]string{{"highway", tags["highway"]}, {"name", tags["name"]}}, refs: refs})
			},
		})
		if err != nil {
			t.Fatalf("compress=%v: %v", compress, err)
		}
		if len(nodes) != 4 || !near7(nodes[2], [2]float64{115.1000001, 22.8000002}) || !near7(nodes[3], [2]float64{115.2, 22.9}) ||
			!near7(nodes[5], [2]float64{-0.5, -1.25}) {
			t.Errorf("compress=%v: nodes %v", compress, nodes)
		}
		if len(ways) != 1 || ways[0].id != 10 || ways[0].tags[1][1] != "人民路" || len(ways[0].refs) != 3 || ways[0].refs[2] != 3 {
			t.Errorf("compress=%v: ways %+v", compress, ways)
		}
	}
}

func near7(a, b [2]float64) bool {
	return abs(a[0]-b[0]) < 1e-9 && abs(a[1]-b[1]) < 1e-9
}

func abs(v float64) float64 {
	if v < 0 {
		return -v
	}
	return v
}

func TestPBFReaderRefusesWhatItCannotRead(t *testing.T) {
	hist := &pbfWriter{}
	hist.header("OsmSchema-V0.6", "HistoricalInformation")
	for name, data := range map[string][]byte{
		"empty":      nil,
		"not pbf":    []byte("<?xml version='1.0'?><osm></osm>"),
		"history":    hist.buf.Bytes(),
		"truncated":  hist.buf.Bytes()[:10],
		"data first": func() []byte { w := &pbfWriter{}; w.block(nil, nil, nil); return w.buf.Bytes() }(),
	} {
		if err := readPBF(bytes.NewReader(data), pbfHandler{}); err == nil {
			t.Errorf("%s: read without error", name)
		}
	}
}
