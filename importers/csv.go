package importers

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/transform"
)

// Encodings of CSV and DBF text.
const (
	UTF8 = "utf-8"
	GBK  = "gbk"
)

// ParseEncoding reads --encoding.
func ParseEncoding(s string) (string, error) {
	switch strings.ToLower(strings.TrimSpace(strings.ReplaceAll(s, "_", "-"))) {
	case "":
		return "", nil
	case "utf-8", "utf8":
		return UTF8, nil
	case "gbk", "gb2312", "gb18030", "cp936", "936":
		return GBK, nil
	}
	return "", fmt.Errorf("unknown encoding %q: want utf-8 or gbk", s)
}

// csvReader streams a CSV file: a header row, then one row per feature.
type csvReader struct {
	in       *fileInput
	r        *csv.Reader
	header   []string
	encoding string
	row      int
	comma    rune
}

func openCSV(path string, opts Options) (Reader, error) {
	in, err := openFile(path)
	if err != nil {
		return nil, err
	}
	r, err := newCSVReader(in, opts.Encoding)
	if err != nil {
		in.f.Close()
		return nil, err
	}
	return r, nil
}

func newCSVReader(in *fileInput, encoding string) (*csvReader, error) {
	enc, err := ParseEncoding(encoding)
	if err != nil {
		return nil, err
	}
	var src io.Reader = in.br
	if b, _ := in.br.Peek(3); bytes.Equal(b, []byte("\xef\xbb\xbf")) {
		_, _ = in.br.Discard(3)
		if enc == "" {
			enc = UTF8
		}
	}
	if enc == "" {
		enc = UTF8
	}
	if enc == GBK {
		src = transform.NewReader(in.br, simplifiedchinese.GB18030.NewDecoder())
	}
	// the delimiter is whichever of , ; tab the header line has most of
	head, _ := in.br.Peek(64 << 10)
	if i := bytes.IndexByte(head, '\n'); i >= 0 {
		head = head[:i]
	}
	comma := ','
	best := bytes.Count(head, []byte{','})
	for _, d := range []rune{'\t', ';'} {
		if n := bytes.Count(head, []byte(string(d))); n > best {
			comma, best = d, n
		}
	}
	r := &csvReader{in: in, encoding: enc, comma: comma}
	r.r = csv.NewReader(src)
	r.r.Comma = comma
	r.r.FieldsPerRecord = -1
	r.r.ReuseRecord = false
	hdr, err := r.r.Read()
	if errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("the file is empty: want a header row (e.g. 编号,名称,经度,纬度)")
	}
	if err != nil {
		return nil, fmt.Errorf("header row: %w", err)
	}
	for i, h := range hdr {
		if enc == UTF8 && !utf8.ValidString(h) {
			return nil, fmt.Errorf("header column %d is not valid UTF-8: is the file GBK? import it with --encoding gbk", i+1)
		}
	}
	if r.header, err = headerNames(hdr, "header row"); err != nil {
		return nil, err
	}
	return r, nil
}

// headerNames trims a header row's names and names the unnamed columns
// column_N; a name given twice is an error (where says which row).
func headerNames(hdr []string, where string) ([]string, error) {
	out := make([]string, len(hdr))
	seen := map[string]bool{}
	for i, h := range hdr {
		h = strings.TrimSpace(h)
		if h == "" {
			h = fmt.Sprintf("column_%d", i+1)
		}
		if seen[h] {
			return nil, fmt.Errorf("%s names column %q twice", where, h)
		}
		seen[h] = true
		out[i] = h
	}
	return out, nil
}

func (r *csvReader) Declared() (SourceCRS, bool) { return SourceCRS{}, false }
func (r *csvReader) Progress() float64           { return r.in.progress() }
func (r *csvReader) Close() error                { return r.in.f.Close() }

// Header is the header row as read (UTF-8).
func (r *csvReader) Header() []string { return r.header }

func (r *csvReader) Next() (*Record, error) {
	for {
		rec, err := r.r.Read()
		if errors.Is(err, io.EOF) {
			return nil, io.EOF
		}
		var pe *csv.ParseError
		if err != nil && !errors.As(err, &pe) {
			return nil, fmt.Errorf("after row %d: %w", r.row, err)
		}
		if err == nil && len(rec) == 1 && strings.TrimSpace(rec[0]) == "" {
			continue // blank line
		}
		r.row++
		out := &Record{Row: r.row, Raw: rec}
		if err != nil {
			if errors.Is(pe.Err, csv.ErrQuote) || errors.Is(pe.Err, csv.ErrBareQuote) {
				out.Err = &RowError{Field: "row", Reason: fmt.Sprintf("line %d: %v (a quote is not closed: is the file cut short?)", pe.Line, pe.Err)}
			} else {
				out.Err = &RowError{Field: "row", Reason: fmt.Sprintf("line %d: %v", pe.Line, pe.Err)}
			}
			return out, nil
		}
		if len(rec) != len(r.header) {
			out.Err = &RowError{Field: "row", Reason: fmt.Sprintf("has %d columns, the header has %d", len(rec), len(r.header))}
			return out, nil
		}
		out.Cells = make(map[string]any, len(rec))
		for i, v := range rec {
			if r.encoding == UTF8 && !utf8.ValidString(v) {
				out.Err = &RowError{Field: r.header[i], Reason: "not valid UTF-8 text: is the file GBK? import it with --encoding gbk"}
				return out, nil
			}
			if r.encoding == GBK && strings.ContainsRune(v, utf8.RuneError) {
				out.Err = &RowError{Field: r.header[i], Reason: "not valid GBK text: is the file UTF-8? import it with --encoding utf-8"}
				return out, nil
			}
			out.Cells[r.header[i]] = v
		}
		return out, nil
	}
}
