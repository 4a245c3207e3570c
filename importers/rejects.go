package importers

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/text/encoding/simplifiedchinese"

	"riskmap/internal/collection"
	"riskmap/internal/sheet"
)

// writeRejects writes the rejected rows as they came, in the input's
// format, so they can be fixed and imported again with the same options.
func writeRejects(r Reader, recs []*Record, name, tmpPath string) (*File, error) {
	base := strings.TrimSuffix(filepath.Base(name), filepath.Ext(name))
	switch x := r.(type) {
	case *geojsonReader:
		var b bytes.Buffer
		if x.seq {
			for _, rec := range recs {
				b.Write(rec.Raw.(json.RawMessage))
				b.WriteByte('\n')
			}
			return &File{Name: base + ".rejected.geojsonl", ContentType: "application/geo+json-seq", Data: b.Bytes()}, nil
		}
		fc := collection.New(&b, collection.Options{Lines: true})
		for _, rec := range recs {
			fc.Add(rec.Raw.(json.RawMessage))
		}
		fc.Close(nil)
		return &File{Name: base + ".rejected.geojson", ContentType: "application/geo+json", Data: b.Bytes()}, nil
	case *csvReader:
		var b bytes.Buffer
		w := csv.NewWriter(&b)
		w.Comma = x.comma
		// cells as uploaded, but none a spreadsheet would run (sheet.Safe):
		// the file is opened in Excel to be fixed
		safe := func(cells []string) []string {
			out := make([]string, len(cells))
			for i, c := range cells {
				out[i] = sheet.Safe(c)
			}
			return out
		}
		_ = w.Write(safe(x.header))
		for _, rec := range recs {
			if cells, ok := rec.Raw.([]string); ok {
				_ = w.Write(safe(cells))
			}
		}
		w.Flush()
		data := b.Bytes()
		ctype := "text/csv; charset=utf-8"
		if x.encoding == GBK {
			enc, err := simplifiedchinese.GB18030.NewEncoder().Bytes(data)
			if err != nil {
				return nil, err
			}
			data, ctype = enc, "text/csv; charset=gbk"
		} else {
			data = append([]byte("\xef\xbb\xbf"), data...)
		}
		return &File{Name: base + ".rejected.csv", ContentType: ctype, Data: data}, nil
	case *shpReader:
		raws := make([]shpRaw, 0, len(recs))
		for _, rec := range recs {
			raws = append(raws, rec.Raw.(shpRaw))
		}
		var b bytes.Buffer
		if err := writeShpZip(&b, base+".rejected", x.dbf.header, raws, x.prj, x.cpg); err != nil {
			return nil, err
		}
		return &File{Name: base + ".rejected.zip", ContentType: "application/zip", Data: b.Bytes()}, nil
	case *gpkgReader:
		return x.writeRejects(recs, base, tmpPath)
	case *xlsxReader:
		return x.writeRejects(recs, base)
	}
	return nil, fmt.Errorf("no writer for rejected rows of %T", r)
}

// writeRejects copies the rejected rows into a new GeoPackage with the
// same columns and coordinate system.
func (r *gpkgReader) writeRejects(recs []*Record, base, tmpPath string) (*File, error) {
	var srsID int
	var def string
	_ = r.db.QueryRow(`SELECT g.srs_id, s.definition FROM gpkg_geometry_columns g JOIN gpkg_spatial_ref_sys s ON s.srs_id = g.srs_id
		WHERE g.table_name = ?`, r.table).Scan(&srsID, &def)
	var geomType string
	_ = r.db.QueryRow(`SELECT geometry_type_name FROM gpkg_geometry_columns WHERE table_name = ?`, r.table).Scan(&geomType)
	if geomType == "" {
		geomType = "GEOMETRY"
	}
	var cols []GPKGColumn
	var idx []int
	for i, c := range r.cols {
		if i == r.geomIdx || (strings.EqualFold(c, "fid") && strings.Contains(r.colTypes[i], "INT")) {
			continue
		}
		t := r.colTypes[i]
		if t == "" {
			t = "TEXT"
		}
		cols = append(cols, GPKGColumn{Name: c, Type: t})
		idx = append(idx, i)
	}
	if srsID <= 0 {
		srsID, def = 0, ""
	}
	w, err := NewGPKGWriter(tmpPath, r.table, geomType, srsID, def, cols)
	if err != nil {
		return nil, err
	}
	for _, rec := range recs {
		raw := rec.Raw.(gpkgRaw)
		vals := make([]any, len(idx))
		for j, i := range idx {
			vals[j] = raw.values[i]
		}
		if err := w.writeBlob(raw.values[r.geomIdx], vals); err != nil {
			w.Close()
			return nil, err
		}
	}
	if err := w.Close(); err != nil {
		return nil, err
	}
	data, err := os.ReadFile(tmpPath)
	if err != nil {
		return nil, err
	}
	return &File{Name: base + ".rejected.gpkg", ContentType: "application/geopackage+sqlite3", Data: data}, nil
}
