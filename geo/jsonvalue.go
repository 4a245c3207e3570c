package geo

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
)

// maxJSONDepth bounds nesting in user geometry. The deepest legitimate
// GeoJSON geometry (a MultiPolygon inside a GeometryCollection) needs 7; the
// limit stops hostile input from recursing without bound.
const maxJSONDepth = 32

// decodeJSONStrict decodes raw into plain values (map[string]any, []any,
// json.Number, string, bool, nil) like encoding/json does, but rejects
// duplicate object members, which encoding/json silently resolves to the last
// one, and trailing data, and keeps numbers as their literal text so that
// overflowing literals (1e999) can be reported rather than failing the whole
// decode. Errors are *InvalidError with a path rooted at root.
func decodeJSONStrict(raw []byte, root string) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	v, err := readJSONValue(dec, root, 0)
	if err != nil {
		return nil, err
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, invalid(root, "unexpected data after the geometry object")
	}
	return v, nil
}

func readJSONValue(dec *json.Decoder, path string, depth int) (any, error) {
	if depth > maxJSONDepth {
		return nil, invalid(path, fmt.Sprintf("nested more than %d levels deep", maxJSONDepth))
	}
	tok, err := dec.Token()
	if err != nil {
		return nil, jsonSyntaxError(path, err)
	}
	delim, ok := tok.(json.Delim)
	if !ok {
		return tok, nil // json.Number, string, bool or nil
	}
	switch delim {
	case '{':
		obj := make(map[string]any)
		for dec.More() {
			keyTok, err := dec.Token()
			if err != nil {
				return nil, jsonSyntaxError(path, err)
			}
			key, _ := keyTok.(string) // the decoder only yields string keys
			member := path + "." + key
			if _, dup := obj[key]; dup {
				return nil, invalid(member, "member appears more than once")
			}
			if obj[key], err = readJSONValue(dec, member, depth+1); err != nil {
				return nil, err
			}
		}
		if _, err := dec.Token(); err != nil { // '}'
			return nil, jsonSyntaxError(path, err)
		}
		return obj, nil
	case '[':
		arr := []any{}
		for i := 0; dec.More(); i++ {
			v, err := readJSONValue(dec, path+"["+strconv.Itoa(i)+"]", depth+1)
			if err != nil {
				return nil, err
			}
			arr = append(arr, v)
		}
		if _, err := dec.Token(); err != nil { // ']'
			return nil, jsonSyntaxError(path, err)
		}
		return arr, nil
	}
	// A closing delimiter where a value should start; the decoder reports
	// this itself, but be explicit rather than return a Delim as a value.
	return nil, invalid(path, fmt.Sprintf("invalid JSON: unexpected %q", rune(delim)))
}

func jsonSyntaxError(path string, err error) *InvalidError {
	if errors.Is(err, io.EOF) {
		return invalid(path, "invalid JSON: unexpected end of input")
	}
	var syn *json.SyntaxError
	if errors.As(err, &syn) {
		return invalid(path, fmt.Sprintf("invalid JSON: %v (offset %d)", syn, syn.Offset))
	}
	return invalid(path, "invalid JSON: "+err.Error())
}

// jsonKind names the JSON type of a decoded value for error messages.
func jsonKind(v any) string {
	switch v.(type) {
	case map[string]any:
		return "an object"
	case []any:
		return "an array"
	case json.Number:
		return "a number"
	case string:
		return "a string"
	case bool:
		return "a boolean"
	case nil:
		return "null"
	}
	return fmt.Sprintf("%T", v)
}
