package importers

import (
	"archive/zip"
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"

	"github.com/paulmach/orb"
	"golang.org/x/text/encoding/simplifiedchinese"
)

// DBFField describes one attribute column of a Shapefile to write.
type DBFField struct {
	Name     string
	Type     byte // 'C' text, 'N' number, 'D' date, 'L' logical
	Length   int
	Decimals int
}

// ShapeRow is one feature of a Shapefile to write: its geometry and its
// attribute values as text, in the order of the fields.
type ShapeRow struct {
	Geom   orb.Geometry
	Values []string
}

// WriteShapefileZip writes a zipped Shapefile (stem.shp .shx .dbf .prj
// .cpg) with attributes in encoding (utf-8 or gbk).
func WriteShapefileZip(w io.Writer, stem string, c SourceCRS, encoding string, fields []DBFField, rows []ShapeRow) error {
	header, err := dbfHeader(fields, encoding, len(rows))
	if err != nil {
		return err
	}
	raws := make([]shpRaw, len(rows))
	for i, r := range rows {
		content, err := encodeShape(r.Geom)
		if err != nil {
			return fmt.Errorf("row %d: %w", i+1, err)
		}
		rec, err := dbfRecordBytes(fields, encoding, r.Values)
		if err != nil {
			return fmt.Errorf("row %d: %w", i+1, err)
		}
		raws[i] = shpRaw{shape: content, attrs: rec}
	}
	cpg := "UTF-8"
	if encoding == GBK {
		cpg = "GBK"
	}
	return writeShpZip(w, stem, header, raws, PRJ(c), cpg)
}

// writeShpZip writes records as they were read (rejected rows keep their
// bytes) under the .dbf header they came with.
func writeShpZip(w io.Writer, stem string, dbfHdr []byte, raws []shpRaw, prj, cpg string) error {
	var shp, shx, dbf bytes.Buffer
	shapeType := uint32(0)
	box := [4]float64{math.Inf(1), math.Inf(1), math.Inf(-1), math.Inf(-1)}
	for _, r := range raws {
		if len(r.shape) >= 4 && shapeType == 0 {
			shapeType = binary.LittleEndian.Uint32(r.shape)
		}
		if g, err := decodeShape(r.shape); err == nil && g != nil {
			b := g.Bound()
			box = [4]float64{min(box[0], b.Min[0]), min(box[1], b.Min[1]), max(box[2], b.Max[0]), max(box[3], b.Max[1])}
		}
	}
	if math.IsInf(box[0], 0) {
		box = [4]float64{}
	}
	shp.Write(make([]byte, 100))
	shx.Write(make([]byte, 100))
	be, le := binary.BigEndian, binary.LittleEndian
	for i, r := range raws {
		off := shp.Len() / 2
		var rh [8]byte
		be.PutUint32(rh[0:], uint32(i+1))
		be.PutUint32(rh[4:], uint32(len(r.shape)/2))
		shp.Write(rh[:])
		shp.Write(r.shape)
		var xh [8]byte
		be.PutUint32(xh[0:], uint32(off))
		be.PutUint32(xh[4:], uint32(len(r.shape)/2))
		shx.Write(xh[:])
	}
	fill := func(b []byte) {
		be.PutUint32(b[0:], 9994)
		le.PutUint32(b[28:], 1000)
		le.PutUint32(b[32:], shapeType)
		for i, v := range box {
			le.PutUint64(b[36+8*i:], math.Float64bits(v))
		}
	}
	sb, xb := shp.Bytes(), shx.Bytes()
	fill(sb)
	fill(xb)
	be.PutUint32(sb[24:], uint32(len(sb)/2))
	be.PutUint32(xb[24:], uint32(len(xb)/2))
	hdr := append([]byte(nil), dbfHdr...)
	le.PutUint32(hdr[4:], uint32(len(raws)))
	dbf.Write(hdr)
	for _, r := range raws {
		dbf.Write(r.attrs)
	}
	dbf.WriteByte(0x1A)
	zw := zip.NewWriter(w)
	for _, part := range []struct {
		ext  string
		data []byte
	}{{".shp", sb}, {".shx", xb}, {".dbf", dbf.Bytes()}, {".prj", []byte(prj)}, {".cpg", []byte(cpg)}} {
		if part.ext == ".prj" && prj == "" || part.ext == ".cpg" && cpg == "" {
			continue
		}
		f, err := zw.Create(stem + part.ext)
		if err != nil {
			return err
		}
		if _, err := f.Write(part.data); err != nil {
			return err
		}
	}
	return zw.Close()
}

func dbfHeader(fields []DBFField, encoding string, n int) ([]byte, error) {
	size := 1
	var fd bytes.Buffer
	for _, f := range fields {
		name, err := encodeText(f.Name, encoding)
		if err != nil {
			return nil, err
		}
		if len(name) > 10 {
			return nil, fmt.Errorf("field name %q is longer than 10 bytes", f.Name)
		}
		var d [32]byte
		copy(d[:], name)
		d[11] = f.Type
		d[16] = byte(f.Length)
		d[17] = byte(f.Decimals)
		fd.Write(d[:])
		size += f.Length
	}
	fd.WriteByte(0x0D)
	h := make([]byte, 32)
	h[0] = 0x03
	h[1], h[2], h[3] = 125, 1, 1
	binary.LittleEndian.PutUint32(h[4:], uint32(n))
	binary.LittleEndian.PutUint16(h[8:], uint16(32+fd.Len()))
	binary.LittleEndian.PutUint16(h[10:], uint16(size))
	if encoding == GBK {
		h[29] = 0x4D
	}
	return append(h, fd.Bytes()...), nil
}

func dbfRecordBytes(fields []DBFField, encoding string, values []string) ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte(' ')
	for i, f := range fields {
		v := ""
		if i < len(values) {
			v = values[i]
		}
		switch f.Type {
		case 'D':
			v = strings.ReplaceAll(v, "-", "")
		case 'L':
			switch v {
			case "true":
				v = "T"
			case "false":
				v = "F"
			default:
				v = "?"
			}
		}
		enc, err := encodeText(v, encoding)
		if err != nil {
			return nil, err
		}
		if len(enc) > f.Length {
			return nil, fmt.Errorf("value %q is longer than field %s (%d bytes)", v, f.Name, f.Length)
		}
		pad := bytes.Repeat([]byte(" "), f.Length-len(enc))
		if f.Type == 'N' || f.Type == 'F' {
			b.Write(pad)
			b.Write(enc)
		} else {
			b.Write(enc)
			b.Write(pad)
		}
	}
	return b.Bytes(), nil
}

func encodeText(s, encoding string) ([]byte, error) {
	if encoding == GBK {
		b, err := simplifiedchinese.GBK.NewEncoder().Bytes([]byte(s))
		if err != nil {
			return nil, fmt.Errorf("%q cannot be written in GBK", s)
		}
		return b, nil
	}
	return []byte(s), nil
}

// encodeShape writes g as .shp record content (2D).
func encodeShape(g orb.Geometry) ([]byte, error) {
	var b bytes.Buffer
	le := binary.LittleEndian
	u32 := func(v uint32) { _ = binary.Write(&b, le, v) }
	f64 := func(v float64) { _ = binary.Write(&b, le, v) }
	boxOf := func(g orb.Geometry) {
		bd := g.Bound()
		f64(bd.Min[0])
		f64(bd.Min[1])
		f64(bd.Max[0])
		f64(bd.Max[1])
	}
	parts := func(typ uint32, g orb.Geometry, rings [][]orb.Point) {
		u32(typ)
		boxOf(g)
		u32(uint32(len(rings)))
		n := 0
		for _, r := range rings {
			n += len(r)
		}
		u32(uint32(n))
		at := 0
		for _, r := range rings {
			u32(uint32(at))
			at += len(r)
		}
		for _, r := range rings {
			for _, p := range r {
				f64(p[0])
				f64(p[1])
			}
		}
	}
	switch g := g.(type) {
	case nil:
		u32(shpNull)
	case orb.Point:
		u32(shpPoint)
		f64(g[0])
		f64(g[1])
	case orb.MultiPoint:
		u32(shpMultiPoint)
		boxOf(g)
		u32(uint32(len(g)))
		for _, p := range g {
			f64(p[0])
			f64(p[1])
		}
	case orb.LineString:
		parts(shpPolyLine, g, [][]orb.Point{g})
	case orb.MultiLineString:
		var rs [][]orb.Point
		for _, l := range g {
			rs = append(rs, l)
		}
		parts(shpPolyLine, g, rs)
	case orb.Polygon:
		parts(shpPolygon, g, shpRings(orb.MultiPolygon{g}))
	case orb.MultiPolygon:
		parts(shpPolygon, g, shpRings(g))
	default:
		return nil, fmt.Errorf("cannot write %s to a Shapefile", g.GeoJSONType())
	}
	return b.Bytes(), nil
}

// shpRings orders rings as the format wants: outer clockwise, holes not.
func shpRings(mp orb.MultiPolygon) [][]orb.Point {
	var out [][]orb.Point
	for _, poly := range mp {
		for i, r := range poly {
			r = append(orb.Ring(nil), r...)
			if (i == 0) != (r.Orientation() == orb.CW) {
				r.Reverse()
			}
			out = append(out, r)
		}
	}
	return out
}

// shpNumber formats a number for a DBF 'N' field.
func shpNumber(v float64, decimals int) string {
	return strconv.FormatFloat(v, 'f', decimals, 64)
}
