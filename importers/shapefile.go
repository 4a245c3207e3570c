package importers

import (
	"archive/zip"
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"path"
	"strings"
	"unicode/utf8"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/planar"
	"golang.org/x/text/encoding/simplifiedchinese"
)

// A zipped Shapefile: .shp (geometry), .shx (index; not needed to read in
// order), .dbf (attributes), .prj (coordinate system), .cpg (encoding).
// The .shp and .dbf are streamed side by side, record by record.

// Shape types of the ESRI Shapefile specification.
const (
	shpNull        = 0
	shpPoint       = 1
	shpPolyLine    = 3
	shpPolygon     = 5
	shpMultiPoint  = 8
	shpPointZ      = 11
	shpPolyLineZ   = 13
	shpPolygonZ    = 15
	shpMultiPointZ = 18
	shpPointM      = 21
	shpPolyLineM   = 23
	shpPolygonM    = 25
	shpMultiPointM = 28
)

type shpReader struct {
	zr       *zip.ReadCloser
	shp      *bufio.Reader
	dbf      *dbfReader
	shpSize  int64
	shpRead  int64
	row      int
	declared *SourceCRS
	prj      string
	cpg      string
	encoding string
}

// shpRaw is a record as read: the .shp content and the .dbf record bytes.
type shpRaw struct {
	shape []byte
	attrs []byte
}

func openShapefile(p string, opts Options) (Reader, error) {
	zr, err := zip.OpenReader(p)
	if err != nil {
		return nil, fmt.Errorf("not a zip file: a Shapefile is imported as a .zip of its .shp, .shx, .dbf, .prj and .cpg: %v", err)
	}
	r, err := newShpReader(zr, opts)
	if err != nil {
		zr.Close()
		return nil, err
	}
	return r, nil
}

func newShpReader(zr *zip.ReadCloser, opts Options) (*shpReader, error) {
	parts := map[string]*zip.File{}
	var shps []string
	for _, f := range zr.File {
		if f.FileInfo().IsDir() || strings.HasPrefix(path.Base(f.Name), ".") || strings.Contains(f.Name, "__MACOSX") {
			continue
		}
		ext := strings.ToLower(path.Ext(f.Name))
		stem := strings.TrimSuffix(f.Name, path.Ext(f.Name))
		parts[strings.ToLower(stem)+ext] = f
		if ext == ".shp" {
			shps = append(shps, f.Name)
		}
	}
	if len(shps) != 1 {
		if len(shps) == 0 {
			return nil, fmt.Errorf("the zip holds no .shp file")
		}
		return nil, fmt.Errorf("the zip holds %d Shapefiles (%s): import one at a time", len(shps), strings.Join(shps, ", "))
	}
	stem := strings.ToLower(strings.TrimSuffix(shps[0], path.Ext(shps[0])))
	shpF, dbfF := parts[stem+".shp"], parts[stem+".dbf"]
	if dbfF == nil {
		return nil, fmt.Errorf("the zip has %s but no .dbf beside it (the attributes)", shps[0])
	}
	r := &shpReader{zr: zr, shpSize: int64(shpF.UncompressedSize64)}
	if f := parts[stem+".prj"]; f != nil {
		b, err := readZipFile(f)
		if err != nil {
			return nil, err
		}
		r.prj = string(b)
		c, err := CRSFromPRJ(r.prj)
		if err != nil && opts.CRS == "" {
			return nil, err
		}
		if err == nil {
			r.declared = &c
		}
	}
	enc, err := ParseEncoding(opts.Encoding)
	if err != nil {
		return nil, err
	}
	if f := parts[stem+".cpg"]; f != nil {
		b, err := readZipFile(f)
		if err != nil {
			return nil, err
		}
		r.cpg = strings.TrimSpace(string(b))
		if enc == "" {
			if enc, err = ParseEncoding(r.cpg); err != nil {
				return nil, fmt.Errorf(".cpg: %v (give the encoding with --encoding)", err)
			}
		}
	}
	sf, err := shpF.Open()
	if err != nil {
		return nil, err
	}
	r.shp = bufio.NewReaderSize(sf, 256<<10)
	var hdr [100]byte
	if _, err := io.ReadFull(r.shp, hdr[:]); err != nil {
		return nil, fmt.Errorf("%s: the header is cut short", shps[0])
	}
	if binary.BigEndian.Uint32(hdr[0:]) != 9994 {
		return nil, fmt.Errorf("%s is not a Shapefile (bad file code)", shps[0])
	}
	r.shpRead = 100
	df, err := dbfF.Open()
	if err != nil {
		return nil, err
	}
	if r.dbf, err = newDBFReader(df, enc); err != nil {
		return nil, fmt.Errorf("%s: %w", dbfF.Name, err)
	}
	r.encoding = r.dbf.encoding
	return r, nil
}

func readZipFile(f *zip.File) ([]byte, error) {
	rc, err := f.Open()
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	return io.ReadAll(io.LimitReader(rc, 1<<20))
}

func (r *shpReader) Declared() (SourceCRS, bool) {
	if r.declared != nil {
		return *r.declared, true
	}
	return SourceCRS{}, false
}

func (r *shpReader) Progress() float64 {
	if r.shpSize == 0 {
		return 1
	}
	return min(1, float64(r.shpRead)/float64(r.shpSize))
}

func (r *shpReader) Close() error { return r.zr.Close() }

func (r *shpReader) Next() (*Record, error) {
	var rh [8]byte
	n, err := io.ReadFull(r.shp, rh[:])
	if n == 0 && errors.Is(err, io.EOF) {
		if r.dbf.read < r.dbf.count {
			return nil, fmt.Errorf("the .shp ends after %d records but the .dbf has %d (truncated?)", r.row, r.dbf.count)
		}
		return nil, io.EOF
	}
	if err != nil {
		return nil, fmt.Errorf("the .shp ends inside record %d (truncated?)", r.row+1)
	}
	words := binary.BigEndian.Uint32(rh[4:])
	if words > 1<<27 {
		return nil, fmt.Errorf("the .shp record %d claims %d bytes: the file is damaged", r.row+1, 2*int64(words))
	}
	content := make([]byte, 2*int(words))
	if _, err := io.ReadFull(r.shp, content); err != nil {
		return nil, fmt.Errorf("the .shp ends inside record %d (truncated?)", r.row+1)
	}
	r.shpRead += 8 + int64(len(content))
	attrs, err := r.dbf.next()
	if err != nil {
		return nil, err
	}
	if attrs == nil {
		return nil, fmt.Errorf("the .dbf ends after %d records but the .shp has more (truncated?)", r.row)
	}
	r.row++
	rec := &Record{Row: r.row, Raw: shpRaw{shape: content, attrs: attrs.raw}}
	if attrs.err != nil {
		rec.Err = attrs.err
	}
	rec.Cells = attrs.cells
	g, err := decodeShape(content)
	switch {
	case err != nil:
		rec.GeomErr = err
	case g == nil:
		rec.GeomErr = &RowError{Field: "geometry", Reason: "the record has no shape (null shape)"}
	default:
		rec.Geom = g
	}
	return rec, nil
}

// decodeShape reads one .shp record's content (Z and M values dropped).
func decodeShape(b []byte) (orb.Geometry, error) {
	bad := func(what string) error {
		return &RowError{Field: "geometry", Reason: "damaged shape: " + what}
	}
	if len(b) < 4 {
		return nil, bad("too short")
	}
	le := binary.LittleEndian
	f64 := func(off int) float64 { return math.Float64frombits(le.Uint64(b[off:])) }
	typ := le.Uint32(b)
	switch typ {
	case shpNull:
		return nil, nil
	case shpPoint, shpPointZ, shpPointM:
		if len(b) < 20 {
			return nil, bad("point too short")
		}
		return orb.Point{f64(4), f64(12)}, nil
	case shpMultiPoint, shpMultiPointZ, shpMultiPointM:
		if len(b) < 40 {
			return nil, bad("multipoint too short")
		}
		n := int(le.Uint32(b[36:]))
		if n < 0 || 40+16*n > len(b) {
			return nil, bad("point count beyond the record")
		}
		mp := make(orb.MultiPoint, n)
		for i := range mp {
			mp[i] = orb.Point{f64(40 + 16*i), f64(48 + 16*i)}
		}
		return mp, nil
	case shpPolyLine, shpPolyLineZ, shpPolyLineM, shpPolygon, shpPolygonZ, shpPolygonM:
		if len(b) < 44 {
			return nil, bad("too short")
		}
		np, nv := int(le.Uint32(b[36:])), int(le.Uint32(b[40:]))
		if np <= 0 || nv < 0 || np > len(b) || 44+4*np+16*nv > len(b) {
			return nil, bad("part or point count beyond the record")
		}
		starts := make([]int, np+1)
		for i := 0; i < np; i++ {
			starts[i] = int(le.Uint32(b[44+4*i:]))
		}
		starts[np] = nv
		base := 44 + 4*np
		var parts [][]orb.Point
		for i := 0; i < np; i++ {
			if starts[i] < 0 || starts[i] > starts[i+1] {
				return nil, bad("part offsets out of order")
			}
			pts := make([]orb.Point, starts[i+1]-starts[i])
			for j := range pts {
				off := base + 16*(starts[i]+j)
				pts[j] = orb.Point{f64(off), f64(off + 8)}
			}
			parts = append(parts, pts)
		}
		if typ == shpPolyLine || typ == shpPolyLineZ || typ == shpPolyLineM {
			mls := make(orb.MultiLineString, len(parts))
			for i, p := range parts {
				mls[i] = orb.LineString(p)
			}
			if len(mls) == 1 {
				return mls[0], nil
			}
			return mls, nil
		}
		return assemblePolygons(parts), nil
	}
	return nil, &RowError{Field: "geometry", Reason: fmt.Sprintf("shape type %d is not supported", typ)}
}

// assemblePolygons groups Shapefile rings into polygons: outer rings run
// clockwise, holes counter-clockwise and belong to the outer ring that
// contains them.
func assemblePolygons(parts [][]orb.Point) orb.Geometry {
	var outers []orb.Polygon
	var holes []orb.Ring
	for _, p := range parts {
		ring := orb.Ring(p)
		if ring.Orientation() == orb.CW || len(parts) == 1 {
			outers = append(outers, orb.Polygon{ring})
		} else {
			holes = append(holes, ring)
		}
	}
	for _, h := range holes {
		placed := false
		if len(h) > 0 {
			for i := range outers {
				if planar.RingContains(outers[i][0], h[0]) {
					outers[i] = append(outers[i], h)
					placed = true
					break
				}
			}
		}
		if !placed { // a lone counter-clockwise ring is an outer ring written the other way
			outers = append(outers, orb.Polygon{h})
		}
	}
	if len(outers) == 1 {
		return outers[0]
	}
	return orb.MultiPolygon(outers)
}

// dbfReader streams dBASE III records.
type dbfReader struct {
	r          *bufio.Reader
	count      int
	read       int
	recordSize int
	fields     []dbfField
	encoding   string
	header     []byte // the whole header, for writing rejected rows
	ldid       byte
}

type dbfField struct {
	name     string
	typ      byte
	length   int
	decimals int
}

type dbfRecord struct {
	cells map[string]any
	raw   []byte
	err   error
}

func newDBFReader(rc io.Reader, enc string) (*dbfReader, error) {
	br := bufio.NewReaderSize(rc, 256<<10)
	var h [32]byte
	if _, err := io.ReadFull(br, h[:]); err != nil {
		return nil, fmt.Errorf("the header is cut short")
	}
	le := binary.LittleEndian
	d := &dbfReader{r: br, count: int(le.Uint32(h[4:])), recordSize: int(le.Uint16(h[10:])), ldid: h[29]}
	hsize := int(le.Uint16(h[8:]))
	if hsize < 33 || d.recordSize < 1 {
		return nil, fmt.Errorf("not a dBASE file")
	}
	rest := make([]byte, hsize-32)
	if _, err := io.ReadFull(br, rest); err != nil {
		return nil, fmt.Errorf("the header is cut short")
	}
	d.header = append(h[:], rest...)
	if enc == "" && (d.ldid == 0x4D || d.ldid == 0x7A) { // code page 936 (GBK)
		enc = GBK
	}
	if enc == "" {
		enc = UTF8
	}
	d.encoding = enc
	for off := 0; off+32 <= len(rest) && rest[off] != 0x0D; off += 32 {
		fd := rest[off : off+32]
		name := fd[:11]
		if i := bytes.IndexByte(name, 0); i >= 0 {
			name = name[:i]
		}
		nm, err := decodeText(name, enc)
		if err != nil {
			return nil, fmt.Errorf("field name %d: %v", len(d.fields)+1, err)
		}
		d.fields = append(d.fields, dbfField{name: strings.TrimSpace(nm), typ: fd[11], length: int(fd[16]), decimals: int(fd[17])})
	}
	return d, nil
}

// next returns the next live record (deleted ones skipped), nil at the end.
func (d *dbfReader) next() (*dbfRecord, error) {
	for d.read < d.count {
		raw := make([]byte, d.recordSize)
		if _, err := io.ReadFull(d.r, raw); err != nil {
			return nil, fmt.Errorf("the .dbf ends inside record %d (truncated?)", d.read+1)
		}
		d.read++
		rec := &dbfRecord{raw: raw, cells: make(map[string]any, len(d.fields))}
		off := 1
		for _, f := range d.fields {
			if off+f.length > len(raw) {
				return nil, fmt.Errorf("the .dbf field %s lies beyond its record", f.name)
			}
			v := raw[off : off+f.length]
			off += f.length
			switch f.typ {
			case 'C':
				s, err := decodeText(bytes.TrimRight(v, " \x00"), d.encoding)
				if err != nil && rec.err == nil {
					rec.err = &RowError{Field: f.name, Reason: err.Error()}
				}
				rec.cells[f.name] = strings.TrimSpace(s)
			case 'D':
				// blanks and 00000000 are how DBF writers store no date
				s := strings.TrimSpace(string(v))
				switch {
				case strings.Trim(s, "0") == "":
					s = ""
				case len(s) == 8:
					s = s[:4] + "-" + s[4:6] + "-" + s[6:]
				}
				rec.cells[f.name] = s
			case 'L':
				switch strings.ToUpper(strings.TrimSpace(string(v))) {
				case "T", "Y":
					rec.cells[f.name] = "true"
				case "F", "N":
					rec.cells[f.name] = "false"
				default:
					rec.cells[f.name] = ""
				}
			default:
				rec.cells[f.name] = strings.TrimSpace(string(v))
			}
		}
		// '*' marks a deleted record; its shape is still in the .shp, so it
		// keeps its place but is reported rather than loaded
		if raw[0] == '*' {
			rec.err = &RowError{Field: "row", Reason: "the record is marked deleted in the .dbf"}
		}
		return rec, nil
	}
	return nil, nil
}

func decodeText(b []byte, enc string) (string, error) {
	if enc == GBK {
		out, err := simplifiedchinese.GB18030.NewDecoder().Bytes(b)
		if err != nil || bytes.ContainsRune(out, utf8.RuneError) {
			return string(out), fmt.Errorf("not valid GBK text: is the file UTF-8? import it with --encoding utf-8")
		}
		return string(out), nil
	}
	if !utf8.Valid(b) {
		return string(b), fmt.Errorf("not valid UTF-8 text: is the file GBK? add a .cpg or import it with --encoding gbk")
	}
	return string(b), nil
}
