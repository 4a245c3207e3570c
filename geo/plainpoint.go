package geo

import (
	"strconv"

	"github.com/paulmach/orb"

	"riskmap/internal/jsonlit"
)

// plainPoint reads the form nearly every Point of a large file takes,
// {"type":"Point","coordinates":[lon,lat]} (members in either order,
// whitespace anywhere JSON allows it), with coordinates in range. For
// anything else (a third coordinate, other members, escapes, an error of
// any kind) it answers false and ParseGeometry takes its strict path,
// which also words the errors: a point read here is exactly the one the
// strict path would return.
func plainPoint(raw []byte) (orb.Point, bool) {
	s := scanner{b: raw}
	if !s.byte('{') {
		return orb.Point{}, false
	}
	var p orb.Point
	var sawType, sawCoords bool
	for {
		key, ok := s.str()
		if !ok || !s.byte(':') {
			return orb.Point{}, false
		}
		switch key {
		case "type":
			v, ok := s.str()
			if sawType || !ok || v != "Point" {
				return orb.Point{}, false
			}
			sawType = true
		case "coordinates":
			if sawCoords || !s.byte('[') {
				return orb.Point{}, false
			}
			lon, ok1 := s.num()
			comma := s.byte(',')
			lat, ok2 := s.num()
			if !ok1 || !comma || !ok2 || !s.byte(']') {
				return orb.Point{}, false
			}
			p, sawCoords = orb.Point{lon, lat}, true
		default:
			return orb.Point{}, false
		}
		if s.byte('}') {
			break
		}
		if !s.byte(',') {
			return orb.Point{}, false
		}
	}
	s.space()
	if s.i != len(s.b) || !sawType || !sawCoords || p[0] < -180 || p[0] > 180 || p[1] < -90 || p[1] > 90 {
		return orb.Point{}, false
	}
	return p, true
}

type scanner struct {
	b []byte
	i int
}

func (s *scanner) space() { s.i = jsonlit.SkipSpace(s.b, s.i) }

// byte consumes c after optional whitespace.
func (s *scanner) byte(c byte) bool {
	s.space()
	if s.i < len(s.b) && s.b[s.i] == c {
		s.i++
		return true
	}
	return false
}

// str consumes a string without escapes.
func (s *scanner) str() (string, bool) {
	s.space()
	content, next, plain := jsonlit.StringSpan(s.b, s.i)
	s.i = next
	return string(content), plain
}

// num consumes a finite number.
func (s *scanner) num() (float64, bool) {
	s.space()
	n := jsonlit.NumberLen(s.b[s.i:])
	if n == 0 {
		return 0, false
	}
	f, err := strconv.ParseFloat(string(s.b[s.i:s.i+n]), 64)
	s.i += n
	return f, err == nil
}
