package collection_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"testing"

	"riskmap/internal/collection"
)

func TestCollectionWritesFeaturesAsGivenWithPagingAndMembers(t *testing.T) {
	f1 := `{"type":"Feature","id":1,"geometry":null,"properties":{"name":"甲"}}`
	f2 := `{"type":"Feature","id":2,"geometry":null,"properties":{"name":"a&b"}}`
	matched := int64(7)
	for _, c := range []struct {
		name     string
		opts     collection.Options
		features []string
		page     *collection.Page
		want     string
	}{
		{"empty", collection.Options{}, nil, nil, `{"type":"FeatureCollection","features":[]}`},
		{"compact", collection.Options{}, []string{f1, f2}, nil, `{"type":"FeatureCollection","features":[` + f1 + `,` + f2 + `]}`},
		{"a page counts what it returned and keeps & in hrefs", collection.Options{}, []string{f1}, &collection.Page{Matched: &matched,
			Links: []collection.Link{{Rel: "next", Type: collection.MediaType, Href: "/x?a=1&cursor=b"}}},
			`{"type":"FeatureCollection","features":[` + f1 + `],"numberReturned":1,"numberMatched":7,"links":[{"rel":"next","type":"application/geo+json","href":"/x?a=1&cursor=b"}]}`},
		{"a batch reply counts without links", collection.Options{}, []string{f1, f2}, &collection.Page{},
			`{"type":"FeatureCollection","features":[` + f1 + `,` + f2 + `],"numberReturned":2}`},
		{"a file: its name first, a feature a line", collection.Options{Members: map[string]string{"name": "risk_points"}, Lines: true},
			[]string{f1, f2}, nil, "{\"type\":\"FeatureCollection\",\"name\":\"risk_points\",\"features\":[\n" + f1 + ",\n" + f2 + "\n]}\n"},
	} {
		var b bytes.Buffer
		w := collection.New(&b, c.opts)
		for _, f := range c.features {
			if err := w.Add([]byte(f)); err != nil {
				t.Fatal(err)
			}
		}
		if err := w.Close(c.page); err != nil {
			t.Fatal(err)
		}
		if b.String() != c.want {
			t.Errorf("%s:\n got %s\nwant %s", c.name, b.String(), c.want)
		}
		if !json.Valid(b.Bytes()) {
			t.Errorf("%s: not valid JSON: %s", c.name, b.String())
		}
		if w.Len() != len(c.features) {
			t.Errorf("%s: Len %d, want %d", c.name, w.Len(), len(c.features))
		}
	}
}

type failAfter struct{ n int }

func (f *failAfter) Write(p []byte) (int, error) {
	if f.n == 0 {
		return 0, errors.New("disk full")
	}
	f.n--
	return len(p), nil
}

func TestCollectionKeepsTheFirstWriteError(t *testing.T) {
	w := collection.New(&failAfter{n: 2}, collection.Options{})
	if err := w.Add([]byte(`{}`)); err != nil {
		t.Fatalf("first feature: %v", err)
	}
	if err := w.Add([]byte(`{}`)); err == nil {
		t.Fatal("a failed write went unreported")
	}
	if err := w.Close(nil); err == nil || err.Error() != "disk full" {
		t.Errorf("Close: %v, want the first error", err)
	}
}

func TestJoinedFeaturesAreWrittenAsOneRunAndCounted(t *testing.T) {
	f1 := `{"type":"Feature","id":1,"geometry":null,"properties":{}}`
	f2 := `{"type":"Feature","id":2,"geometry":null,"properties":{}}`
	var b bytes.Buffer
	w := collection.New(&b, collection.Options{})
	if err := w.Add([]byte(f1)); err != nil {
		t.Fatal(err)
	}
	if err := w.AddJoined(0, nil); err != nil {
		t.Fatal(err)
	}
	if err := w.AddJoined(2, []byte(f1+","+f2)); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(&collection.Page{}); err != nil {
		t.Fatal(err)
	}
	want := `{"type":"FeatureCollection","features":[` + f1 + `,` + f1 + `,` + f2 + `],"numberReturned":3}`
	if b.String() != want {
		t.Errorf("got  %s\nwant %s", b.String(), want)
	}
	if err := collection.New(io.Discard, collection.Options{Lines: true}).AddJoined(1, []byte(f1)); err == nil {
		t.Error("joined features were taken for a feature-a-line file")
	}
}
