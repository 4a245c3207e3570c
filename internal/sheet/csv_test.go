package sheet

import (
	"bytes"
	"testing"
)

func TestSafeNeutralisesWhatASpreadsheetWouldRun(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{`=HYPERLINK("http://x","点我")`, `'=HYPERLINK("http://x","点我")`},
		{"+cmd|' /C calc'!A0", "'+cmd|' /C calc'!A0"},
		{"-2+3", "'-2+3"},
		{"@SUM(A1:A2)", "'@SUM(A1:A2)"},
		{"\t=1", "'\t=1"},
		{"\r=1", "'\r=1"},
		{"=1", "'=1"},
		{"-Inf", "'-Inf"},
		{"-0x1p3", "'-0x1p3"},
		{"-3.5", "-3.5"},
		{"+8613800138000", "+8613800138000"},
		{"-1e3", "-1e3"},
		{"+86 138 0013 8000", "'+86 138 0013 8000"},
		{"风险点", "风险点"},
		{"91441500MA4UXXXX1X", "91441500MA4UXXXX1X"},
		{"", ""},
	} {
		if got := Safe(c.in); got != c.want {
			t.Errorf("Safe(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestACSVStartsWithTheMarkAndWritesEveryCellSafe(t *testing.T) {
	var b bytes.Buffer
	w, err := NewCSV(&b)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Write([]string{"名称", "=1+1"}); err != nil {
		t.Fatal(err)
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if got, want := b.String(), "\ufeff名称,'=1+1\n"; got != want {
		t.Fatalf("got %q, want %q", got, want)
	}
}
