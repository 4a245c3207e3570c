package importers

import (
	"fmt"
	"strconv"
	"strings"

	"riskmap"
)

// Options of one import.
type Options struct {
	Layer  string
	Format Format // empty: detected
	// CRS overrides the file's own (.prj, GeoPackage srs, GeoJSON crs);
	// empty: the file's, else WGS84.
	CRS string
	// Encoding of CSV and DBF text: utf-8 or gbk; empty: from the .cpg, the
	// DBF's language driver or a UTF-8 BOM, else utf-8.
	Encoding string
	// SkipInvalid loads the valid rows and writes the rejected ones to a
	// file in the input's format; off, any rejected row stops the import
	// before anything is written.
	SkipInvalid bool
	// Mapping maps file columns to layer fields, over the built-in names
	// (field names and Chinese headers such as 名称, 经度, 纬度).
	Mapping map[string]string
	// Ignore names file columns to leave out; any other column that maps
	// to no field refuses the file.
	Ignore []string
	// Table picks the GeoPackage table when it has several.
	Table string
	// BatchSize is the number of rows applied per transaction (default
	// 20,000), or per statement in a bulk load.
	BatchSize int
	// Bulk says whether a point layer's rows are loaded in bulk (BulkMode).
	Bulk BulkMode
}

// OptionNames are the options an import takes, by the names of the
// upload's form fields (POST /api/v1/imports); the command's flags are the
// same with - for _ (--skip-invalid). map and ignore may come more than
// once; ignore also takes a comma-separated list of columns.
func OptionNames() []string {
	return []string{"layer", "format", "crs", "encoding", "skip_invalid", "bulk", "map", "ignore", "table", "batch"}
}

// ParseOptions reads an import's options as a person wrote them, by
// OptionNames (a form field or flag may come more than once: map and ignore do),
// into Options: the one parser for the API and the command. A bad value is
// an EINVALID error naming its field.
func ParseOptions(raw map[string][]string) (Options, error) {
	var o Options
	for name, vs := range raw {
		known := false
		for _, n := range OptionNames() {
			known = known || n == name
		}
		if !known {
			return o, optionError(name, "unknown option (want %s)", strings.Join(OptionNames(), ", "))
		}
		if name != "map" && name != "ignore" && len(vs) > 1 {
			return o, optionError(name, "given %d times", len(vs))
		}
	}
	one := func(name string) string {
		if vs := raw[name]; len(vs) > 0 {
			return strings.TrimSpace(vs[0])
		}
		return ""
	}
	var err error
	if o.Layer = one("layer"); o.Layer == "" {
		return o, optionError("layer", "required: the layer to import into")
	}
	if v := one("format"); v != "" {
		if o.Format, err = ParseFormat(v); err != nil {
			return o, optionError("format", "%v", err)
		}
	}
	if o.CRS = one("crs"); o.CRS != "" {
		if _, err := ParseCRS(o.CRS); err != nil {
			return o, optionError("crs", "%v", err)
		}
	}
	if o.Encoding, err = ParseEncoding(one("encoding")); err != nil {
		return o, optionError("encoding", "%v", err)
	}
	switch v := strings.ToLower(one("skip_invalid")); v {
	case "", "false", "0", "off", "no":
	case "true", "1", "on", "yes":
		o.SkipInvalid = true
	default:
		return o, optionError("skip_invalid", "want true or false, got %q", v)
	}
	if o.Bulk, err = ParseBulkMode(one("bulk")); err != nil {
		return o, optionError("bulk", "%v", err)
	}
	if o.Mapping, err = ParseMapping(raw["map"]); err != nil {
		return o, optionError("map", "%v", err)
	}
	for _, v := range raw["ignore"] {
		for _, col := range strings.Split(v, ",") {
			if col = strings.TrimSpace(col); col != "" {
				o.Ignore = append(o.Ignore, col)
			}
		}
	}
	o.Table = one("table")
	if v := one("batch"); v != "" {
		if o.BatchSize, err = strconv.Atoi(v); err != nil || o.BatchSize < 1 {
			return o, optionError("batch", "want a whole number of rows from 1, got %q", v)
		}
	}
	return o, nil
}

func optionError(field, format string, args ...any) error {
	e := riskmap.Errorf(riskmap.EINVALID, field+": "+format, args...)
	return e.WithDetails(riskmap.Detail{Field: field, Message: fmt.Sprintf(format, args...)})
}

// forcedCRS is the coordinate system the options impose on the file, or
// nil to take the file's own.
func (o Options) forcedCRS() (*SourceCRS, error) {
	if o.CRS == "" {
		return nil, nil
	}
	c, err := ParseCRS(o.CRS)
	if err != nil {
		return nil, optionError("crs", "%v", err)
	}
	return &c, nil
}

// ParseMapping reads "column=field" pairs (comma-separated or repeated).
func ParseMapping(pairs []string) (map[string]string, error) {
	m := map[string]string{}
	for _, p := range pairs {
		for _, kv := range strings.Split(p, ",") {
			if strings.TrimSpace(kv) == "" {
				continue
			}
			col, field, ok := strings.Cut(kv, "=")
			if !ok || strings.TrimSpace(col) == "" || strings.TrimSpace(field) == "" {
				return nil, fmt.Errorf("mapping %q: want column=field", kv)
			}
			m[strings.TrimSpace(col)] = strings.TrimSpace(field)
		}
	}
	return m, nil
}

func (o Options) batchSize() int {
	if o.BatchSize > 0 {
		return o.BatchSize
	}
	return 20000
}
