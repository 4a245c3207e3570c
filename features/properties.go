package features

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// ParseValue checks one property value, as JSON, against its field with the
// same rules ParseInput applies, and returns the typed value (nil for null).
// Importers use it so a file is held to exactly what the API accepts.
func ParseValue(fd Field, raw json.RawMessage) (any, error) {
	return parseValue(fd, raw)
}

// ParseText checks a value that arrived as text (a CSV cell, a DBF field)
// or as a scalar (a GeoPackage column) against its field: the text is read
// as the field's kind (numbers for numeric fields; 是/否, true/false, 1/0
// for booleans; YYYY-MM-DD or YYYY/MM/DD for dates) and then held to the
// rules of ParseValue. An empty cell is an absent value: (nil, nil), or an
// error when the field is required.
func ParseText(fd Field, v any) (any, error) {
	var s string
	switch x := v.(type) {
	case nil:
		s = ""
	case string:
		s = x
	case []byte:
		s = string(x)
	case int64:
		s = strconv.FormatInt(x, 10)
	case int:
		s = strconv.Itoa(x)
	case float64:
		s = strconv.FormatFloat(x, 'f', -1, 64)
	case bool:
		s = strconv.FormatBool(x)
	case time.Time:
		s = x.Format("2006-01-02")
	default:
		s = fmt.Sprint(x)
	}
	s = strings.TrimSpace(s)
	if s == "" {
		if fd.Required {
			return nil, fmt.Errorf("required, may not be empty")
		}
		return nil, nil
	}
	var raw []byte
	switch fd.Kind {
	case Int, IntEnum, Numeric:
		x, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return nil, fmt.Errorf("want a number, got %q", s)
		}
		raw, _ = json.Marshal(x)
	case Bool:
		switch strings.ToLower(s) {
		case "true", "t", "yes", "y", "1", "是", "有":
			raw = []byte("true")
		case "false", "f", "no", "n", "0", "否", "无":
			raw = []byte("false")
		default:
			return nil, fmt.Errorf("want 是/否 or true/false, got %q", s)
		}
	case Date:
		if len(s) == 10 && s[4] == '/' && s[7] == '/' {
			s = s[:4] + "-" + s[5:7] + "-" + s[8:]
		}
		raw, _ = json.Marshal(s)
	default:
		raw, _ = json.Marshal(s)
	}
	return parseValue(fd, raw)
}

// Filterable reports whether name is a column exports and OGC item queries
// may filter on by equality: a field or a derived code (never free SQL).
func (l *Layer) Filterable(name string) bool {
	if _, ok := l.Field(name); ok {
		return true
	}
	switch name {
	case "grid_code", "township_code", "county_code", "village_code":
		return l.IsDerived(name)
	}
	return false
}
