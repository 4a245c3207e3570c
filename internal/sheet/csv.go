// Package sheet writes tables for people's spreadsheets: CSV that Excel
// opens without running anything a user typed, and XLSX workbooks in which
// codes stay text.
package sheet

import (
	"encoding/csv"
	"io"
	"strconv"
)

// Safe neutralises a CSV cell a spreadsheet would run as a formula: one
// that starts with = + - @, a tab or a carriage return gets a leading
// apostrophe (OWASP's rule for CSV injection), which Excel and LibreOffice
// show as text and drop. Plain numbers (-3.5, +86) are left as they are:
// a spreadsheet reads them as numbers, never as formulas.
func Safe(s string) string {
	if s == "" {
		return s
	}
	switch s[0] {
	case '=', '+', '-', '@', '\t', '\r':
		if _, err := strconv.ParseFloat(s, 64); err == nil && s[0] != '=' && s[0] != '@' {
			return s
		}
		return "'" + s
	}
	return s
}

// CSV writes records in UTF-8 with a byte-order mark (so Excel reads the
// Chinese), every cell through Safe.
type CSV struct {
	w   *csv.Writer
	rec []string
}

// NewCSV starts a CSV on w with the byte-order mark.
func NewCSV(w io.Writer) (*CSV, error) {
	if _, err := io.WriteString(w, "\ufeff"); err != nil {
		return nil, err
	}
	return &CSV{w: csv.NewWriter(w)}, nil
}

// Write writes one record.
func (c *CSV) Write(rec []string) error {
	c.rec = c.rec[:0]
	for _, s := range rec {
		c.rec = append(c.rec, Safe(s))
	}
	return c.w.Write(c.rec)
}

// Flush writes what is buffered and reports any error of the writes.
func (c *CSV) Flush() error {
	c.w.Flush()
	return c.w.Error()
}
