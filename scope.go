package riskmap

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"
)

// Scope is the part of the city a user may see: everything, some areas
// (12-digit codes: the area and all below it) or, for grid workers, grids.
//
// Codes nest by prefix (a grid's 15 digits begin with its village's 12, a
// village's with its township's 9, and so on), so every rule below is a
// prefix match. This file is the only place the rule is written: Go code
// asks Contains or Overlaps, SQL embeds SQL or AreaSQL, and a query that
// must also let other rows through (a case's assignee) ORs its own clause
// onto the predicate.
type Scope struct {
	All   bool
	Areas []string
	Grids []string
}

// AreaPrefix is the significant prefix of a 12-digit area code: every code
// below the area starts with it (city 4 digits, county 6, township 9, village 12).
func AreaPrefix(code string) string {
	switch {
	case len(code) != 12:
		return code
	case code[4:] == "00000000":
		return code[:4]
	case code[6:] == "000000":
		return code[:6]
	case code[9:] == "000":
		return code[:9]
	}
	return code
}

// Contains reports whether a code (12-digit area or 15-digit grid) lies in s.
func (s Scope) Contains(code string) bool {
	if s.All {
		return true
	}
	for _, g := range s.Grids {
		if g == code {
			return true
		}
	}
	for _, a := range s.Areas {
		if strings.HasPrefix(code, AreaPrefix(a)) {
			return true
		}
	}
	return false
}

// Overlaps reports whether the area (a 12-digit code) and s nest either way:
// the area lies in s, or holds part of it (a worker's grid lies in its
// village, township, county and city).
func (s Scope) Overlaps(area string) bool {
	if s.All {
		return true
	}
	p := AreaPrefix(area)
	for _, a := range s.Areas {
		q := AreaPrefix(a)
		if strings.HasPrefix(p, q) || strings.HasPrefix(q, p) {
			return true
		}
	}
	for _, g := range s.Grids {
		if strings.HasPrefix(g, p) {
			return true
		}
	}
	return false
}

// SQL is Contains as a predicate over col, a column holding a 15-digit grid
// code or a 12-digit area code (a fixed, qualified identifier such as
// "t.grid_code", never user input), with its arguments numbered from next.
// The text depends only on s.All, so a statement built once serves every
// scope; "true" (no arguments) for everything.
func (s Scope) SQL(col string, next int) (string, []any) {
	if s.All {
		return "true", nil
	}
	return fmt.Sprintf("(%[1]s = ANY($%[2]d::text[]) OR %[1]s LIKE ANY($%[3]d::text[]))", col, next, next+1),
		[]any{s.grids(), s.likePrefixes()}
}

// AreaSQL is Overlaps as a predicate over col, a 12-digit area code column
// (a fixed identifier, never user input): an area is visible when it lies in
// s or holds part of it, so that a worker sees the village, township and
// county of their grid. Arguments are numbered from next.
func (s Scope) AreaSQL(col string, next int) (string, []any) {
	if s.All {
		return "true", nil
	}
	codes := make([]string, 0, len(s.Areas)+len(s.Grids))
	codes = append(append(codes, s.Areas...), s.Grids...)
	return fmt.Sprintf("(%[1]s LIKE ANY($%[2]d::text[]) OR EXISTS (SELECT 1 FROM unnest($%[3]d::text[]) s WHERE s LIKE riskmap_area_prefix(%[1]s) || '%%'))", col, next, next+1),
		[]any{s.likePrefixes(), codes}
}

func (s Scope) grids() []string {
	if s.Grids == nil {
		return []string{}
	}
	return s.Grids
}

// likePrefixes are the LIKE patterns of s's areas.
func (s Scope) likePrefixes() []string {
	p := make([]string, 0, len(s.Areas))
	for _, a := range s.Areas {
		p = append(p, AreaPrefix(a)+"%")
	}
	return p
}

// Fingerprint names s in cache keys (tiles, due lists): equal scopes,
// whatever the order of their codes, have one name, different ones never
// share it.
func (s Scope) Fingerprint() string {
	if s.All {
		return "*"
	}
	a := slices.Clone(s.Areas)
	g := slices.Clone(s.Grids)
	slices.Sort(a)
	slices.Sort(g)
	k := "a:" + strings.Join(slices.Compact(a), ",") + ";g:" + strings.Join(slices.Compact(g), ",")
	if len(k) > 64 {
		h := sha256.Sum256([]byte(k))
		k = "h:" + hex.EncodeToString(h[:16])
	}
	return k
}

// WholeTownships reports whether s is everything or whole townships (or
// larger areas): the grain of the per-township counters the statistics
// read (case_day_counts, patrol_day_counts).
func (s Scope) WholeTownships() bool {
	if s.All {
		return true
	}
	if len(s.Grids) > 0 {
		return false
	}
	for _, a := range s.Areas {
		if !TownshipsOrMore(AreaPrefix(a)) {
			return false
		}
	}
	return true
}

// TownshipsOrMore reports whether an area prefix (AreaPrefix; "" for
// everything) selects whole townships: a township's or shorter.
func TownshipsOrMore(prefix string) bool { return len(prefix) <= 9 }
