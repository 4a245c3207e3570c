package tiles

import (
	"strconv"

	"riskmap"
)

// TileID is one tile of the XYZ scheme over Web Mercator: x grows east,
// y south, both in 0..2^z-1.
type TileID struct {
	Z, X, Y int
}

func (t TileID) String() string {
	return strconv.Itoa(t.Z) + "/" + strconv.Itoa(t.X) + "/" + strconv.Itoa(t.Y)
}

// ParseTileID reads z, x and y from a tile path, naming the part that is
// wrong: not a number, or outside the zoom's range.
func ParseTileID(z, x, y string) (TileID, error) {
	var t TileID
	var err error
	if t.Z, err = parsePart("z", z); err != nil {
		return t, err
	}
	if t.X, err = parsePart("x", x); err != nil {
		return t, err
	}
	if t.Y, err = parsePart("y", y); err != nil {
		return t, err
	}
	return t, t.check(z, x, y)
}

// parsePart reads one part of a tile path: at most 8 digits (2^22 has 7;
// longer is garbage, not a tile), no sign.
func parsePart(name, s string) (int, error) {
	n, err := strconv.Atoi(s)
	if err != nil || len(s) > 8 || s[0] == '+' || s[0] == '-' && n == 0 {
		return 0, bad(name, s, "%s %q is not a whole number", name, s)
	}
	// one tile, one address: 012 is not 12 (nor is 00 0), so caches and
	// logs never hold the same tile twice
	if len(s) > 1 && s[0] == '0' {
		return 0, bad(name, s, "%s %q has a leading zero: write %d", name, s, n)
	}
	return n, nil
}

// Check says whether t is a tile of the XYZ scheme, naming the part
// outside the zoom's range (for tiles addressed by numbers, not a path).
func (t TileID) Check() error {
	return t.check(strconv.Itoa(t.Z), strconv.Itoa(t.X), strconv.Itoa(t.Y))
}

// check is Check with the parts as the client wrote them, for the details.
func (t TileID) check(z, x, y string) error {
	if t.Z < 0 || t.Z > MaxZoom {
		return bad("z", z, "zoom %d is outside 0..%d", t.Z, MaxZoom)
	}
	max := 1<<t.Z - 1
	if t.X < 0 || t.X > max {
		return bad("x", x, "x %d is outside 0..%d at zoom %d", t.X, max, t.Z)
	}
	if t.Y < 0 || t.Y > max {
		return bad("y", y, "y %d is outside 0..%d at zoom %d", t.Y, max, t.Z)
	}
	return nil
}

func bad(field, value, format string, args ...any) error {
	e := riskmap.Errorf(riskmap.EINVALID, format, args...)
	return e.WithDetails(riskmap.Detail{Field: field, Value: value, Message: e.Message})
}

// Web Mercator's half width (EPSG:3857 metres).
const worldHalf = 20037508.342789244

// rect is a box in EPSG:3857: min x, min y, max x, max y.
type rect [4]float64

func (a rect) meets(b rect) bool {
	return a[0] <= b[2] && b[0] <= a[2] && a[1] <= b[3] && b[1] <= a[3]
}

// bounds is the tile's square in EPSG:3857.
func (t TileID) bounds() rect {
	size := 2 * worldHalf / float64(int(1)<<t.Z)
	x0 := -worldHalf + float64(t.X)*size
	y1 := worldHalf - float64(t.Y)*size
	return rect{x0, y1 - size, x0 + size, y1}
}

// reach is the area whose features can show in the tile: the square grown
// by the buffer, which is also one cluster cell (a cluster in the ring of
// cells around the tile is drawn in its buffer, at its points' centroid).
func (t TileID) reach() rect {
	b := t.bounds()
	m := (b[2] - b[0]) * buffer / extent
	return rect{b[0] - m, b[1] - m, b[2] + m, b[3] + m}
}
