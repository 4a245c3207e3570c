package importers

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/wkb"
	"github.com/paulmach/orb/geojson"
	"github.com/paulmach/orb/project"

	"riskmap/features"
	"riskmap/geo"
	"riskmap/internal/jsonlit"
)

// Problem is one reason a row was rejected.
type Problem struct {
	Row        int    `json:"row"`
	ExternalID string `json:"external_id,omitempty"`
	Field      string `json:"field"`
	Reason     string `json:"reason"`
}

// column is a column of the target table as the catalog describes it.
type column struct {
	notNull    bool
	defaultSQL string // from our own schema's catalog, never from input
}

// validator holds one row of a file to the layer's rules.
type validator struct {
	layer    *features.Layer
	keyField string // external_id for point layers, code for areas and grids
	crs      SourceCRS
	bounds   *geo.Bounds
	grids    *geo.GridIndex // nil: place in SQL
	mapping  map[string]string
	colmap   map[string]string // file column -> field or lon/lat/wkt
	mapped   bool
	ignored  map[string]bool
	// ignore names the columns the caller asked to leave out; unknown the
	// columns that map to nothing, columnErr an ambiguous one
	ignore    map[string]bool
	unknown   []string
	columnErr error
	warnings  []string
	columns   map[string]column
	// fields in staging order
	fields []features.Field
}

// staged is a row that passed: values in field order, the presence bits,
// the key, and the geometry as WKB (WGS84 unless the CRS is projected).
type staged struct {
	row     int
	key     string
	values  []any
	present int64
	wkb     []byte
	grid    string
}

func newValidator(l *features.Layer, crs SourceCRS, bounds *geo.Bounds, grids *geo.GridIndex, mapping map[string]string, ignore []string, cols map[string]column) *validator {
	v := &validator{layer: l, crs: crs, bounds: bounds, grids: grids, mapping: mapping, ignored: map[string]bool{}, ignore: map[string]bool{},
		columns: cols, fields: l.Fields, keyField: keyField(l)}
	for _, c := range ignore {
		v.ignore[c] = true
	}
	return v
}

func (v *validator) resolve(cols []string) {
	if v.mapped {
		// GeoJSON features may each carry other properties: map newcomers
		var fresh []string
		for _, c := range cols {
			if _, ok := v.colmap[c]; !ok && !v.ignored[c] {
				fresh = append(fresh, c)
			}
		}
		if len(fresh) == 0 {
			return
		}
		cols = fresh
	}
	m, ignored, unknown, err := columnMap(v.layer, cols, v.mapping, v.ignore)
	if err != nil && v.columnErr == nil {
		v.columnErr = err
	}
	for _, c := range unknown {
		if !v.ignored[c] {
			v.ignored[c] = true
			v.unknown = append(v.unknown, c)
		}
	}
	// a new map, never the one in use: rows already handed to other
	// goroutines keep reading the mapping they were resolved with
	colmap := make(map[string]string, len(v.colmap)+len(m))
	for c, f := range v.colmap {
		colmap[c] = f
	}
	for c, f := range m {
		colmap[c] = f
	}
	v.colmap = colmap
	for _, c := range ignored {
		if !v.ignored[c] {
			v.ignored[c] = true
			what := "derived by the server"
			if v.ignore[c] {
				what = "ignored as asked"
			} else if strings.EqualFold(c, "id") {
				what = "riskmap's own feature id; rows are matched by " + v.keyField
			}
			v.warnings = append(v.warnings, fmt.Sprintf("column %q not imported: %s", c, what))
		}
	}
	v.mapped = true
}

// columnProblem is what makes a file's columns unusable: a column that maps
// to no field (and was not named to be ignored), or a cut name several
// fields share. Nothing is imported then.
func (v *validator) columnProblem() string {
	if v.columnErr != nil {
		return v.columnErr.Error()
	}
	if len(v.unknown) == 0 {
		return ""
	}
	q := make([]string, len(v.unknown))
	for i, c := range v.unknown {
		q[i] = fmt.Sprintf("%q", c)
	}
	return fmt.Sprintf("column %s maps to no field of %s: map it to one (map=COLUMN=FIELD) or name it to be ignored (ignore=COLUMN)",
		strings.Join(q, ", "), v.layer.Name)
}

func sortedCells(cells map[string]any) []string {
	out := make([]string, 0, len(cells))
	for k := range cells {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// prepare maps rec's columns to fields (learning the columns it has not
// seen yet) and returns the mapping to check it with. It changes the
// validator, so rows are prepared one at a time, in file order; the
// checks proper (checkResolved) may then run on several goroutines.
func (v *validator) prepare(rec *Record) map[string]string {
	if rec.Err == nil {
		v.resolve(sortedCells(rec.Cells))
	}
	return v.colmap
}

// checkResolved validates rec with the column mapping prepare returned
// for it: the staged row or the row's problems. It only reads the
// validator.
func (v *validator) checkResolved(rec *Record, colmap map[string]string) (*staged, []Problem) {
	prob := func(field, reason string) Problem {
		return Problem{Row: rec.Row, Field: field, Reason: reason}
	}
	if rec.Err != nil {
		var re *RowError
		if errors.As(rec.Err, &re) {
			return nil, []Problem{prob(re.Field, re.Reason)}
		}
		return nil, []Problem{prob("row", rec.Err.Error())}
	}
	cols := sortedCells(rec.Cells)
	s := &staged{row: rec.Row, values: make([]any, len(v.fields))}
	var problems []Problem
	var lonCell, latCell, wktCell any
	var lonCol, latCol, wktCol string
	for _, c := range cols {
		f, ok := colmap[c]
		if !ok {
			continue
		}
		cell := rec.Cells[c]
		switch f {
		case colLon:
			lonCell, lonCol = cell, c
			continue
		case colLat:
			latCell, latCol = cell, c
			continue
		case colWKT:
			wktCell, wktCol = cell, c
			continue
		}
		i := v.fieldIndex(f)
		if i < 0 {
			problems = append(problems, prob(c, fmt.Sprintf("mapped to %q, which is not a field of %s", f, v.layer.Name)))
			continue
		}
		fd := v.fields[i]
		val, present, err := v.parseCell(fd, cell)
		if err != nil {
			problems = append(problems, prob(fd.Name, err.Error()))
			continue
		}
		if !present {
			continue
		}
		if val == nil && v.columns[fd.Name].notNull {
			problems = append(problems, prob(fd.Name, "may not be empty"))
			continue
		}
		s.values[i] = val
		s.present |= 1 << i
	}
	for i, fd := range v.fields {
		if fd.Required && s.present&(1<<i) == 0 && !hasProblem(problems, fd.Name) {
			problems = append(problems, prob(fd.Name, "required"))
		}
	}
	ki := v.fieldIndex(v.keyField)
	if k, ok := s.values[ki].(string); ok && k != "" {
		s.key = k
	} else if !hasProblem(problems, v.keyField) {
		problems = append(problems, prob(v.keyField, "required to import: a unique id per row (column external_id or 编号); importing the file again updates the rows by it"))
	}

	g, gerr := v.geometry(rec, lonCell, latCell, wktCell, lonCol, latCol, wktCol)
	if gerr != nil {
		var re *RowError
		if errors.As(gerr, &re) {
			problems = append(problems, prob(re.Field, re.Reason))
		} else {
			problems = append(problems, prob("geometry", gerr.Error()))
		}
	} else {
		b, err := wkb.Marshal(g, binary.LittleEndian)
		if err != nil {
			problems = append(problems, prob("geometry", err.Error()))
		}
		s.wkb = b
		if p, ok := g.(orb.Point); ok && v.grids != nil && v.layer.Placed {
			code, found := v.grids.Locate(p)
			if !found {
				problems = append(problems, prob("geometry", fmt.Sprintf("point (%s, %s) lies in no grid", fnum(p[0]), fnum(p[1]))))
			}
			s.grid = code
		}
	}
	if len(problems) > 0 {
		for i := range problems {
			problems[i].ExternalID = s.key
		}
		return nil, problems
	}
	return s, nil
}

func hasProblem(ps []Problem, field string) bool {
	for _, p := range ps {
		if p.Field == field {
			return true
		}
	}
	return false
}

func fnum(x float64) string { return strconv.FormatFloat(x, 'f', -1, 64) }

func (v *validator) fieldIndex(name string) int {
	for i, f := range v.fields {
		if f.Name == name {
			return i
		}
	}
	return -1
}

// parseCell checks one cell; present is false for an absent value (an
// empty CSV or DBF cell), which leaves the stored value alone.
func (v *validator) parseCell(fd features.Field, cell any) (val any, present bool, err error) {
	labels := valueLabels[fd.Name]
	if raw, ok := cell.(json.RawMessage); ok {
		if labels != nil {
			if s, ok := jsonText(raw); ok {
				if code, ok := labels[strings.TrimSpace(s)]; ok {
					if fd.Kind == features.IntEnum {
						raw = json.RawMessage(code)
					} else {
						raw, _ = json.Marshal(code)
					}
				}
			}
		}
		if (fd.Kind == features.Text || fd.Kind == features.Code12 || fd.Kind == features.Code15) && len(raw) > 0 && (raw[0] == '-' || (raw[0] >= '0' && raw[0] <= '9')) {
			raw, _ = json.Marshal(string(raw)) // a number where text is due (phone, code)
		}
		val, err = features.ParseValue(fd, raw)
		if err != nil {
			return nil, false, err
		}
		return normalise(fd, val), true, nil
	}
	if s, ok := cell.(string); ok {
		if code, ok := labels[strings.TrimSpace(s)]; ok {
			cell = code
		}
		if strings.TrimSpace(s) == "" {
			if fd.Required {
				return nil, false, fmt.Errorf("required, may not be empty")
			}
			return nil, false, nil
		}
	}
	if cell == nil && !fd.Required {
		return nil, false, nil
	}
	val, err = features.ParseText(fd, cell)
	if err != nil {
		return nil, false, err
	}
	return normalise(fd, val), true, nil
}

// normalise gives staged values the Go types COPY encodes for the staging
// columns' types.
func normalise(fd features.Field, v any) any {
	if v == nil {
		return nil
	}
	if fd.Kind == features.Date {
		if s, ok := v.(string); ok {
			t, err := time.Parse("2006-01-02", s)
			if err == nil {
				return t
			}
		}
	}
	return v
}

func (v *validator) allowedTypes() []string {
	if v.layer.Geometry == "MultiPolygon" {
		return []string{"Polygon", "MultiPolygon"}
	}
	return []string{v.layer.Geometry}
}

// geometry builds the row's geometry, checks its type and, for geographic
// systems, converts it to WGS84 and checks it lies in the city.
func (v *validator) geometry(rec *Record, lon, lat, wktCell any, lonCol, latCol, wktCol string) (orb.Geometry, error) {
	if rec.GeomErr != nil {
		return nil, rec.GeomErr
	}
	g := rec.Geom
	switch {
	case rec.GeomJSON != nil:
		var err error
		if v.crs.Projected() {
			var gg *geojson.Geometry
			gg, err = geojson.UnmarshalGeometry(rec.GeomJSON)
			if err == nil {
				g = gg.Geometry()
			}
		} else {
			g, err = geo.ParseGeometry(rec.GeomJSON)
		}
		if err != nil {
			var ie *geo.InvalidError
			if errors.As(err, &ie) {
				return nil, &RowError{Field: ie.Field, Reason: ie.Reason}
			}
			return nil, &RowError{Field: "geometry", Reason: err.Error()}
		}
	case g != nil:
	case wktCell != nil && cellText(wktCell) != "":
		var err error
		g, err = geo.ParseWKT(cellText(wktCell))
		if err != nil {
			reason := err.Error()
			var ie *geo.InvalidError
			if errors.As(err, &ie) {
				reason = ie.Reason
			}
			return nil, &RowError{Field: wktCol, Reason: reason}
		}
	case lonCol != "" || latCol != "":
		if lonCol == "" || latCol == "" {
			return nil, &RowError{Field: "geometry", Reason: "the file has a longitude or a latitude column but not both (经度/纬度, lon/lat)"}
		}
		x, err := cellFloat(lon)
		if err != nil {
			return nil, &RowError{Field: lonCol, Reason: err.Error()}
		}
		y, err := cellFloat(lat)
		if err != nil {
			return nil, &RowError{Field: latCol, Reason: err.Error()}
		}
		g = orb.Point{x, y}
	default:
		return nil, &RowError{Field: "geometry", Reason: "missing: the file needs a geometry, lon/lat columns (经度/纬度) or a WKT column"}
	}
	if g == nil {
		return nil, &RowError{Field: "geometry", Reason: "missing"}
	}
	if err := geo.CheckType(g, v.allowedTypes()...); err != nil {
		return nil, &RowError{Field: "geometry", Reason: err.Error()}
	}
	if !finite(g) {
		return nil, &RowError{Field: "geometry", Reason: "a coordinate is not a finite number"}
	}
	if v.layer.Geometry == "MultiPolygon" {
		mp, err := geo.AsMultiPolygon(g)
		if err != nil {
			return nil, &RowError{Field: "geometry", Reason: err.Error()}
		}
		g = mp
	}
	if v.crs.Projected() {
		return g, nil
	}
	if v.crs.Geo != geo.CRSWGS84 && v.crs.Geo != geo.CRSCGCS2000 {
		g = project.Geometry(orb.Clone(g), func(p orb.Point) orb.Point {
			x, y := geo.ToWGS84(v.crs.Geo, p[0], p[1])
			return orb.Point{x, y}
		})
	}
	if v.bounds != nil {
		if err := geo.CheckWithin(g, *v.bounds); err != nil {
			var ie *geo.InvalidError
			if errors.As(err, &ie) {
				return nil, &RowError{Field: "geometry", Reason: ie.Reason}
			}
			return nil, &RowError{Field: "geometry", Reason: err.Error()}
		}
	}
	return g, nil
}

func finite(g orb.Geometry) bool {
	if p, isPoint := g.(orb.Point); isPoint {
		return !math.IsNaN(p[0]) && !math.IsNaN(p[1]) && !math.IsInf(p[0], 0) && !math.IsInf(p[1], 0)
	}
	ok := true
	project.Geometry(orb.Clone(g), func(p orb.Point) orb.Point {
		if math.IsNaN(p[0]) || math.IsNaN(p[1]) || math.IsInf(p[0], 0) || math.IsInf(p[1], 0) {
			ok = false
		}
		return p
	})
	return ok
}

// jsonText decodes a JSON string (most need no encoding/json).
func jsonText(raw []byte) (string, bool) {
	if s, ok := jsonlit.String(raw); ok {
		return s, true
	}
	var s string
	return s, json.Unmarshal(raw, &s) == nil
}

func cellText(c any) string {
	switch x := c.(type) {
	case string:
		return strings.TrimSpace(x)
	case json.RawMessage:
		var s string
		if json.Unmarshal(x, &s) == nil {
			return strings.TrimSpace(s)
		}
		return string(x)
	case []byte:
		return string(x)
	case nil:
		return ""
	}
	return fmt.Sprint(c)
}

func cellFloat(c any) (float64, error) {
	switch x := c.(type) {
	case float64:
		return x, nil
	case int64:
		return float64(x), nil
	}
	s := cellText(c)
	if s == "" {
		return 0, fmt.Errorf("empty: want a number")
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return 0, fmt.Errorf("not a number: %q", s)
	}
	return f, nil
}
