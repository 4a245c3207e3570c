package importers

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
)

// geojsonReader streams a FeatureCollection feature by feature (never
// holding the whole file), or newline-delimited GeoJSON (one Feature per
// line, RFC 8142's record separators allowed).
type geojsonReader struct {
	in       *fileInput
	dec      *json.Decoder
	seq      bool
	line     int // seq: physical line
	row      int
	state    int // collection: 0 before features, 1 inside, 2 after
	declared *SourceCRS
}

// GeoJSONFeature is one Feature as read.
type geojsonFeature struct {
	Type       string                     `json:"type"`
	ID         json.RawMessage            `json:"id"`
	Geometry   json.RawMessage            `json:"geometry"`
	Properties map[string]json.RawMessage `json:"properties"`
}

func openGeoJSON(path string, _ Options) (Reader, error) {
	in, err := openFile(path)
	if err != nil {
		return nil, err
	}
	r, err := newGeoJSONReader(in)
	if err != nil {
		in.f.Close()
		return nil, err
	}
	return r, nil
}

func newGeoJSONReader(in *fileInput) (*geojsonReader, error) {
	r := &geojsonReader{in: in}
	// skip a BOM, then decide: a first line that is a whole Feature makes a
	// sequence; anything else is read as a FeatureCollection
	if b, _ := in.br.Peek(3); bytes.Equal(b, []byte("\xef\xbb\xbf")) {
		_, _ = in.br.Discard(3)
	}
	head, _ := in.br.Peek(1 << 20)
	first := head
	if i := bytes.IndexByte(head, '\n'); i >= 0 {
		first = head[:i]
	}
	first = bytes.TrimSpace(bytes.TrimLeft(first, "\x1e"))
	if len(first) > 0 && json.Valid(first) {
		var probe struct{ Type string }
		if json.Unmarshal(first, &probe) == nil && probe.Type == "Feature" {
			r.seq = true
			return r, nil
		}
	}
	r.dec = json.NewDecoder(in.br)
	return r, nil
}

func (r *geojsonReader) Declared() (SourceCRS, bool) {
	if r.declared != nil {
		return *r.declared, true
	}
	return SourceCRS{}, false
}

func (r *geojsonReader) Progress() float64 { return r.in.progress() }
func (r *geojsonReader) Close() error      { return r.in.f.Close() }

func (r *geojsonReader) Next() (*Record, error) {
	if r.seq {
		return r.nextLine()
	}
	return r.nextMember()
}

func (r *geojsonReader) nextLine() (*Record, error) {
	for {
		line, err := r.in.br.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) {
			// a line longer than the buffer: gather it whole
			buf := append([]byte(nil), line...)
			for errors.Is(err, bufio.ErrBufferFull) {
				line, err = r.in.br.ReadSlice('\n')
				buf = append(buf, line...)
			}
			line = buf
		}
		if len(line) == 0 && err != nil {
			if errors.Is(err, io.EOF) {
				return nil, io.EOF
			}
			return nil, err
		}
		r.line++
		t := bytes.TrimSpace(bytes.Trim(line, "\x1e"))
		if len(t) == 0 {
			if errors.Is(err, io.EOF) {
				return nil, io.EOF
			}
			continue
		}
		r.row++
		raw := append(json.RawMessage(nil), t...)
		rec := featureRecord(r.row, raw, false)
		if err != nil && !errors.Is(err, io.EOF) {
			return nil, err
		}
		return rec, nil
	}
}

// featureRecord turns one Feature's JSON into a record; a Feature that is
// not one is a row error, not a file error. valid says raw is known to be
// valid JSON (the collection's decoder checked it).
func featureRecord(row int, raw json.RawMessage, valid bool) *Record {
	rec := &Record{Row: row, Raw: raw}
	f, ok := geojsonFeature{}, false
	if valid || json.Valid(raw) {
		f, ok = splitFeature(raw)
	}
	if !ok {
		f = geojsonFeature{}
		if err := json.Unmarshal(raw, &f); err != nil {
			rec.Err = &RowError{Field: "feature", Reason: "not a GeoJSON Feature: " + jsonMessage(err)}
			return rec
		}
	}
	if f.Type != "Feature" {
		rec.Err = &RowError{Field: "type", Reason: fmt.Sprintf("want \"Feature\", got %q", f.Type)}
		return rec
	}
	rec.Cells = make(map[string]any, len(f.Properties))
	for k, v := range f.Properties {
		rec.Cells[k] = v
	}
	if len(f.Geometry) > 0 && string(f.Geometry) != "null" {
		rec.GeomJSON = f.Geometry
	}
	return rec
}

func (r *geojsonReader) nextMember() (*Record, error) {
	if r.state == 0 {
		if err := r.seekFeatures(); err != nil {
			return nil, err
		}
	}
	if r.state == 1 {
		if r.dec.More() {
			var raw json.RawMessage
			if err := r.dec.Decode(&raw); err != nil {
				return nil, r.fileError(err)
			}
			r.row++
			return featureRecord(r.row, raw, true), nil
		}
		if _, err := r.dec.Token(); err != nil { // ]
			return nil, r.fileError(err)
		}
		r.state = 2
	}
	// the members after "features" until the closing brace
	for r.dec.More() {
		if _, err := r.dec.Token(); err != nil {
			return nil, r.fileError(err)
		}
		var skip json.RawMessage
		if err := r.dec.Decode(&skip); err != nil {
			return nil, r.fileError(err)
		}
	}
	if _, err := r.dec.Token(); err != nil {
		return nil, r.fileError(err)
	}
	if _, err := r.dec.Token(); !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("the file has data after the FeatureCollection")
	}
	return nil, io.EOF
}

var epsgURN = regexp.MustCompile(`(?i)EPSG:{1,2}([0-9]+)$`)

// seekFeatures reads the collection's members up to its features array,
// taking note of a crs member (as GDAL writes for non-WGS84 output).
func (r *geojsonReader) seekFeatures() error {
	tok, err := r.dec.Token()
	if err != nil {
		return r.fileError(err)
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return fmt.Errorf("not GeoJSON: want a FeatureCollection object or one Feature per line")
	}
	sawType := false
	for r.dec.More() {
		tok, err := r.dec.Token()
		if err != nil {
			return r.fileError(err)
		}
		key, _ := tok.(string)
		switch key {
		case "type":
			var t string
			if err := r.dec.Decode(&t); err != nil {
				return r.fileError(err)
			}
			if t != "FeatureCollection" {
				return fmt.Errorf("not a FeatureCollection (type %q): a file holds a FeatureCollection or one Feature per line", t)
			}
			sawType = true
		case "crs":
			var c struct {
				Properties struct{ Name string } `json:"properties"`
			}
			if err := r.dec.Decode(&c); err != nil {
				return r.fileError(err)
			}
			if m := epsgURN.FindStringSubmatch(c.Properties.Name); m != nil {
				if sc, err := ParseCRS("EPSG:" + m[1]); err == nil {
					r.declared = &sc
				}
			} else if sc, err := ParseCRS(c.Properties.Name); err == nil {
				r.declared = &sc
			} else if c.Properties.Name == "urn:ogc:def:crs:OGC:1.3:CRS84" {
				r.declared = &WGS84
			}
		case "features":
			tok, err := r.dec.Token()
			if err != nil {
				return r.fileError(err)
			}
			if d, ok := tok.(json.Delim); !ok || d != '[' {
				return fmt.Errorf("features: want an array")
			}
			r.state = 1
			return nil
		default:
			var skip json.RawMessage
			if err := r.dec.Decode(&skip); err != nil {
				return r.fileError(err)
			}
		}
	}
	if !sawType {
		return fmt.Errorf("not GeoJSON: the object has no \"type\": \"FeatureCollection\"")
	}
	return fmt.Errorf("the FeatureCollection has no features array")
}

func (r *geojsonReader) fileError(err error) error {
	if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
		return fmt.Errorf("the file ends early after feature %d (truncated?)", r.row)
	}
	return fmt.Errorf("not valid JSON after feature %d (byte %d): %s", r.row, r.dec.InputOffset(), jsonMessage(err))
}

func jsonMessage(err error) string {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return se.Error() + " at byte " + strconv.FormatInt(se.Offset, 10)
	}
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return "want " + te.Type.String() + ", got JSON " + te.Value
	}
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return "unexpected end"
	}
	return err.Error()
}
