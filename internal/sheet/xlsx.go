package sheet

import (
	"fmt"
	"io"
	"time"

	"github.com/xuri/excelize/v2"
)

// Kind is how a column's cells are written in a workbook.
type Kind int

const (
	// Text cells are strings, formatted as text (@): codes of 12, 15 or 18
	// digits and phone numbers stay as typed, never numbers with 15
	// significant digits, and nothing in them is ever a formula.
	Text Kind = iota
	// Number cells are numbers (ints or floats).
	Number
	// Date cells are dates (yyyy-mm-dd).
	Date
	// DateTime cells are times (yyyy-mm-dd hh:mm), in the time zone the
	// values carry.
	DateTime
)

// China is the time zone workbooks show times in (UTC+8 all year: China
// keeps no summer time), so a sheet reads the same on any server.
var China = time.FixedZone("CST", 8*3600)

// Column is one column of a workbook: its heading (Chinese, for people),
// kind and width in characters (0: from the heading).
type Column struct {
	Heading string
	Kind    Kind
	Width   float64
}

// XLSX streams a one-sheet workbook: a bold heading row that stays in view
// (frozen), column widths, and a <dimension> that names the whole table,
// so readers that trust it (and Excel's "used range") see every row. The
// number of rows is given first for that; Close refuses a different count.
type XLSX struct {
	f      *excelize.File
	sw     *excelize.StreamWriter
	cols   []Column
	styles []int
	want   int
	row    int
	cells  []any
}

// NewXLSX starts a workbook of one sheet named sheet with cols, for rows
// data rows below the heading.
func NewXLSX(sheet string, cols []Column, rows int) (*XLSX, error) {
	f := excelize.NewFile()
	x := &XLSX{f: f, cols: cols, want: rows, row: 1}
	if err := x.start(sheet, rows); err != nil {
		f.Close()
		return nil, err
	}
	return x, nil
}

func (x *XLSX) start(sheet string, rows int) error {
	f := x.f
	if err := f.SetSheetName("Sheet1", sheet); err != nil {
		return err
	}
	last, err := excelize.CoordinatesToCellName(max(len(x.cols), 1), rows+1)
	if err != nil {
		return err
	}
	// the stream writer writes the worksheet's dimension as it stands
	// when the first row goes out
	if err := f.SetSheetDimension(sheet, "A1:"+last); err != nil {
		return err
	}
	head, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}, Alignment: &excelize.Alignment{Vertical: "center"},
		Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"E8EEF7"}}})
	if err != nil {
		return err
	}
	numFmt := map[Kind]int{Text: 49, Number: 0, Date: 14}
	x.styles = make([]int, len(x.cols))
	for i, c := range x.cols {
		st := &excelize.Style{NumFmt: numFmt[c.Kind]}
		switch c.Kind {
		case Date:
			st.CustomNumFmt = ptr("yyyy-mm-dd")
		case DateTime:
			st.CustomNumFmt = ptr("yyyy-mm-dd hh:mm")
		}
		if x.styles[i], err = f.NewStyle(st); err != nil {
			return err
		}
	}
	if x.sw, err = f.NewStreamWriter(sheet); err != nil {
		return err
	}
	if err := x.sw.SetPanes(&excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft",
		Selection: []excelize.Selection{{SQRef: "A2", ActiveCell: "A2", Pane: "bottomLeft"}}}); err != nil {
		return err
	}
	for i, c := range x.cols {
		w := c.Width
		if w == 0 {
			w = max(8, float64(displayWidth(c.Heading))+2)
		}
		if err := x.sw.SetColWidth(i+1, i+1, w); err != nil {
			return err
		}
	}
	heading := make([]any, len(x.cols))
	for i, c := range x.cols {
		heading[i] = excelize.Cell{StyleID: head, Value: c.Heading}
	}
	return x.sw.SetRow("A1", heading, excelize.RowOpts{Height: 20})
}

// Row writes the next data row: one value per column (nil: empty); a
// Text column's value is written as its text whatever its Go type.
func (x *XLSX) Row(vals ...any) error {
	if len(vals) != len(x.cols) {
		return fmt.Errorf("sheet: %d values for %d columns", len(vals), len(x.cols))
	}
	x.row++
	if x.row-1 > x.want {
		return fmt.Errorf("sheet: more than the %d rows announced", x.want)
	}
	x.cells = x.cells[:0]
	for i, v := range vals {
		c := excelize.Cell{StyleID: x.styles[i]}
		switch {
		case v == nil:
		case x.cols[i].Kind == Text:
			c.Value = fmt.Sprint(v)
		case x.cols[i].Kind == Date || x.cols[i].Kind == DateTime:
			if t, ok := v.(time.Time); ok {
				// China's wall-clock time: a workbook has no time zones
				t = t.In(China)
				c.Value = time.Date(t.Year(), t.Month(), t.Day(), t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), time.UTC)
			} else {
				c.Value = v
			}
		default:
			c.Value = v
		}
		x.cells = append(x.cells, c)
	}
	cell, err := excelize.CoordinatesToCellName(1, x.row)
	if err != nil {
		return err
	}
	return x.sw.SetRow(cell, x.cells)
}

// WriteTo finishes the workbook and writes it to w.
func (x *XLSX) WriteTo(w io.Writer) (int64, error) {
	defer x.f.Close()
	if x.row-1 != x.want {
		return 0, fmt.Errorf("sheet: %d rows written, %d announced", x.row-1, x.want)
	}
	if err := x.sw.Flush(); err != nil {
		return 0, err
	}
	return x.f.WriteTo(w)
}

// Close releases the workbook without writing it.
func (x *XLSX) Close() error { return x.f.Close() }

// displayWidth counts a CJK character as two columns, as a spreadsheet
// draws it.
func displayWidth(s string) int {
	n := 0
	for _, r := range s {
		if r >= 0x2E80 {
			n += 2
		} else {
			n++
		}
	}
	return n
}

func ptr[T any](v T) *T { return &v }
