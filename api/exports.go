package api

import (
	"bufio"
	"encoding/json"
	"fmt"
	"mime"
	"net/http"
	"os"
	"strconv"

	"github.com/gin-gonic/gin"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/wkt"
	"github.com/paulmach/orb/geojson"

	"riskmap"
	"riskmap/features"
	"riskmap/importers"
	"riskmap/internal/collection"
	"riskmap/internal/sheet"
)

// Exports of a layer, or of a filtered part of it, in the user's scope:
//
//	GET /api/v1/{layer}/export?format=geojson|csv|gpkg[&bbox=minLon,minLat,maxLon,maxLat][&FIELD=VALUE]...
//
// FIELD is any property of the layer or grid_code, township_code,
// county_code (equality). GeoJSON and CSV stream as they are read; CSV is
// UTF-8 with a BOM (Excel opens it) with lon/lat columns for points and a
// WKT column for polygons; a GeoPackage is built in a temporary file
// first (SQLite needs one) and then sent.
func (s *Server) exportRoutes(authed *gin.RouterGroup) {
	for _, name := range s.Features.Layers.Names() {
		authed.GET("/"+name+"/export", s.exportLayer(s.Features.Layers[name]))
	}
}

// scanQueryFrom reads bbox and equality filters; skip names parameters the
// caller handles itself.
func scanQueryFrom(c *gin.Context, l *features.Layer, skip ...string) (features.ScanQuery, error) {
	q := features.ScanQuery{Equals: map[string]string{}}
	for name, vals := range c.Request.URL.Query() {
		if contains(skip, name) {
			continue
		}
		if name == "bbox" {
			b, err := parseBBox(vals[0])
			if err != nil {
				return q, err
			}
			q.BBox = &b
			continue
		}
		if !l.Filterable(name) {
			return q, badParam(name, "unknown parameter: filter on a property of %s (or grid_code, township_code, county_code)", l.Name)
		}
		if len(vals) != 1 {
			return q, badParam(name, "give it once")
		}
		q.Equals[name] = vals[0]
	}
	return q, nil
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if x == y {
			return true
		}
	}
	return false
}

func (s *Server) exportLayer(l *features.Layer) gin.HandlerFunc {
	return func(c *gin.Context) {
		format := c.DefaultQuery("format", "geojson")
		q, err := scanQueryFrom(c, l, "format")
		if err != nil {
			s.fail(c, err)
			return
		}
		scope := currentUser(c).Scope()
		ctx := c.Request.Context()
		attach := func(ext string) {
			c.Header("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": l.Name + "." + ext}))
		}
		switch format {
		case "geojson":
			attach("geojson")
			c.Header("Content-Type", "application/geo+json")
			c.Status(http.StatusOK)
			w := bufio.NewWriterSize(c.Writer, 64<<10)
			fc := collection.New(w, collection.Options{Members: map[string]string{"name": l.Name}, Lines: true})
			err = s.Features.Scan(ctx, l, scope, q, func(f features.Feature) error { return fc.Add(f.JSON) })
			fc.Close(nil)
			w.Flush()
		case "csv":
			attach("csv")
			c.Header("Content-Type", "text/csv; charset=utf-8")
			c.Status(http.StatusOK)
			err = s.exportCSV(c, l, scope, q)
		case "gpkg":
			err = s.exportGPKG(c, l, scope, q)
		default:
			s.fail(c, badParam("format", "want geojson, csv or gpkg, got %q", format))
			return
		}
		if err != nil {
			if c.Writer.Written() {
				// the reply has begun: cut it short so the client sees a broken file, and log
				s.Logger.Error("export failed mid-stream", "layer", l.Name, "err", err)
				panic(http.ErrAbortHandler)
			}
			s.fail(c, err)
		}
	}
}

// exportColumns are the attribute columns of a layer's CSV and GeoPackage.
func exportColumns(l *features.Layer) []importers.GPKGColumn {
	cols := []importers.GPKGColumn{{Name: "id", Type: "INTEGER"}}
	for _, f := range l.Fields {
		t := "TEXT"
		switch f.Kind {
		case features.Int, features.IntEnum:
			t = "INTEGER"
		case features.Numeric:
			t = "REAL"
		case features.Date:
			t = "DATE"
		case features.Bool:
			t = "BOOLEAN"
		}
		cols = append(cols, importers.GPKGColumn{Name: f.Name, Type: t})
	}
	for _, d := range l.Derived {
		t := "TEXT"
		switch d {
		case "version":
			t = "INTEGER"
		case "created_at", "updated_at":
			t = "DATETIME"
		}
		cols = append(cols, importers.GPKGColumn{Name: d, Type: t})
	}
	return cols
}

type exportedFeature struct {
	ID         int64                      `json:"id"`
	Geometry   json.RawMessage            `json:"geometry"`
	Properties map[string]json.RawMessage `json:"properties"`
}

func decodeExported(f features.Feature) (exportedFeature, orb.Geometry, error) {
	var x exportedFeature
	if err := json.Unmarshal(f.JSON, &x); err != nil {
		return x, nil, err
	}
	g, err := geojson.UnmarshalGeometry(x.Geometry)
	if err != nil {
		return x, nil, err
	}
	return x, g.Geometry(), nil
}

// cellText renders a property for a CSV cell.
func cellText(raw json.RawMessage) string {
	if len(raw) == 0 || string(raw) == "null" {
		return ""
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	return string(raw)
}

func cellValue(raw json.RawMessage, typ string) any {
	if len(raw) == 0 || string(raw) == "null" {
		return nil
	}
	switch typ {
	case "INTEGER", "REAL":
		var n json.Number
		if json.Unmarshal(raw, &n) == nil {
			if i, err := n.Int64(); err == nil {
				return i
			}
			x, _ := n.Float64()
			return x
		}
	case "BOOLEAN":
		var b bool
		if json.Unmarshal(raw, &b) == nil {
			if b {
				return int64(1)
			}
			return int64(0)
		}
	}
	return cellText(raw)
}

func (s *Server) exportCSV(c *gin.Context, l *features.Layer, scope riskmap.Scope, q features.ScanQuery) error {
	bw := bufio.NewWriterSize(c.Writer, 64<<10)
	w, err := sheet.NewCSV(bw)
	if err != nil {
		return err
	}
	cols := exportColumns(l)
	header := make([]string, 0, len(cols)+2)
	for _, col := range cols {
		header = append(header, col.Name)
	}
	point := l.Geometry == "Point"
	if point {
		header = append(header, "lon", "lat")
	} else {
		header = append(header, "wkt")
	}
	if err := w.Write(header); err != nil {
		return err
	}
	err = s.Features.Scan(c.Request.Context(), l, scope, q, func(f features.Feature) error {
		x, g, err := decodeExported(f)
		if err != nil {
			return err
		}
		row := []string{strconv.FormatInt(x.ID, 10)}
		for _, col := range cols[1:] {
			row = append(row, cellText(x.Properties[col.Name]))
		}
		if p, ok := g.(orb.Point); ok && point {
			row = append(row, strconv.FormatFloat(p[0], 'f', -1, 64), strconv.FormatFloat(p[1], 'f', -1, 64))
		} else {
			row = append(row, wkt.MarshalString(g))
		}
		return w.Write(row)
	})
	if ferr := w.Flush(); err == nil {
		err = ferr
	}
	if ferr := bw.Flush(); err == nil {
		err = ferr
	}
	return err
}

func (s *Server) exportGPKG(c *gin.Context, l *features.Layer, scope riskmap.Scope, q features.ScanQuery) error {
	dir, err := os.MkdirTemp("", "riskmap-export-*")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	path := dir + "/" + l.Name + ".gpkg"
	cols := exportColumns(l)
	geomType := "POINT"
	if l.Geometry != "Point" {
		geomType = "MULTIPOLYGON"
	}
	w, err := importers.NewGPKGWriter(path, l.Name, geomType, 0, "", cols)
	if err != nil {
		return err
	}
	err = s.Features.Scan(c.Request.Context(), l, scope, q, func(f features.Feature) error {
		x, g, err := decodeExported(f)
		if err != nil {
			return err
		}
		vals := []any{x.ID}
		for _, col := range cols[1:] {
			vals = append(vals, cellValue(x.Properties[col.Name], col.Type))
		}
		return w.Write(g, vals...)
	})
	if cerr := w.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("export %s as GeoPackage: %w", l.Name, err)
	}
	c.Header("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": l.Name + ".gpkg"}))
	c.Header("Content-Type", "application/geopackage+sqlite3")
	c.File(path)
	return nil
}
