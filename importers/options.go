package importers

import (
	"fmt"
	"strings"
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
