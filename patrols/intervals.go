package patrols

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"

	"riskmap"
	"riskmap/postgres"
)

// Intervals are the patrol intervals in days by risk level: [0] is level 1
// (red, 重大风险) … [3] level 4 (blue, 低风险).
type Intervals [4]int

// DefaultIntervals: red 7 days, orange 15, yellow 30, blue 90.
func DefaultIntervals() Intervals { return Intervals{7, 15, 30, 90} }

// levelNames are the names ParseIntervals reads, by level.
var levelNames = [4]string{"red", "orange", "yellow", "blue"}

// ParseIntervals reads "red=7,orange=15,yellow=30,blue=90" (any subset;
// levels may also be named 1–4) over the defaults.
func ParseIntervals(s string) (Intervals, error) {
	iv := DefaultIntervals()
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		k, v, ok := strings.Cut(part, "=")
		if !ok {
			return iv, fmt.Errorf("patrol interval %q: want level=days, e.g. red=7", part)
		}
		level := -1
		for i, n := range levelNames {
			if k == n || k == strconv.Itoa(i+1) {
				level = i
			}
		}
		if level < 0 {
			return iv, fmt.Errorf("patrol interval %q: unknown level %q (red, orange, yellow, blue or 1–4)", part, k)
		}
		d, err := strconv.Atoi(v)
		if err != nil || d < 1 || d > 3650 {
			return iv, fmt.Errorf("patrol interval %q: want a whole number of days from 1 to 3650", part)
		}
		iv[level] = d
	}
	return iv, nil
}

func (iv Intervals) String() string {
	parts := make([]string, 4)
	for i, d := range iv {
		parts[i] = fmt.Sprintf("%s=%d", levelNames[i], d)
	}
	return strings.Join(parts, ",")
}

// Intervals reads the intervals in force (table patrol_intervals).
func (s *Store) Intervals(ctx context.Context) (Intervals, error) {
	var iv Intervals
	rows, err := s.pool.Query(ctx, "SELECT risk_level, days FROM patrol_intervals ORDER BY risk_level")
	if err != nil {
		return iv, fmt.Errorf("patrol intervals: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var level, days int
		if err := rows.Scan(&level, &days); err != nil {
			return iv, err
		}
		iv[level-1] = days
	}
	return iv, rows.Err()
}

// SetIntervals stores the intervals (every due date of a changed level
// moves, and the risk point tiles are made again). It reports whether
// anything changed.
func (s *Store) SetIntervals(ctx context.Context, iv Intervals) (bool, error) {
	for i, d := range iv {
		if d < 1 || d > 3650 {
			return false, riskmap.Errorf(riskmap.EUNPROCESSABLE, "patrol interval of %s: %d days is not from 1 to 3650", levelNames[i], d)
		}
	}
	cur, err := s.Intervals(ctx)
	if err != nil || cur == iv {
		return false, err
	}
	err = postgres.BeginAudited(ctx, s.pool, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `UPDATE patrol_intervals i SET days = v.days
			FROM unnest($1::int[]) WITH ORDINALITY AS v(days, level)
			WHERE i.risk_level = v.level AND i.days <> v.days`, iv[:])
		return err
	})
	if err != nil {
		return false, fmt.Errorf("patrol intervals: %w", err)
	}
	return true, nil
}
