// Package jsonlit reads the plain JSON literals that make up most of a
// large file (strings without escapes, numbers) without encoding/json's
// reflection. Each function answers false for anything it does not
// handle, and the caller then uses encoding/json: the result is always
// the one encoding/json would give.
package jsonlit

import (
	"bytes"
	"unicode/utf8"
)

// String returns the value of raw when it is exactly a JSON string
// without escapes in valid UTF-8.
func String(raw []byte) (string, bool) {
	content, next, plain := StringSpan(raw, 0)
	if !plain || next != len(raw) {
		return "", false
	}
	return string(content), true
}

// StringSpan reads the string starting at b[i]: its content, the index
// after its closing quote, and whether it is plain (no escapes, valid
// UTF-8, no control characters, which JSON forbids); for anything else
// plain is false.
func StringSpan(b []byte, i int) (content []byte, next int, plain bool) {
	if i >= len(b) || b[i] != '"' {
		return nil, i, false
	}
	j := bytes.IndexByte(b[i+1:], '"')
	if j < 0 {
		return nil, i, false
	}
	s := b[i+1 : i+1+j]
	for _, c := range s {
		if c == '\\' || c < 0x20 {
			return nil, i, false
		}
	}
	if !utf8.Valid(s) {
		return nil, i, false // encoding/json would replace the bytes
	}
	return s, i + 2 + j, true
}

// SkipSpace is the index of the first byte from i on that is not JSON
// whitespace.
func SkipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
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
