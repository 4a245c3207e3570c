package patrols

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"riskmap"
	"riskmap/blobs"
	"riskmap/cases"
	"riskmap/postgres"
)

// Store keeps patrols in PostGIS, their photos in the blob store, and
// opens their cases through the closed loop's store.
type Store struct {
	pool *pgxpool.Pool
	// reads runs the patrol list and the figures: on a hot standby when
	// it is fresh (postgres.Reads). The due lists, which are cached, stay
	// on pool (their cache follows its own notifications).
	reads *postgres.Reads
	blobs blobs.Store
	cases *cases.Store
	cfg   Config
	due   *dueCache
	// notifier hears of off-site patrols (nil: no one is told)
	notifier Notifier
}

// NewStore returns a store; zero config values take the defaults.
func NewStore(pool *pgxpool.Pool, b blobs.Store, cs *cases.Store, cfg Config) *Store {
	cfg = cfg.withDefaults()
	reads := cfg.Reads
	if reads == nil {
		reads = postgres.PrimaryReads(pool)
	}
	return &Store{pool: pool, reads: reads, blobs: b, cases: cs, cfg: cfg, due: newDueCache(cfg.DueCacheBytes)}
}

// Config returns the store's settings.
func (s *Store) Config() Config { return s.cfg }

// replies are the first answers to each patrol id.
var replies = cases.Replies{Table: "patrol_replies", IDColumn: "patrol_id", UserColumn: "worker_id", What: "patrol"}

// mayPatrol: grid workers in their grids, and the offices in their areas.
func mayPatrol(role string) bool {
	switch role {
	case riskmap.RoleWorker, riskmap.RoleTownship, riskmap.RoleCounty, riskmap.RoleCity:
		return true
	}
	return false
}

// point is the risk point a patrol is of, as the checks need it.
type point struct {
	ID       int64
	Category string
	Status   string
	Grid     string
}

// Record stores a patrol with its photos and, for a problem, the cases its
// findings open — all in one transaction, or nothing. The phone's UUID
// makes it idempotent: the same id with the same content (photos
// included) replays the first answer, byte for byte, and stores nothing;
// the same id with other content, or from another user, is a conflict.
func (s *Store) Record(ctx context.Context, u *riskmap.User, in *Input, photos *Photos) (cases.Reply, error) {
	if !mayPatrol(u.Role) {
		return cases.Reply{}, riskmap.Errorf(riskmap.EFORBIDDEN, "role %s does not patrol risk points", u.Role)
	}
	now := s.cfg.Now()
	if ahead := in.DeviceTime.Sub(now); ahead > s.cfg.FutureSkew {
		return cases.Reply{}, riskmap.Errorf(riskmap.EUNPROCESSABLE, "properties.device_time: %s is %s ahead of the server's clock (%s): check the phone's clock",
			in.DeviceTime.Format(time.RFC3339), ahead.Round(time.Second), now.In(cases.Shanghai()).Format(time.RFC3339)).
			WithDetails(riskmap.Detail{Field: "properties.device_time", Value: in.DeviceTime, Message: "in the future"})
	}
	if len(photos.List()) == 0 {
		return cases.Reply{}, riskmap.Errorf(riskmap.EUNPROCESSABLE, "file: a patrol needs at least one photo (multipart field \"file\")").
			WithDetails(riskmap.Detail{Field: "file", Message: "required"})
	}
	id := in.ID
	if id == "" {
		id = cases.NewID()
	}
	fp := in.fingerprint(photos.List())
	// a resend is answered before anything is looked at or stored
	if r, found, err := replies.Find(ctx, s.pool, id, u.ID, fp); found || err != nil {
		return r, err
	}
	pt, err := s.point(ctx, u, in.RiskPointID)
	if err != nil {
		return cases.Reply{}, err
	}
	if err := checkAnswers(pt.Category, in.Checklist); err != nil {
		return cases.Reply{}, err
	}
	if err := s.checkFindings(ctx, u, in.Findings); err != nil {
		return cases.Reply{}, err
	}
	if err := photos.store(ctx, s.blobs); err != nil {
		return cases.Reply{}, err
	}
	var reply cases.Reply
	err = postgres.BeginAudited(ctx, s.pool, func(tx pgx.Tx) error {
		var grid string
		var offSite bool
		var distance float64
		// the point's category, level, grid, the distance and the due date
		// come from the trigger (riskmap_patrol_fill), which locks the point
		err := tx.QueryRow(ctx, `INSERT INTO patrols (id, risk_point_id, worker_id, worker_name, device_time, received_at, geom,
				accuracy_m, off_site_limit_m, checklist_version, checklist, result, note)
			VALUES ($1, $2, $3, $4, $5, $6, ST_SetSRID(ST_MakePoint($7, $8), 4326), $9, $10, $11, $12, $13, nullif($14, ''))
			ON CONFLICT (id) DO NOTHING RETURNING grid_code, off_site, distance_m`,
			id, in.RiskPointID, u.ID, u.Name(), in.DeviceTime, now, in.Lon, in.Lat,
			in.AccuracyM, s.cfg.OffSiteM, in.Checklist.Version, in.Checklist.Answers, in.Result, in.Note).Scan(&grid, &offSite, &distance)
		if errors.Is(err, pgx.ErrNoRows) {
			// the same id was recorded since the check above
			reply, err = replies.Raced(ctx, tx, id, u.ID, fp)
			return err
		}
		if err != nil {
			return postgres.Translate(err)
		}
		// the point is locked now: its grid is the one that counts
		if !u.Scope().Contains(grid) {
			return outOfScope(u, pt.ID, grid)
		}
		if offSite && s.notifier != nil {
			if err := s.notifier.PatrolOffSite(ctx, tx, OffSite{ID: id, RiskPointID: pt.ID, GridCode: grid, WorkerID: u.ID,
				WorkerName: u.Name(), DistanceM: distance, LimitM: s.cfg.OffSiteM, AccuracyM: in.AccuracyM}); err != nil {
				return err
			}
		}
		evidence := make([]cases.Evidence, 0, len(photos.List()))
		for i, ph := range photos.List() {
			if _, err := tx.Exec(ctx, `INSERT INTO patrol_photos (patrol_id, position, sha256, content_type, size, blob_key, filename)
				VALUES ($1, $2, $3, $4, $5, $6, nullif($7, ''))`, id, i, ph.SHA256, ph.ContentType, ph.Size, ph.stored.Key, ph.Filename); err != nil {
				return postgres.Translate(err)
			}
			evidence = append(evidence, cases.Evidence{SHA256: ph.SHA256, ContentType: ph.ContentType, BlobKey: ph.stored.Key,
				Filename: ph.Filename, Size: ph.Size})
		}
		opened := make([]json.RawMessage, 0, len(in.Findings))
		for i, f := range in.Findings {
			rep := &cases.ReportInput{Grade: f.Grade, Category: f.Category, Description: f.Description,
				DeviceTime: &in.DeviceTime, RiskPointID: &pt.ID}
			if rep.Category == "" {
				rep.Category = pt.Category
			}
			if f.Location != nil {
				rep.Lon, rep.Lat, rep.HasLocation = f.Location[0], f.Location[1], true
			}
			c, err := s.cases.OpenIn(ctx, tx, u, rep, cases.Link{PatrolID: id, Evidence: evidence,
				LocationField: fmt.Sprintf("properties.findings[%d].location", i)})
			if err != nil {
				return err
			}
			opened = append(opened, c)
		}
		doc, err := s.patrolJSON(ctx, tx, id)
		if err != nil {
			return err
		}
		reply = cases.Reply{ID: id, Status: http.StatusCreated, Body: cases.WithCases(doc, opened)}
		return replies.Keep(ctx, tx, id, u.ID, fp, reply)
	})
	if err != nil {
		return cases.Reply{}, err
	}
	// the point's due date moved: this replica's lists go now (others' when
	// the notification reaches them)
	s.due.changed()
	reply.ID = id
	return reply, nil
}

// point looks up the risk point of a patrol: it must exist (422), lie in
// the user's grids or area (403) and be active (422).
func (s *Store) point(ctx context.Context, u *riskmap.User, id int64) (point, error) {
	p := point{ID: id}
	err := s.pool.QueryRow(ctx, "SELECT category, status, grid_code FROM risk_points WHERE id = $1", id).Scan(&p.Category, &p.Status, &p.Grid)
	if errors.Is(err, pgx.ErrNoRows) {
		return p, riskmap.Errorf(riskmap.EUNPROCESSABLE, "properties.risk_point_id: no risk point %d", id).
			WithDetails(riskmap.Detail{Field: "properties.risk_point_id", Value: id, Message: "no such risk point"})
	}
	if err != nil {
		return p, fmt.Errorf("risk point %d: %w", id, err)
	}
	if !u.Scope().Contains(p.Grid) {
		return p, outOfScope(u, id, p.Grid)
	}
	if p.Status != "active" {
		return p, riskmap.Errorf(riskmap.EUNPROCESSABLE, "properties.risk_point_id: risk point %d is %s: it is no longer patrolled", id, p.Status).
			WithDetails(riskmap.Detail{Field: "properties.risk_point_id", Value: id, Message: p.Status})
	}
	return p, nil
}

// checkFindings places the findings that name a location before anything
// is written: each must lie in a grid of the user's (the cases' own check
// repeats it in the transaction).
func (s *Store) checkFindings(ctx context.Context, u *riskmap.User, findings []cases.Finding) error {
	for i, f := range findings {
		if f.Location == nil {
			continue
		}
		field := fmt.Sprintf("properties.findings[%d].location", i)
		var grid *string
		if err := s.pool.QueryRow(ctx, "SELECT riskmap_grid_at(ST_SetSRID(ST_MakePoint($1, $2), 4326))", f.Location[0], f.Location[1]).Scan(&grid); err != nil {
			return fmt.Errorf("place %s: %w", field, err)
		}
		switch {
		case grid == nil:
			return riskmap.Errorf(riskmap.EUNPROCESSABLE, "%s: (%.7f, %.7f) lies in no grid", field, f.Location[0], f.Location[1]).
				WithDetails(riskmap.Detail{Field: field, Message: "in no grid"})
		case !u.Scope().Contains(*grid):
			where := "outside your area"
			if u.Role == riskmap.RoleWorker {
				where = "not in your grids"
			}
			return riskmap.Errorf(riskmap.EFORBIDDEN, "%s lies in grid %s, %s", field, *grid, where).
				WithDetails(riskmap.Detail{Field: field, Value: *grid, Message: where})
		}
	}
	return nil
}

func outOfScope(u *riskmap.User, id int64, grid string) error {
	where := "outside your area"
	if u.Role == riskmap.RoleWorker {
		where = "not in your grids"
	}
	return riskmap.Errorf(riskmap.EFORBIDDEN, "risk point %d lies in grid %s, %s", id, grid, where).
		WithDetails(riskmap.Detail{Field: "properties.risk_point_id", Value: id, Message: where})
}

// checkAnswers holds the answers to the list of the point's category and
// the version the phone showed: every item answered, no other.
func checkAnswers(category string, a Answers) error {
	list, ok := ChecklistFor(category, a.Version)
	if !ok {
		cur, _ := CurrentChecklist(category)
		return riskmap.Errorf(riskmap.EUNPROCESSABLE, "properties.checklist.version: no version %d of the %s checklist (the current one is %d)",
			a.Version, category, cur.Version).
			WithDetails(riskmap.Detail{Field: "properties.checklist.version", Value: a.Version, Message: "unknown version"})
	}
	var problems []riskmap.Detail
	keys := map[string]bool{}
	for _, it := range list.Items {
		keys[it.Key] = true
		if _, ok := a.Answers[it.Key]; !ok {
			problems = append(problems, riskmap.Detail{Field: "properties.checklist.answers." + it.Key, Message: "not answered: " + it.Label})
		}
	}
	for _, k := range slices.Sorted(maps.Keys(a.Answers)) {
		if !keys[k] {
			problems = append(problems, riskmap.Detail{Field: "properties.checklist.answers." + k,
				Message: fmt.Sprintf("not an item of version %d of the %s checklist", a.Version, category)})
		}
	}
	if len(problems) > 0 {
		return cases.Unprocessable(problems)
	}
	return nil
}
