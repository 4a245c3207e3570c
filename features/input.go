package features

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"
	"github.com/paulmach/orb/project"

	"riskmap"
	"riskmap/geo"
	"riskmap/internal/jsonlit"
)

// Input is a validated feature write: typed column values and, if sent, the
// geometry as GeoJSON in EPSG:4326.
type Input struct {
	Values    map[string]any // column -> value (nil for SQL NULL)
	Geometry  []byte         // GeoJSON geometry, already in WGS84; nil if not sent
	Inventory []Item         // depots: replaces the inventory when InventorySet
	// InventorySet is true when the request carried an inventory.
	InventorySet bool
	// Derived holds read-only properties the client echoed back; they are
	// accepted only if they equal the stored values. An echoed version is a
	// precondition like If-Match.
	Derived map[string]json.RawMessage
	// ID is the feature's top-level id, if it sent one.
	ID *int64
}

// Item is one inventory line of a depot.
type Item struct {
	Item     string  `json:"item"`
	Unit     string  `json:"unit"`
	Quantity float64 `json:"quantity"`
	Batch    string  `json:"batch,omitempty"`
	// read back from the stored line; a PATCH may send them echoed
	ExpiresOn *string         `json:"expires_on,omitempty"`
	UpdatedAt json.RawMessage `json:"updated_at,omitempty"`
}

type rawFeature struct {
	Type       string                     `json:"type"`
	ID         json.RawMessage            `json:"id"`
	Geometry   json.RawMessage            `json:"geometry"`
	Properties map[string]json.RawMessage `json:"properties"`
}

var (
	code12Re  = regexp.MustCompile(`^[0-9]{12}$`)
	code15Re  = regexp.MustCompile(`^[0-9]{15}$`)
	itemRe    = regexp.MustCompile(`^[a-z][a-z0-9_]{0,39}$`)
	phoneLike = regexp.MustCompile(`^[0-9+() -]{5,20}$`)
)

func invalid(field, format string, args ...any) *riskmap.Error {
	msg := fmt.Sprintf(format, args...)
	return riskmap.Errorf(riskmap.EUNPROCESSABLE, "%s: %s", field, msg).WithDetails(riskmap.Detail{Field: field, Message: msg})
}

// ParseInput checks a GeoJSON Feature for layer l. With partial (PATCH) the
// required properties may be absent. crs names the system the coordinates
// come in; bounds, when non-nil, is the city's extent every coordinate must
// lie in (a point outside it is named, and a swapped lat/lon is said so).
func ParseInput(l *Layer, body []byte, partial bool, crs geo.CRS, bounds *geo.Bounds) (*Input, error) {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	var f rawFeature
	if err := dec.Decode(&f); err != nil {
		return nil, riskmap.Errorf(riskmap.EINVALID, "body is not a valid GeoJSON Feature: %v", jsonError(err))
	}
	if dec.More() {
		return nil, riskmap.Errorf(riskmap.EINVALID, "body has data after the Feature")
	}
	// a PATCH may send just the members it changes: no "type" then
	if f.Type != "Feature" && (f.Type != "" || !partial) {
		return nil, invalid("type", "want \"Feature\", got %q", f.Type)
	}
	in := &Input{Values: map[string]any{}, Derived: map[string]json.RawMessage{}}
	if len(f.ID) > 0 && string(f.ID) != "null" {
		var id int64
		if err := json.Unmarshal(f.ID, &id); err != nil || id < 1 {
			return nil, invalid("id", "want a positive whole number, got %s", f.ID)
		}
		in.ID = &id
	}
	if len(f.Geometry) > 0 && string(f.Geometry) != "null" {
		g, err := geo.ParseGeometry(f.Geometry)
		if err != nil {
			return nil, geometryError(err)
		}
		if err := geo.CheckType(g, allowedTypes(l)...); err != nil {
			return nil, geometryError(fmt.Errorf("layer %s: %w", l.Name, err))
		}
		g = toWGS84(g, crs)
		if bounds != nil {
			if err := geo.CheckWithin(g, *bounds); err != nil {
				return nil, geometryError(err)
			}
		}
		if l.Geometry == "MultiPolygon" {
			if g, err = geo.AsMultiPolygon(g); err != nil {
				return nil, geometryError(err)
			}
		}
		raw, err := geojson.NewGeometry(g).MarshalJSON()
		if err != nil {
			return nil, fmt.Errorf("encode geometry: %w", err)
		}
		in.Geometry = raw
	} else if !partial {
		return nil, invalid("geometry", "required: a %s", l.Geometry)
	}

	var problems []riskmap.Detail
	names := make([]string, 0, len(f.Properties))
	for k := range f.Properties {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, name := range names {
		raw := f.Properties[name]
		if name == "inventory" && l.Inventory {
			items, err := parseInventory(raw)
			if err != nil {
				problems = append(problems, riskmap.Detail{Field: "properties.inventory", Message: err.Error()})
				continue
			}
			in.Inventory, in.InventorySet = items, true
			continue
		}
		if l.IsDerived(name) {
			in.Derived[name] = raw
			continue
		}
		fd, ok := l.Field(name)
		if !ok {
			problems = append(problems, riskmap.Detail{Field: "properties." + name, Message: fmt.Sprintf("unknown property for layer %s", l.Name)})
			continue
		}
		v, err := parseStrictValue(fd, raw)
		if err != nil {
			problems = append(problems, riskmap.Detail{Field: "properties." + name, Value: json.RawMessage(raw), Message: err.Error()})
			continue
		}
		in.Values[name] = v
	}
	if !partial {
		for _, fd := range l.Fields {
			if _, ok := in.Values[fd.Name]; fd.Required && !ok {
				problems = append(problems, riskmap.Detail{Field: "properties." + fd.Name, Message: "required"})
			}
		}
		if len(in.Derived) > 0 || in.ID != nil {
			if in.ID != nil {
				problems = append(problems, riskmap.Detail{Field: "id", Message: "assigned by the server; do not send it"})
			}
			for _, name := range sortedKeys(in.Derived) {
				problems = append(problems, riskmap.Detail{Field: "properties." + name, Message: "derived by the server; do not send it"})
			}
		}
	}
	if len(problems) > 0 {
		msgs := make([]string, len(problems))
		for i, p := range problems {
			msgs[i] = p.Field + ": " + p.Message
		}
		return nil, riskmap.Errorf(riskmap.EUNPROCESSABLE, "%s", strings.Join(msgs, "; ")).WithDetails(problems...)
	}
	return in, nil
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func allowedTypes(l *Layer) []string {
	if l.Geometry == "MultiPolygon" {
		return []string{"Polygon", "MultiPolygon"}
	}
	return []string{l.Geometry}
}

func geometryError(err error) error {
	msg := err.Error()
	if !strings.HasPrefix(msg, "geometry") {
		msg = "geometry: " + msg
	}
	return riskmap.Errorf(riskmap.EUNPROCESSABLE, "%s", msg).WithDetails(riskmap.Detail{Field: "geometry", Message: err.Error()})
}

func toWGS84(g orb.Geometry, crs geo.CRS) orb.Geometry {
	if crs == geo.CRSWGS84 || crs == geo.CRSCGCS2000 || crs == "" {
		return g
	}
	return project.Geometry(g, func(p orb.Point) orb.Point {
		lon, lat := geo.ToWGS84(crs, p[0], p[1])
		return orb.Point{lon, lat}
	})
}

func jsonError(err error) string {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case asErr(err, &se):
		return fmt.Sprintf("syntax error at byte %d: %v", se.Offset, se)
	case asErr(err, &te):
		return fmt.Sprintf("field %s: want %s, got JSON %s", te.Field, te.Type, te.Value)
	}
	return err.Error()
}

// parseStrictValue is parseValue as the API holds clients to it: a number
// is a JSON number, never a string holding one ("2"), which files from
// other tools often carry and imports take.
func parseStrictValue(fd Field, raw json.RawMessage) (any, error) {
	switch fd.Kind {
	case Int, IntEnum, Numeric:
		if string(raw) != "null" && !jsonlit.IsNumber(raw) {
			return nil, fmt.Errorf("want a JSON number, got %s (send it without quotes)", raw)
		}
	}
	return parseValue(fd, raw)
}

func parseValue(fd Field, raw json.RawMessage) (any, error) {
	if string(raw) == "null" {
		if fd.Required {
			return nil, fmt.Errorf("required, may not be null")
		}
		return nil, nil
	}
	switch fd.Kind {
	case Text, Enum, Date, Code12, Code15:
		s, plain := jsonlit.String(raw)
		if !plain {
			if err := json.Unmarshal(raw, &s); err != nil {
				return nil, fmt.Errorf("want a string")
			}
		}
		s = strings.TrimSpace(s)
		if fd.Required && s == "" {
			return nil, fmt.Errorf("may not be empty")
		}
		switch fd.Kind {
		case Enum:
			for _, v := range fd.Values {
				if v == s {
					return s, nil
				}
			}
			return nil, fmt.Errorf("unknown value %q; allowed: %s", s, strings.Join(fd.Values, ", "))
		case Date:
			if _, err := time.Parse("2006-01-02", s); err != nil {
				return nil, fmt.Errorf("want a date YYYY-MM-DD, got %q", s)
			}
		case Code12:
			if !code12Re.MatchString(s) {
				return nil, fmt.Errorf("want a 12-digit administrative code, got %q", s)
			}
		case Code15:
			if !code15Re.MatchString(s) {
				return nil, fmt.Errorf("want a 15-digit grid code, got %q", s)
			}
		default:
			if fd.MaxLen > 0 && len([]rune(s)) > fd.MaxLen {
				return nil, fmt.Errorf("longer than %d characters", fd.MaxLen)
			}
			if strings.HasSuffix(fd.Name, "phone") && !phoneLike.MatchString(s) {
				return nil, fmt.Errorf("not a phone number: %q", s)
			}
		}
		return s, nil
	case Int, IntEnum, Numeric:
		n := json.Number(raw)
		if !jsonlit.IsNumber(raw) {
			if err := json.Unmarshal(raw, &n); err != nil {
				return nil, fmt.Errorf("want a number")
			}
		}
		x, err := n.Float64()
		if err != nil || math.IsInf(x, 0) || math.IsNaN(x) {
			return nil, fmt.Errorf("not a finite number: %s", n)
		}
		if fd.Kind == Numeric {
			if x < fd.Min || x > fd.Max {
				return nil, fmt.Errorf("%v out of range [%v, %v]", x, fd.Min, fd.Max)
			}
			return x, nil
		}
		if x != math.Trunc(x) {
			return nil, fmt.Errorf("want a whole number, got %s", n)
		}
		i := int(x)
		if fd.Kind == IntEnum {
			for _, v := range fd.Ints {
				if v == i {
					return i, nil
				}
			}
			return nil, fmt.Errorf("unknown value %d; allowed: %v", i, fd.Ints)
		}
		if x < fd.Min || x > fd.Max {
			return nil, fmt.Errorf("%d out of range [%v, %v]", i, fd.Min, fd.Max)
		}
		return i, nil
	case Bool:
		var b bool
		if err := json.Unmarshal(raw, &b); err != nil {
			return nil, fmt.Errorf("want true or false")
		}
		return b, nil
	}
	return nil, fmt.Errorf("unsupported property kind")
}

func parseInventory(raw json.RawMessage) ([]Item, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	var items []Item
	if err := dec.Decode(&items); err != nil {
		return nil, fmt.Errorf("want an array of {item, unit, quantity[, batch]}: %s", jsonError(err))
	}
	seen := map[[2]string]bool{}
	for i, it := range items {
		key := [2]string{it.Item, it.Batch}
		switch {
		case !itemRe.MatchString(it.Item):
			return nil, fmt.Errorf("[%d].item %q: want a lower-case item code such as tents or life_jackets", i, it.Item)
		case seen[key]:
			return nil, fmt.Errorf("[%d].item %q (batch %q) appears twice", i, it.Item, it.Batch)
		case strings.TrimSpace(it.Unit) == "":
			return nil, fmt.Errorf("[%d].unit is required", i)
		case it.Quantity < 0 || math.IsNaN(it.Quantity) || it.Quantity > 1e12:
			return nil, fmt.Errorf("[%d].quantity %v out of range", i, it.Quantity)
		}
		seen[key] = true
	}
	return items, nil
}
