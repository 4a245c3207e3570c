// Package sheet writes tables for people's spreadsheets: CSV that Excel
// opens with its Chinese intact and without running anything a user typed.
package sheet

import (
	"encoding/csv"
	"io"
	"regexp"
)

// number is a plain decimal a spreadsheet reads as a number, never as a
// formula (-3.5, +86, 1e3); ParseFloat's wider grammar (Inf, NaN, hex) is
// not this.
var number = regexp.MustCompile(`^[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?$`)

// Safe neutralises a cell a spreadsheet would run as a formula (OWASP's
// rule for CSV injection): one that starts with = + - @, a tab or a
// carriage return gets a leading apostrophe, which Excel and LibreOffice
// take as "text". A signed plain number is left as it is.
func Safe(s string) string {
	if s == "" {
		return s
	}
	switch s[0] {
	case '+', '-':
		if number.MatchString(s) {
			return s
		}
		return "'" + s
	case '=', '@', '\t', '\r':
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

// WriteTable writes a whole table as CSV (NewCSV): the head, then the rows.
func WriteTable(w io.Writer, head []string, rows [][]string) error {
	c, err := NewCSV(w)
	if err != nil {
		return err
	}
	for _, rec := range append([][]string{head}, rows...) {
		if err := c.Write(rec); err != nil {
			return err
		}
	}
	return c.Flush()
}
