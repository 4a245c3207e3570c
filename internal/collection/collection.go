// Package collection writes GeoJSON FeatureCollections from features that are
// already JSON (PostgreSQL builds them; an import keeps the bytes it read):
// the one place the collection's frame, its paging members and its links
// are written. It never decodes or re-encodes a feature.
package collection

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"strconv"
)

// Collection writes one FeatureCollection to an io.Writer: New writes the
// head, Add each feature as given, Close the end. The first write error is
// kept and returned by every later call.
type Collection struct {
	w     io.Writer
	lines bool
	n     int
	err   error
}

// Options shape a collection.
type Options struct {
	// Members is an object (a map or struct) whose members are written
	// after "type", before the features: "name" (the layer name GDAL
	// reads), or an answer's own foreign members.
	Members any
	// Lines puts every feature on a line of its own, for files that people
	// and line-oriented tools read; otherwise the collection is compact.
	Lines bool
}

// Page is what a page of a longer list adds at the end: numberReturned
// (the features added), numberMatched when known, and the links.
type Page struct {
	Matched *int64
	Links   []Link
}

// Link is one entry of "links".
type Link struct {
	Rel  string `json:"rel"`
	Type string `json:"type"`
	Href string `json:"href"`
}

// MediaType is the media type of a collection.
const MediaType = "application/geo+json"

// New writes the head of a collection to w.
func New(w io.Writer, o Options) *Collection {
	c := &Collection{w: w, lines: o.Lines}
	head := []byte(`{"type":"FeatureCollection",`)
	if o.Members != nil {
		m, err := json.Marshal(o.Members)
		if err != nil {
			c.err = err
			return c
		}
		if len(m) > 2 && m[0] == '{' { // the members without their braces
			head = append(append(head, m[1:len(m)-1]...), ',')
		}
	}
	head = append(head, `"features":[`...)
	c.write(head)
	return c
}

// Add writes one feature, a complete GeoJSON Feature object.
func (c *Collection) Add(feature []byte) error {
	switch {
	case c.n > 0 && c.lines:
		c.write([]byte(",\n"))
	case c.n > 0:
		c.write([]byte{','})
	case c.lines:
		c.write([]byte{'\n'})
	}
	c.write(feature)
	c.n++
	return c.err
}

// AddJoined writes n features at once, complete Feature objects already
// separated by commas in one buffer (as a list kept whole hands them over),
// without copying them.
func (c *Collection) AddJoined(n int, joined []byte) error {
	if n == 0 {
		return c.err
	}
	if c.lines {
		c.err = errors.New("collection: joined features are compact, not a feature a line")
		return c.err
	}
	if c.n > 0 {
		c.write([]byte{','})
	}
	c.write(joined)
	c.n += n
	return c.err
}

// Len is the number of features added.
func (c *Collection) Len() int { return c.n }

// Close writes the end of the collection: with p, the paging members too.
func (c *Collection) Close(p *Page) error {
	var b bytes.Buffer
	if c.lines {
		b.WriteByte('\n')
	}
	b.WriteByte(']')
	if p != nil {
		b.WriteString(`,"numberReturned":` + strconv.Itoa(c.n))
		if p.Matched != nil {
			b.WriteString(`,"numberMatched":` + strconv.FormatInt(*p.Matched, 10))
		}
		if p.Links != nil {
			b.WriteString(`,"links":`)
			enc := json.NewEncoder(&b)
			enc.SetEscapeHTML(false) // hrefs keep their & as sent
			if err := enc.Encode(p.Links); err != nil && c.err == nil {
				c.err = err
			}
			b.Truncate(b.Len() - 1) // Encode's newline
		}
	}
	b.WriteByte('}')
	if c.lines {
		b.WriteByte('\n')
	}
	c.write(b.Bytes())
	return c.err
}

func (c *Collection) write(b []byte) {
	if c.err == nil {
		_, c.err = c.w.Write(b)
	}
}
