package importers

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/paulmach/orb"
)

// Format names an input file format.
type Format string

const (
	GeoJSON   Format = "geojson"
	CSV       Format = "csv"
	Shapefile Format = "shapefile" // zipped: .shp .shx .dbf .prj .cpg
	GPKG      Format = "gpkg"
	XLSX      Format = "xlsx" // the first sheet, read like a CSV
)

// ParseFormat reads --format.
func ParseFormat(s string) (Format, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "geojson", "json", "geojsonseq", "ndjson":
		return GeoJSON, nil
	case "csv":
		return CSV, nil
	case "shapefile", "shp", "zip":
		return Shapefile, nil
	case "gpkg", "geopackage":
		return GPKG, nil
	case "xlsx", "excel":
		return XLSX, nil
	}
	return "", fmt.Errorf("unknown format %q: want geojson, csv, xlsx, shapefile (zipped) or gpkg", s)
}

// DetectFormat tells the format of the file at path from its first bytes,
// and from its name when the bytes do not decide.
func DetectFormat(path, name string) (Format, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	head := make([]byte, 512)
	n, _ := io.ReadFull(f, head)
	head = head[:n]
	switch {
	case bytes.HasPrefix(head, []byte("PK\x03\x04")):
		// a zipped Shapefile, or an Excel workbook (a zip too)
		if isXLSX(path) {
			return XLSX, nil
		}
		return Shapefile, nil
	case bytes.HasPrefix(head, []byte("SQLite format 3\x00")):
		return GPKG, nil
	}
	switch strings.ToLower(filepath.Ext(name)) {
	case ".geojson", ".json", ".geojsonl", ".geojsons", ".ndjson", ".jsonl":
		return GeoJSON, nil
	case ".csv", ".txt", ".tsv":
		return CSV, nil
	case ".zip", ".shp":
		return Shapefile, nil
	case ".gpkg":
		return GPKG, nil
	case ".xlsx":
		return XLSX, nil
	}
	t := bytes.TrimLeft(bytes.TrimPrefix(head, []byte("\xef\xbb\xbf")), " \t\r\n\x1e")
	if len(t) > 0 && t[0] == '{' {
		return GeoJSON, nil
	}
	if n == 0 {
		return "", fmt.Errorf("the file is empty")
	}
	return CSV, nil
}

// Record is one row of an input file, as read: before any rule is applied.
type Record struct {
	Row int // 1-based: the data row of a CSV (header not counted), the feature or record number
	// Cells maps the file's column (property) names to values: JSON
	// (json.RawMessage) from GeoJSON, text from CSV and DBF, scalars from
	// GeoPackage.
	Cells map[string]any
	// Geom is in the file's coordinate system; nil when the row has none.
	Geom orb.Geometry
	// GeomJSON is a GeoJSON geometry not parsed yet (GeoJSON input: how
	// strictly depends on the coordinate system in force).
	GeomJSON json.RawMessage
	// GeomErr says why the geometry could not be read (named as its field).
	GeomErr error
	// Err makes the whole row unreadable (e.g. one bad line of NDJSON).
	Err error
	// Raw is the row as it came, for writing rejected rows back in the
	// input's format.
	Raw any
}

// RowError is a problem with one field of a row.
type RowError struct {
	Field, Reason string
}

func (e *RowError) Error() string { return e.Field + ": " + e.Reason }

// Reader streams the records of a file.
type Reader interface {
	// Next returns the next record, io.EOF at the end, or an error that makes
	// the file as a whole unreadable (truncated, not the format it claims).
	Next() (*Record, error)
	// Declared is the coordinate system the file itself names (.prj,
	// GeoPackage srs, GeoJSON crs member), if any.
	Declared() (SourceCRS, bool)
	// Progress is the share of the file read so far, 0 to 1.
	Progress() float64
	Close() error
}

// countingReader counts bytes for progress.
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// fileInput opens path with a buffered, counted reader.
type fileInput struct {
	f    *os.File
	cr   *countingReader
	br   *bufio.Reader
	size int64
}

func openFile(path string) (*fileInput, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	cr := &countingReader{r: f}
	return &fileInput{f: f, cr: cr, br: bufio.NewReaderSize(cr, 1<<20), size: st.Size()}, nil
}

func (fi *fileInput) progress() float64 {
	if fi.size == 0 {
		return 1
	}
	return min(1, float64(fi.cr.n)/float64(fi.size))
}

// Open opens the file at path as format.
func Open(path string, format Format, opts Options) (Reader, error) {
	switch format {
	case GeoJSON:
		return openGeoJSON(path, opts)
	case CSV:
		return openCSV(path, opts)
	case Shapefile:
		return openShapefile(path, opts)
	case GPKG:
		return openGPKG(path, opts)
	case XLSX:
		return openXLSX(path)
	}
	return nil, fmt.Errorf("unknown format %q", format)
}
