package patrols

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"riskmap"
	"riskmap/blobs"
	"riskmap/cases"
	"riskmap/postgres"
)

// patrolJSON projects one patrol (alias p, its risk point r) as a GeoJSON
// Feature with its photos: PostgreSQL builds the JSON, Go passes it on.
const patrolJSON = `json_build_object('type', 'Feature', 'id', p.id, 'geometry', ST_AsGeoJSON(p.geom, 8)::json,
	'properties', json_build_object(
		'risk_point_id', p.risk_point_id, 'risk_point_name', r.name, 'category', p.category, 'risk_level', p.risk_level,
		'worker', p.worker_id, 'worker_name', p.worker_name,
		'device_time', p.device_time, 'received_at', p.received_at, 'patrolled_at', p.patrolled_at, 'patrol_day', p.patrol_day,
		'accuracy_m', p.accuracy_m, 'distance_m', round(p.distance_m::numeric, 1), 'off_site', p.off_site, 'off_site_limit_m', p.off_site_limit_m,
		'checklist', json_build_object('version', p.checklist_version, 'answers', p.checklist),
		'result', p.result, 'note', p.note, 'due_on', p.due_on, 'on_time', p.patrol_day <= p.due_on,
		'grid_code', p.grid_code, 'township_code', p.township_code, 'county_code', p.county_code,
		'case_ids', array(SELECT c.id FROM cases c WHERE c.patrol_id = p.id ORDER BY c.seq)),
	'photos', (SELECT coalesce(json_agg(json_build_object('id', ph.id, 'url', '/api/v1/patrols/' || p.id || '/photos/' || ph.id,
			'sha256', ph.sha256, 'content_type', ph.content_type, 'size', ph.size, 'filename', ph.filename) ORDER BY ph.position), '[]')
		  FROM patrol_photos ph WHERE ph.patrol_id = p.id))`

func (s *Store) patrolJSON(ctx context.Context, q pgx.Tx, id string) (json.RawMessage, error) {
	var out string
	if err := q.QueryRow(ctx, "SELECT "+patrolJSON+"::text FROM patrols p JOIN risk_points r ON r.id = p.risk_point_id WHERE p.id = $1", id).Scan(&out); err != nil {
		return nil, fmt.Errorf("read patrol %s: %w", id, err)
	}
	return json.RawMessage(out), nil
}

// visibleSQL keeps patrols (alias p) to what u may see: those of the
// grids or areas of the user's scope, and the user's own.
func visibleSQL(u *riskmap.User, next int) (string, []any) {
	s := u.Scope()
	if s.All {
		return "true", nil
	}
	pred, args := s.SQL("p.grid_code", next)
	return fmt.Sprintf("(%s OR p.worker_id = $%d)", pred, next+len(args)), append(args, u.ID)
}

// Get returns a patrol u may see, with its photos and the cases it opened
// (as they stand now) under "cases".
func (s *Store) Get(ctx context.Context, u *riskmap.User, id string) (json.RawMessage, error) {
	id = strings.ToLower(id)
	notFound := riskmap.Errorf(riskmap.ENOTFOUND, "patrol %s not found", id)
	if !cases.ValidID(id) {
		return nil, notFound
	}
	vis, args := visibleSQL(u, 2)
	var doc string
	err := s.pool.QueryRow(ctx, "SELECT "+patrolJSON+"::text FROM patrols p JOIN risk_points r ON r.id = p.risk_point_id WHERE p.id = $1 AND "+vis,
		append([]any{id}, args...)...).Scan(&doc)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, notFound
	}
	if err != nil {
		return nil, fmt.Errorf("patrol %s: %w", id, err)
	}
	cs, err := s.cases.Linked(ctx, u, cases.Link{PatrolID: id})
	if err != nil {
		return nil, err
	}
	return cases.WithCases(json.RawMessage(doc), cs), nil
}

// ListQuery selects patrols. Zero values match everything.
type ListQuery struct {
	RiskPointID int64
	Area        string // 12-digit area or 15-digit grid code
	Worker      int64
	From, To    time.Time // patrol days, inclusive; zero: open
	OffSite     *bool
	Result      string
	Limit       int
	After       int64 // cursor: patrols older than this seq
}

// Page is a page of patrols, newest first; Next is the cursor of the
// following page, or 0.
type Page struct {
	Features []json.RawMessage
	Next     int64
}

// List returns the patrols in u's view matching q, newest first.
func (s *Store) List(ctx context.Context, u *riskmap.User, q ListQuery) (Page, error) {
	var w postgres.Where
	if q.RiskPointID > 0 {
		w.And("p.risk_point_id = " + w.Arg(q.RiskPointID))
	}
	if q.Area != "" {
		w.And("p.grid_code LIKE " + w.Arg(riskmap.AreaPrefix(q.Area)+"%"))
	}
	if q.Worker > 0 {
		w.And("p.worker_id = " + w.Arg(q.Worker))
	}
	w.Days("p.patrol_day", q.From, q.To)
	if q.OffSite != nil {
		w.And("p.off_site = " + w.Arg(*q.OffSite))
	}
	if q.Result != "" {
		w.And("p.result = " + w.Arg(q.Result))
	}
	vis, vargs := visibleSQL(u, w.Next())
	w.And(vis, vargs...)
	var page Page
	var err error
	page.Features, page.Next, err = w.Newest(ctx, s.reads, "SELECT p.seq, "+patrolJSON+
		"::text FROM patrols p JOIN risk_points r ON r.id = p.risk_point_id", "p.seq", q.After, q.Limit)
	if err != nil {
		return Page{}, fmt.Errorf("list patrols: %w", err)
	}
	return page, nil
}

// PhotoFile is a patrol photo and its content.
type PhotoFile struct {
	ContentType, SHA256, Filename string
	File                          blobs.File
}

// OpenPhoto returns a photo of a patrol u may see; otherwise it does not
// exist.
func (s *Store) OpenPhoto(ctx context.Context, u *riskmap.User, patrolID, photoID string) (PhotoFile, error) {
	patrolID, photoID = strings.ToLower(patrolID), strings.ToLower(photoID)
	notFound := riskmap.Errorf(riskmap.ENOTFOUND, "photo %s of patrol %s not found", photoID, patrolID)
	if !cases.ValidID(patrolID) || !cases.ValidID(photoID) {
		return PhotoFile{}, notFound
	}
	vis, args := visibleSQL(u, 3)
	var ph PhotoFile
	var key string
	var name *string
	err := s.pool.QueryRow(ctx, `SELECT ph.content_type, ph.sha256, ph.filename, ph.blob_key
		  FROM patrol_photos ph JOIN patrols p ON p.id = ph.patrol_id WHERE ph.patrol_id = $1 AND ph.id = $2 AND `+vis,
		append([]any{patrolID, photoID}, args...)...).Scan(&ph.ContentType, &ph.SHA256, &name, &key)
	if errors.Is(err, pgx.ErrNoRows) {
		return PhotoFile{}, notFound
	}
	if err != nil {
		return PhotoFile{}, fmt.Errorf("photo %s: %w", photoID, err)
	}
	if name != nil {
		ph.Filename = *name
	}
	f, err := s.blobs.Open(ctx, key)
	switch {
	case errors.Is(err, blobs.ErrUnavailable):
		return PhotoFile{}, &riskmap.Error{Code: riskmap.EUNAVAILABLE, Message: "the photo store cannot be read at the moment", Err: err}
	case err != nil:
		return PhotoFile{}, fmt.Errorf("photo %s: blob %s: %w", photoID, key, err)
	}
	ph.File = f
	return ph, nil
}
