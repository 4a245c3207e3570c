package importers

import (
	"encoding/json"
	"strings"

	"riskmap/internal/jsonlit"
)

// splitFeature cuts a Feature's JSON, known to be valid, into its members
// without reflection: what json.Unmarshal into geojsonFeature gives, for
// the plain Features nearly every file holds, at a third of the cost (on a
// million-row import, decoding was a fifth of the time). ok is false for
// anything less plain (not an object, a member named twice or not in lower
// case, an escaped name, a type that is not a plain string, properties that
// are not an object or null): the caller then decodes it with
// encoding/json, which also words the errors.
func splitFeature(raw []byte) (f geojsonFeature, ok bool) {
	var seen [4]bool // type, id, geometry, properties
	ok = eachMember(raw, func(key, val []byte) bool {
		member := -1
		switch string(key) {
		case "type":
			member = 0
		case "id":
			member = 1
		case "geometry":
			member = 2
		case "properties":
			member = 3
		default:
			for _, k := range []string{"type", "id", "geometry", "properties"} {
				if strings.EqualFold(string(key), k) {
					return false // encoding/json matches names case-insensitively
				}
			}
			return true
		}
		if seen[member] {
			return false
		}
		seen[member] = true
		switch member {
		case 0:
			s, _, plainType := jsonlit.StringSpan(val, 0)
			if !plainType {
				return false
			}
			f.Type = string(s)
		case 1:
			f.ID = val
		case 2:
			f.Geometry = val
		case 3:
			if string(val) != "null" {
				props, okProps := splitObject(val)
				if !okProps {
					return false
				}
				f.Properties = props
			}
		}
		return true
	})
	return f, ok
}

// splitObject cuts a valid JSON object into its members (the last of a name
// given twice wins, as with encoding/json); ok is false for an escaped name
// or a value that is not an object.
func splitObject(raw []byte) (map[string]json.RawMessage, bool) {
	out := map[string]json.RawMessage{}
	if !eachMember(raw, func(key, val []byte) bool {
		out[string(key)] = val
		return true
	}) {
		return nil, false
	}
	return out, true
}

// eachMember calls fn with each member of the valid JSON object raw (which
// may have whitespace around it), in order, until fn says stop; ok is false
// when raw is not an object, a name is escaped, or fn stopped.
func eachMember(raw []byte, fn func(key, val []byte) bool) (ok bool) {
	i := jsonlit.SkipSpace(raw, 0)
	if i >= len(raw) || raw[i] != '{' {
		return false
	}
	i = jsonlit.SkipSpace(raw, i+1)
	if i < len(raw) && raw[i] == '}' {
		return jsonlit.SkipSpace(raw, i+1) == len(raw)
	}
	for i < len(raw) {
		key, next, plain := jsonlit.StringSpan(raw, i)
		if !plain {
			return false
		}
		i = jsonlit.SkipSpace(raw, next)
		if i >= len(raw) || raw[i] != ':' {
			return false
		}
		vs := jsonlit.SkipSpace(raw, i+1)
		ve := valueEnd(raw, vs)
		if ve < 0 || !fn(key, raw[vs:ve]) {
			return false
		}
		i = jsonlit.SkipSpace(raw, ve)
		if i < len(raw) && raw[i] == ',' {
			i = jsonlit.SkipSpace(raw, i+1)
			continue
		}
		return i < len(raw) && raw[i] == '}' && jsonlit.SkipSpace(raw, i+1) == len(raw)
	}
	return false
}

// valueEnd is the index just after the valid JSON value starting at b[i],
// or -1.
func valueEnd(b []byte, i int) int {
	if i >= len(b) {
		return -1
	}
	switch b[i] {
	case '"':
		for j := i + 1; j < len(b); j++ {
			switch b[j] {
			case '\\':
				j++
			case '"':
				return j + 1
			}
		}
		return -1
	case '{', '[':
		depth := 0
		for j := i; j < len(b); j++ {
			switch b[j] {
			case '"':
				k := valueEnd(b, j)
				if k < 0 {
					return -1
				}
				j = k - 1
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return j + 1
				}
			}
		}
		return -1
	}
	j := i
	for j < len(b) && !(b[j] == ',' || b[j] == '}' || b[j] == ']' || b[j] == ' ' || b[j] == '\t' || b[j] == '\n' || b[j] == '\r') {
		j++
	}
	if j == i {
		return -1
	}
	return j
}
