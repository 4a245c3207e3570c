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
	i := jsonlit.SkipSpace(raw, 0)
	if i >= len(raw) || raw[i] != '{' {
		return f, false
	}
	var seen [4]bool // type, id, geometry, properties
	i = jsonlit.SkipSpace(raw, i+1)
	if i < len(raw) && raw[i] == '}' {
		return f, true
	}
	for i < len(raw) {
		key, next, plain := jsonlit.StringSpan(raw, i)
		if !plain {
			return f, false
		}
		i = jsonlit.SkipSpace(raw, next)
		if i >= len(raw) || raw[i] != ':' {
			return f, false
		}
		vs := jsonlit.SkipSpace(raw, i+1)
		ve := valueEnd(raw, vs)
		if ve < 0 {
			return f, false
		}
		val := raw[vs:ve]
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
					return f, false // encoding/json matches names case-insensitively
				}
			}
		}
		if member >= 0 {
			if seen[member] {
				return f, false
			}
			seen[member] = true
		}
		switch member {
		case 0:
			s, _, plainType := jsonlit.StringSpan(val, 0)
			if !plainType {
				return f, false
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
					return f, false
				}
				f.Properties = props
			}
		}
		i = jsonlit.SkipSpace(raw, ve)
		if i < len(raw) && raw[i] == ',' {
			i = jsonlit.SkipSpace(raw, i+1)
			continue
		}
		if i < len(raw) && raw[i] == '}' && jsonlit.SkipSpace(raw, i+1) == len(raw) {
			return f, true
		}
		return f, false
	}
	return f, false
}

// splitObject cuts a valid JSON object into its members (the last of a name
// given twice wins, as with encoding/json); ok is false for an escaped name
// or a value that is not an object.
func splitObject(raw []byte) (map[string]json.RawMessage, bool) {
	if len(raw) == 0 || raw[0] != '{' {
		return nil, false
	}
	out := map[string]json.RawMessage{}
	i := jsonlit.SkipSpace(raw, 1)
	if i < len(raw) && raw[i] == '}' {
		return out, true
	}
	for i < len(raw) {
		key, next, plain := jsonlit.StringSpan(raw, i)
		if !plain {
			return nil, false
		}
		i = jsonlit.SkipSpace(raw, next)
		if i >= len(raw) || raw[i] != ':' {
			return nil, false
		}
		vs := jsonlit.SkipSpace(raw, i+1)
		ve := valueEnd(raw, vs)
		if ve < 0 {
			return nil, false
		}
		out[string(key)] = raw[vs:ve]
		i = jsonlit.SkipSpace(raw, ve)
		if i < len(raw) && raw[i] == ',' {
			i = jsonlit.SkipSpace(raw, i+1)
			continue
		}
		if i == len(raw)-1 && raw[i] == '}' {
			return out, true
		}
		return nil, false
	}
	return nil, false
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
