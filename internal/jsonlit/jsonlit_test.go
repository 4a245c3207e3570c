package jsonlit

import (
	"encoding/json"
	"testing"
)

func TestStringAgreesWithEncodingJSONOrDeclines(t *testing.T) {
	for _, raw := range []string{`"风险点1号"`, `""`, `"a b"`, `"a\"b"`, `"a\\nb"`, `"\u4e2d"`, `"x`, `x"`, `12`, `null`, "\"a\tb\"", "\"\xff\""} {
		got, ok := String([]byte(raw))
		var want string
		err := json.Unmarshal([]byte(raw), &want)
		if ok && (err != nil || got != want) {
			t.Errorf("String(%q) = %q, encoding/json: %q, %v", raw, got, want, err)
		}
		if !ok && raw == `"风险点1号"` {
			t.Errorf("String(%q) declined a plain string", raw)
		}
	}
}

func TestIsNumberFollowsTheJSONGrammar(t *testing.T) {
	for raw, want := range map[string]bool{
		"0": true, "-0": true, "115.1403017": true, "-1.5e-3": true, "2E+10": true, "406": true,
		"": false, "-": false, "01": false, "1.": false, ".5": false, "1e": false, "+1": false, "0x10": false,
		"Inf": false, "NaN": false, "1_000": false, "1 ": false, " 1": false,
	} {
		if got := IsNumber([]byte(raw)); got != want {
			t.Errorf("IsNumber(%q) = %v, want %v", raw, got, want)
		}
		var n json.Number
		if want && json.Unmarshal([]byte(raw), &n) != nil {
			t.Errorf("%q: encoding/json refuses what IsNumber accepts", raw)
		}
	}
}

func FuzzStringAndIsNumberNeverDisagreeWithEncodingJSON(f *testing.F) {
	for _, s := range []string{`"abc"`, `12.5`, `-0e+1`, `"a\"b"`, `"中文"`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		if s, ok := String(raw); ok {
			var want string
			if err := json.Unmarshal(raw, &want); err != nil || want != s {
				t.Fatalf("String(%q) = %q; encoding/json %q, %v", raw, s, want, err)
			}
		}
		if IsNumber(raw) {
			var n json.Number
			if err := json.Unmarshal(raw, &n); err != nil || string(n) != string(raw) {
				t.Fatalf("IsNumber(%q); encoding/json %q, %v", raw, n, err)
			}
		}
	})
}
