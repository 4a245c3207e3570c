package api

import (
	"encoding/json"
	"math"
	"strings"
	"testing"
	"unicode/utf8"

	"riskmap"
)

// FuzzParseBBox: any bbox string is either refused or gives four finite,
// ordered numbers in range.
func FuzzParseBBox(f *testing.F) {
	for _, s := range []string{"115,22,116,23", "116,23,115,22", "NaN,1,2,3", "1e999,0,0,0", "", ",,,", "' OR 1=1 --"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		b, err := parseBBox(s)
		if err != nil {
			return
		}
		for _, x := range b {
			if math.IsNaN(x) || math.IsInf(x, 0) {
				t.Fatalf("%q gave %v", s, b)
			}
		}
		if b[0] > b[2] || b[1] > b[3] || b[0] < -180 || b[2] > 180 || b[1] < -90 || b[3] > 90 {
			t.Fatalf("%q gave %v", s, b)
		}
	})
}

// FuzzCursor: cursors round-trip and garbage is refused, never misread as
// a negative id.
func FuzzCursor(f *testing.F) {
	f.Add("aWQ6NDExOQ", int64(4119))
	f.Add("", int64(0))
	f.Add("aWQ6LTE", int64(1))
	f.Fuzz(func(t *testing.T, s string, id int64) {
		if got, ok := decodeCursor(s); ok && got < 0 {
			t.Fatalf("%q decoded to %d", s, got)
		}
		if id >= 0 {
			if got, ok := decodeCursor(encodeCursor(id)); !ok || got != id {
				t.Fatalf("%d round-tripped to %d %v", id, got, ok)
			}
		}
	})
}

// FuzzJSONText: a body the input check lets through holds, once decoded,
// no NUL and no replaced bytes; one it refuses names a field and really
// holds one.
func FuzzJSONText(f *testing.F) {
	for _, s := range []string{`{"a":"b"}`, `{"a":"\u0000"}`, `{"a":"\\u0000"}`, "{\"a\":\"\xff\"}", `[{"x":["y","\u0000"]}]`, "{\"\xff\":1}", `{"a":`, `"\u0000"`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		err := jsonBodyProblem(body)
		var v any
		if json.Unmarshal(body, &v) != nil {
			return // malformed: the handler's to report
		}
		has := !utf8.Valid(body) || holdsNUL(v)
		if has != (err != nil) {
			t.Fatalf("%q: refused %v, holds bad text %v", body, err, has)
		}
		if err != nil && len(riskmap.ErrorDetails(err)) != 1 {
			t.Fatalf("%q: %v names no field", body, err)
		}
	})
}

func holdsNUL(v any) bool {
	switch x := v.(type) {
	case map[string]any:
		for k, val := range x {
			if strings.IndexByte(k, 0) >= 0 || holdsNUL(val) {
				return true
			}
		}
	case []any:
		for _, val := range x {
			if holdsNUL(val) {
				return true
			}
		}
	case string:
		return strings.IndexByte(x, 0) >= 0
	}
	return false
}
