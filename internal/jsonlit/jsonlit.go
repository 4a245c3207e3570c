// Package jsonlit reads the plain JSON literals that make up most of a
// large file (strings without escapes, numbers) without encoding/json's
// reflection. Each function answers false for anything it does not
// handle, and the caller then uses encoding/json: the result is always
// the one encoding/json would give.
package jsonlit

import "unicode/utf8"

// String returns the value of raw when it is exactly a JSON string
// without escapes in valid UTF-8.
func String(raw []byte) (string, bool) {
	if len(raw) < 2 || raw[0] != '"' || raw[len(raw)-1] != '"' {
		return "", false
	}
	body := raw[1 : len(raw)-1]
	for _, c := range body {
		if c == '\\' || c == '"' || c < 0x20 {
			return "", false
		}
	}
	if !utf8.Valid(body) {
		return "", false
	}
	return string(body), true
}

// IsNumber reports whether raw is exactly one JSON number (RFC 8259:
// -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?).
func IsNumber(raw []byte) bool {
	return NumberLen(raw) == len(raw) && len(raw) > 0
}

// NumberLen is the length of the JSON number raw starts with (0: none).
func NumberLen(raw []byte) int {
	i := 0
	if i < len(raw) && raw[i] == '-' {
		i++
	}
	switch {
	case i < len(raw) && raw[i] == '0':
		i++
	case i < len(raw) && raw[i] >= '1' && raw[i] <= '9':
		for i < len(raw) && isDigit(raw[i]) {
			i++
		}
	default:
		return 0
	}
	if i < len(raw) && raw[i] == '.' {
		j := i + 1
		for j < len(raw) && isDigit(raw[j]) {
			j++
		}
		if j == i+1 {
			return 0
		}
		i = j
	}
	if i < len(raw) && (raw[i] == 'e' || raw[i] == 'E') {
		j := i + 1
		if j < len(raw) && (raw[j] == '+' || raw[j] == '-') {
			j++
		}
		k := j
		for k < len(raw) && isDigit(raw[k]) {
			k++
		}
		if k == j {
			return 0
		}
		i = k
	}
	return i
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }
