package riskmap

import (
	"fmt"
	"unicode/utf8"
)

// Length caps on free text, in characters, the same in every package (a
// form, an action's note, an account's name): nothing takes unbounded text
// into an append-only history or a log. Feature layer fields have theirs
// in features.Layer (MaxLen).
const (
	MaxNameText = 100  // usernames, display names, short labels
	MaxLongText = 2000 // descriptions, notes, reasons, measures, plans
	// MaxPassword is in bytes: hashing a longer one only costs the server.
	MaxPassword = 1024
)

// CheckLength returns a Detail naming field when s is longer than max
// characters, else nil.
func CheckLength(field, s string, max int) *Detail {
	if n := utf8.RuneCountInString(s); n > max {
		return &Detail{Field: field, Message: fmt.Sprintf("longer than %d characters (%d)", max, n)}
	}
	return nil
}
