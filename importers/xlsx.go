package importers

import (
	"archive/zip"
	"bytes"
	"fmt"
	"io"
	"strings"

	"github.com/xuri/excelize/v2"
)

// Excel workbooks (.xlsx): the bureau's ledgers (台账) are kept in Excel,
// with 经度/纬度 columns copied from a map app. The first sheet is read
// like a CSV: its header row names the columns (any title rows above it,
// with fewer than two filled cells, are skipped), each row below is a
// record. Rows are numbered as Excel numbers them, so a report's "row 17"
// is the row a user sees as 17. Cells are read as stored, not as shown: a
// coordinate formatted with two decimals keeps all of them.

type xlsxReader struct {
	f       *excelize.File
	rows    *excelize.Rows
	sheet   string
	header  []string
	row     int // the sheet's row number of the last row read
	lastRow int // from the sheet's dimension, for progress
}

// isXLSX tells a workbook from another zip (a zipped Shapefile).
func isXLSX(path string) bool {
	z, err := zip.OpenReader(path)
	if err != nil {
		return false
	}
	defer z.Close()
	for _, f := range z.File {
		if f.Name == "xl/workbook.xml" {
			return true
		}
	}
	return false
}

func openXLSX(path string) (Reader, error) {
	f, err := excelize.OpenFile(path)
	if err != nil {
		return nil, fmt.Errorf("not a readable Excel workbook (.xlsx): %w", err)
	}
	r, err := newXLSXReader(f)
	if err != nil {
		f.Close()
		return nil, err
	}
	return r, nil
}

func newXLSXReader(f *excelize.File) (*xlsxReader, error) {
	sheets := f.GetSheetList()
	if len(sheets) == 0 {
		return nil, fmt.Errorf("the workbook has no sheet")
	}
	r := &xlsxReader{f: f, sheet: sheets[0]}
	if dim, err := f.GetSheetDimension(r.sheet); err == nil {
		if i := strings.IndexByte(dim, ':'); i >= 0 {
			if _, row, err := excelize.CellNameToCoordinates(dim[i+1:]); err == nil {
				r.lastRow = row
			}
		}
	}
	rows, err := f.Rows(r.sheet)
	if err != nil {
		return nil, fmt.Errorf("sheet %q: %w", r.sheet, err)
	}
	r.rows = rows
	for {
		cells, err := r.next()
		if err == io.EOF {
			return nil, fmt.Errorf("sheet %q has no header row: want one naming the columns (e.g. 编号, 名称, 经度, 纬度)", r.sheet)
		}
		if err != nil {
			return nil, err
		}
		filled := 0
		for _, c := range cells {
			if strings.TrimSpace(c) != "" {
				filled++
			}
		}
		if filled < 2 {
			continue // blank, or a title above the table
		}
		hdr, err := headerNames(cells, fmt.Sprintf("sheet %q row %d", r.sheet, r.row))
		if err != nil {
			return nil, err
		}
		r.header = hdr
		return r, nil
	}
}

// next reads the next row of the sheet as stored.
func (r *xlsxReader) next() ([]string, error) {
	if !r.rows.Next() {
		if err := r.rows.Error(); err != nil {
			return nil, fmt.Errorf("sheet %q after row %d: %w", r.sheet, r.row, err)
		}
		return nil, io.EOF
	}
	r.row++
	cells, err := r.rows.Columns(excelize.Options{RawCellValue: true})
	if err != nil {
		return nil, fmt.Errorf("sheet %q row %d: %w", r.sheet, r.row, err)
	}
	return cells, nil
}

func (r *xlsxReader) Declared() (SourceCRS, bool) { return SourceCRS{}, false }

func (r *xlsxReader) Progress() float64 {
	if r.lastRow <= 0 {
		return 0
	}
	return min(1, float64(r.row)/float64(r.lastRow))
}

func (r *xlsxReader) Close() error {
	_ = r.rows.Close()
	return r.f.Close()
}

// Header is the header row.
func (r *xlsxReader) Header() []string { return r.header }

func (r *xlsxReader) Next() (*Record, error) {
	for {
		cells, err := r.next()
		if err != nil {
			return nil, err
		}
		blank := true
		for _, c := range cells {
			blank = blank && strings.TrimSpace(c) == ""
		}
		if blank {
			continue
		}
		out := &Record{Row: r.row, Raw: cells}
		if len(cells) > len(r.header) {
			for i := len(r.header); i < len(cells); i++ {
				if strings.TrimSpace(cells[i]) != "" {
					col, _ := excelize.ColumnNumberToName(i + 1)
					out.Err = &RowError{Field: "row", Reason: fmt.Sprintf("cell %s%d has a value but its column has no header", col, r.row)}
					return out, nil
				}
			}
		}
		out.Cells = make(map[string]any, len(r.header))
		for i, h := range r.header {
			v := ""
			if i < len(cells) {
				v = cells[i] // a row ends at its last filled cell
			}
			out.Cells[h] = v
		}
		return out, nil
	}
}

// writeRejects writes the rejected rows under the header in a new
// workbook, as they came.
func (r *xlsxReader) writeRejects(recs []*Record, base string) (*File, error) {
	f := excelize.NewFile()
	defer f.Close()
	sheet := f.GetSheetName(0)
	put := func(row int, cells []string) error {
		vals := make([]any, len(cells))
		for i, c := range cells {
			vals[i] = c
		}
		cell, _ := excelize.CoordinatesToCellName(1, row)
		return f.SetSheetRow(sheet, cell, &vals)
	}
	if err := put(1, r.header); err != nil {
		return nil, err
	}
	row := 2
	for _, rec := range recs {
		if cells, ok := rec.Raw.([]string); ok {
			if err := put(row, cells); err != nil {
				return nil, err
			}
			row++
		}
	}
	var b bytes.Buffer
	if err := f.Write(&b); err != nil {
		return nil, err
	}
	return &File{Name: base + ".rejected.xlsx", ContentType: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", Data: b.Bytes()}, nil
}
