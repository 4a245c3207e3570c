package roads

import (
	"context"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"riskmap"
)

// Speeds are km/h per road class. The table road_speeds holds the ones in
// force (migrations/400_coverage.sql has the defaults: OSM's highway classes).
type Speeds map[string]float64

var classPattern = regexp.MustCompile(`^[a-z][a-z0-9_]{0,39}$`)

// ParseSpeeds reads "motorway=90,primary=60": the form of the command line.
func ParseSpeeds(s string) (Speeds, error) {
	out := Speeds{}
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		class, v, ok := strings.Cut(part, "=")
		if !ok {
			return nil, riskmap.Errorf(riskmap.EINVALID, "speed %q: want CLASS=KMH, e.g. primary=60", part)
		}
		class = strings.TrimSpace(class)
		kmh, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
		if err != nil {
			return nil, riskmap.Errorf(riskmap.EINVALID, "speed of %s: %q is not a number of km/h", class, v)
		}
		out[class] = kmh
	}
	return out, out.Check()
}

// Check reports the first class name or speed that the table would refuse.
func (sp Speeds) Check() error {
	for _, c := range sp.Classes() {
		if !classPattern.MatchString(c) {
			return riskmap.Errorf(riskmap.EINVALID, "road class %q: want lower-case letters, digits and _ (like OSM's highway values)", c).
				WithDetails(riskmap.Detail{Field: "speeds", Value: c, Message: "bad class name"})
		}
		if v := sp[c]; !(v > 0 && v <= 200) {
			return riskmap.Errorf(riskmap.EINVALID, "speed of %s: %v km/h is outside (0, 200]", c, v).
				WithDetails(riskmap.Detail{Field: "speeds", Value: v, Message: "speed out of range"})
		}
	}
	return nil
}

// Classes lists the classes in name order.
func (sp Speeds) Classes() []string {
	out := make([]string, 0, len(sp))
	for c := range sp {
		out = append(out, c)
	}
	sort.Strings(out)
	return out
}

// LoadSpeeds returns the speeds in force.
func LoadSpeeds(ctx context.Context, db DB) (Speeds, error) {
	rows, err := db.Query(ctx, "SELECT class, speed_kmh FROM road_speeds")
	if err != nil {
		return nil, fmt.Errorf("road speeds: %w", err)
	}
	defer rows.Close()
	out := Speeds{}
	for rows.Next() {
		var c string
		var v float64
		if err := rows.Scan(&c, &v); err != nil {
			return nil, fmt.Errorf("road speeds: %w", err)
		}
		out[c] = v
	}
	return out, rows.Err()
}

// SaveSpeeds sets the speeds of the given classes (adding classes not yet
// known); the others keep theirs.
func SaveSpeeds(ctx context.Context, db DB, sp Speeds) error {
	if err := sp.Check(); err != nil {
		return err
	}
	for _, c := range sp.Classes() {
		if _, err := db.Exec(ctx, `INSERT INTO road_speeds (class, speed_kmh) VALUES ($1, $2)
			ON CONFLICT (class) DO UPDATE SET speed_kmh = EXCLUDED.speed_kmh WHERE road_speeds.speed_kmh <> EXCLUDED.speed_kmh`, c, sp[c]); err != nil {
			return fmt.Errorf("road speed %s: %w", c, err)
		}
	}
	return nil
}
