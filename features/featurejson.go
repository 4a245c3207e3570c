package features

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
)

// A feature's properties are written as JSON here, in Go, from the columns
// as PostgreSQL writes them in text, byte for byte as json_build_object
// wrote them before ({"name" : "x", "risk_level" : 3}): building the
// object in the database looked up every value's type for every row (a
// third of the database's time for a page of 1,000 points). Dates and
// times keep PostgreSQL's own JSON form (to_json in the SELECT): it is the
// ISO form whatever the session's DateStyle.

// propertyColumns is the SELECT list of l's properties, in order, with the
// names the JSON object takes; a date or time column is selected as its
// JSON (to_json), anything else as it is.
func propertyColumns(l *Layer) (cols, names []string) {
	for _, f := range l.Fields {
		names = append(names, f.Name)
		if f.Kind == Date {
			cols = append(cols, "to_json(t."+f.Name+")")
		} else {
			cols = append(cols, "t."+f.Name)
		}
	}
	for _, d := range l.Derived {
		names = append(names, d)
		if d == "created_at" || d == "updated_at" {
			cols = append(cols, "to_json(t."+d+")")
		} else {
			cols = append(cols, "t."+d)
		}
	}
	if l.Inventory {
		names = append(names, "inventory")
		cols = append(cols, `(SELECT coalesce(json_agg(json_build_object(
			'item', i.item, 'unit', i.unit, 'quantity', i.quantity, 'batch', i.batch, 'expires_on', i.expires_on, 'updated_at', i.updated_at)
			ORDER BY i.item, i.batch), '[]'::json)
			FROM depot_items i WHERE i.depot_id = t.id AND i.quantity > 0)`)
	}
	return cols, names
}

// textResults asks for every column in text: what appendValue reads.
var textResults = pgx.QueryResultFormats{pgx.TextFormatCode}

// appendValue appends a column's text (nil: NULL) of type oid as the JSON
// value json_build_object makes of it.
func appendValue(b []byte, oid uint32, v []byte) ([]byte, error) {
	if v == nil {
		return append(b, "null"...), nil
	}
	switch oid {
	case pgtype.JSONOID:
		return append(b, v...), nil
	case pgtype.BoolOID:
		if len(v) == 1 && v[0] == 't' {
			return append(b, "true"...), nil
		}
		return append(b, "false"...), nil
	case pgtype.Int2OID, pgtype.Int4OID, pgtype.Int8OID, pgtype.OIDOID:
		return append(b, v...), nil
	case pgtype.NumericOID, pgtype.Float4OID, pgtype.Float8OID:
		if validNumber(v) {
			return append(b, v...), nil
		}
		return appendString(b, v), nil // NaN, Infinity: as strings, as PostgreSQL does
	case pgtype.TextOID, pgtype.VarcharOID, pgtype.BPCharOID, pgtype.NameOID:
		return appendString(b, v), nil
	}
	return nil, fmt.Errorf("a property column of type %d: add its JSON form to features.appendValue", oid)
}

// appendString is PostgreSQL's escape_json: quotes, backslashes and
// control characters escaped, everything else (all of Unicode) as it is.
func appendString(b, s []byte) []byte {
	b = append(b, '"')
	start := 0
	for i, c := range s {
		var esc string
		switch c {
		case '"':
			esc = `\"`
		case '\\':
			esc = `\\`
		case '\b':
			esc = `\b`
		case '\f':
			esc = `\f`
		case '\n':
			esc = `\n`
		case '\r':
			esc = `\r`
		case '\t':
			esc = `\t`
		default:
			if c >= ' ' {
				continue
			}
		}
		b = append(b, s[start:i]...)
		if esc != "" {
			b = append(b, esc...)
		} else {
			b = append(b, `\u00`...)
			b = append(b, "0123456789abcdef"[c>>4], "0123456789abcdef"[c&15])
		}
		start = i + 1
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// validNumber is PostgreSQL's IsValidJsonNumber for a numeric's text.
func validNumber(v []byte) bool {
	s := string(v)
	if s == "" || strings.ContainsAny(s, "NnIi") { // NaN, Infinity
		return false
	}
	_, err := strconv.ParseFloat(s, 64)
	return err == nil || strings.Contains(err.Error(), "range")
}

// scanFeatures reads the rows of selectFeature as GeoJSON Features, fn
// called for each (an error from fn stops, and is returned); it closes
// rows.
func scanFeatures(rows pgx.Rows, names []string, fn func(Feature) error) error {
	defer rows.Close()
	fds := rows.FieldDescriptions()
	if len(fds) != 3+len(names) {
		// a query that failed (the connection lost, say) has no columns:
		// its own error is the answer, so that "database away" stays a 503
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		return fmt.Errorf("features: %d columns, want %d", len(fds), 3+len(names))
	}
	for rows.Next() {
		raw := rows.RawValues()
		var f Feature
		var err error
		if f.ID, err = strconv.ParseInt(string(raw[0]), 10, 64); err != nil {
			return fmt.Errorf("features: id %q: %w", raw[0], err)
		}
		v, err := strconv.Atoi(string(raw[1]))
		if err != nil {
			return fmt.Errorf("features: version %q: %w", raw[1], err)
		}
		f.Version = v
		size := len(raw[2]) + 64
		for i, x := range raw[3:] {
			size += len(names[i]) + len(x) + 8
		}
		b := make([]byte, 0, size+size/8)
		b = append(b, `{"type":"Feature","id":`...)
		b = append(b, raw[0]...)
		b = append(b, `,"geometry":`...)
		if raw[2] == nil {
			b = append(b, "null"...)
		} else {
			b = append(b, raw[2]...)
		}
		b = append(b, `,"properties":{`...)
		for i, name := range names {
			if i > 0 {
				b = append(b, ", "...)
			}
			b = append(b, '"')
			b = append(b, name...) // names from the layer registry: nothing to escape
			b = append(b, `" : `...)
			if b, err = appendValue(b, fds[3+i].DataTypeOID, raw[3+i]); err != nil {
				return fmt.Errorf("features: %s: %w", name, err)
			}
		}
		f.JSON = append(b, "}}"...)
		if err := fn(f); err != nil {
			return err
		}
	}
	return rows.Err()
}
