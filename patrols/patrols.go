// Package patrols is the routine patrol of risk points by grid workers
// (网格员巡查): when each point is due (by risk level, from its last patrol,
// on the calendar of UTC+8), the due list of a worker's grids, and the
// patrol itself — the phone's position and how far it was from the point
// (off-site beyond a limit, kept and shown, never dropped), a versioned
// checklist per category, photos, and a result; a patrol that finds a
// problem opens hidden-hazard cases in its own transaction. Patrols are
// idempotent on the UUID the phone makes, as case reports are, so an
// offline phone can send again until it gets an answer.
//
// The due date is derived in the database (riskmap_patrol_due_on,
// migrations/550_patrols.sql) from the point's row and the intervals this
// package reads and writes (patrol_intervals), so the due list, the tiles
// and QGIS agree. Overdue needs today's date: it comes from Config.Now,
// which tests fix.
package patrols

import (
	"time"

	"riskmap/postgres"

	"riskmap/cases"
)

// Config holds the patrol settings (docs/domain.md, "Patrols").
type Config struct {
	// Reads runs the patrol list and figures on a hot standby when it is
	// fresh (postgres.Reads; nil: the pool).
	Reads *postgres.Reads
	// OffSiteM: a position farther than this from its point marks the
	// patrol off-site (default 200 m).
	OffSiteM float64
	// MaxPhoto caps one photo in bytes (default 10 MB); MaxPhotos the
	// photos of one patrol (default 9).
	MaxPhoto  int64
	MaxPhotos int
	// FutureSkew is how far ahead of the server's clock a phone's clock may
	// run (default 10 minutes); a device time further ahead is refused.
	FutureSkew time.Duration
	// Now is the clock (default time.Now); tests fix it to check due dates
	// on the day they turn.
	Now func() time.Time
	// DueCacheBytes bounds the due lists kept between changes (default 32
	// MiB; duecache.go).
	DueCacheBytes int
}

// DefaultConfig returns the defaults.
func DefaultConfig() Config {
	return Config{OffSiteM: 200, MaxPhoto: 10 << 20, MaxPhotos: 9, FutureSkew: 10 * time.Minute, Now: time.Now, DueCacheBytes: 32 << 20}
}

func (c Config) withDefaults() Config {
	d := DefaultConfig()
	if c.OffSiteM <= 0 {
		c.OffSiteM = d.OffSiteM
	}
	if c.MaxPhoto <= 0 {
		c.MaxPhoto = d.MaxPhoto
	}
	if c.MaxPhotos <= 0 {
		c.MaxPhotos = d.MaxPhotos
	}
	if c.FutureSkew <= 0 {
		c.FutureSkew = d.FutureSkew
	}
	if c.Now == nil {
		c.Now = d.Now
	}
	if c.DueCacheBytes <= 0 {
		c.DueCacheBytes = d.DueCacheBytes
	}
	return c
}

// dayOf reads a date YYYY-MM-DD in Asia/Shanghai.
func dayOf(s string) (time.Time, error) {
	return time.ParseInLocation("2006-01-02", s, cases.Shanghai())
}

// Today is the date of t in Asia/Shanghai, as midnight of that day there.
func Today(t time.Time) time.Time {
	t = t.In(cases.Shanghai())
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, cases.Shanghai())
}

// DueSoonDays: a point due within this many days is "due" (listed by
// default, marked on the map); earlier than that it is "ok".
const DueSoonDays = 3

// DueOnSQL is the due date of the risk point aliased alias, in SQL (the one
// rule: riskmap_patrol_due_on, migrations/550_patrols.sql).
func DueOnSQL(alias string) string {
	return "riskmap_patrol_due_on(" + alias + ".last_inspection, " + alias + ".created_at, " + alias + ".risk_level)"
}

// DueOnJoinedSQL is DueOnSQL for a query that joins patrol_intervals
// (alias intervals) on the risk level itself: the same rule, inlined by
// the planner, where DueOnSQL looks the interval up once per row.
func DueOnJoinedSQL(alias, intervals string) string {
	return "riskmap_patrol_due_after(" + alias + ".last_inspection, " + alias + ".created_at, " + intervals + ".days)"
}

// Results of a patrol.
const (
	Normal  = "normal"
	Problem = "problem"
)
