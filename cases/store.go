package cases

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"riskmap"
	"riskmap/blobs"
	"riskmap/postgres"
)

// Config holds the loop's settings (docs/domain.md's configurable values).
type Config struct {
	// DuplicateRadiusM: open cases of the same category within this many
	// metres of a new report are listed as possible duplicates (default 50).
	DuplicateRadiusM float64
	// Grace: a case overdue by more than this is escalated to the county
	// (default 3 days); a major hazard overdue by Grace + CityGrace goes on
	// to the city (default 3 more days).
	Grace     time.Duration
	CityGrace time.Duration
	// MaxUpload caps one attachment in bytes (default 10 MB).
	MaxUpload int64
	// Reads runs lists, searches, statistics and counts: on a hot standby
	// when it is fresh (postgres.Reads; nil: the pool). The case a client
	// reloads after acting, and every check inside a write, stay on the
	// pool.
	Reads *postgres.Reads
}

// DefaultConfig returns docs/domain.md's defaults.
func DefaultConfig() Config {
	return Config{DuplicateRadiusM: 50, Grace: 72 * time.Hour, CityGrace: 72 * time.Hour, MaxUpload: 10 << 20}
}

// Store keeps cases, their history and evidence in PostGIS (and the blob
// store for the evidence's bytes).
type Store struct {
	pool     *pgxpool.Pool
	reads    *postgres.Reads
	blobs    blobs.Store
	cfg      Config
	notifier Notifier
}

// NewStore returns a store; zero config values take the defaults.
func NewStore(pool *pgxpool.Pool, b blobs.Store, cfg Config) *Store {
	d := DefaultConfig()
	if cfg.DuplicateRadiusM <= 0 {
		cfg.DuplicateRadiusM = d.DuplicateRadiusM
	}
	if cfg.Grace <= 0 {
		cfg.Grace = d.Grace
	}
	if cfg.CityGrace <= 0 {
		cfg.CityGrace = d.CityGrace
	}
	if cfg.MaxUpload <= 0 {
		cfg.MaxUpload = d.MaxUpload
	}
	if cfg.Reads == nil {
		cfg.Reads = postgres.PrimaryReads(pool)
	}
	return &Store{pool: pool, reads: cfg.Reads, blobs: b, cfg: cfg}
}

// Config returns the store's settings.
func (s *Store) Config() Config { return s.cfg }

// NewID makes a random (version 4) UUID, for records the server names.
func NewID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b)
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// VisibleSQL is visibleSQL for other domains' queries that join cases (as
// alias c): the notifications of a case only while its user may see it.
func VisibleSQL(u *riskmap.User, next int) (string, []any) { return visibleSQL(u, next) }

// visibleSQL is the predicate keeping c (cases) to what u may see: the
// areas or grids of the user's scope, and the cases assigned to the user.
// Placeholders are numbered from next.
func visibleSQL(u *riskmap.User, next int) (string, []any) {
	return visibleSQLAs("c", u, next)
}

// visibleSQLAs is visibleSQL over another alias of cases.
func visibleSQLAs(alias string, u *riskmap.User, next int) (string, []any) {
	s := u.Scope()
	if s.All {
		return "true", nil
	}
	cond, args := s.SQL(alias+".grid_code", next)
	return fmt.Sprintf("(%s OR %s.assignee_id = $%d)", cond, alias, next+len(args)), append(args, u.ID)
}

// caseJSON projects one case (alias c) as a GeoJSON Feature for u; $2…
// are the user's scope (visibleSQL(u, 2)):
// its possible duplicates are those u may see, since the stored list
// holds every nearby case whoever may see it. Besides the codes it names
// the places (grid, village or community, township, county), which is
// what people read. PostgreSQL builds the JSON, Go passes it on.
func caseJSON(u *riskmap.User) string {
	vis, _ := visibleSQLAs("d", u, 2)
	return strings.Replace(caseJSONTemplate, "{{visible d}}", vis, 1)
}

const caseJSONTemplate = `json_build_object('type', 'Feature', 'id', c.id, 'geometry', ST_AsGeoJSON(c.geom, 15)::json,
	'properties', json_build_object(
		'number', c.number, 'state', c.state, 'version', c.version, 'grade', c.grade, 'category', c.category, 'description', c.description,
		'reported_at', c.reported_at, 'device_time', c.device_time,
		'reporter', c.reporter_id, 'reporter_name', c.reporter_name,
		'assignee', c.assignee_id, 'assignee_name', c.assignee_name, 'submitted_by', c.submitted_by,
		'deadline', c.deadline, 'closed_at', c.closed_at, 'reopened_at', c.reopened_at,
		'overdue', coalesce(riskmap_case_open(c.state) AND c.deadline < now(), false),
		'escalated', riskmap_case_open(c.state) AND c.escalation_level > 0,
		'escalation_level', c.escalation_level, 'escalated_at', c.escalated_at,
		'grid_code', c.grid_code, 'township_code', c.township_code, 'county_code', c.county_code,
		'grid_name', (SELECT g.name FROM grids g WHERE g.code = c.grid_code),
		'village_name', (SELECT a.name FROM areas a WHERE a.code = left(c.grid_code, 12)),
		'township_name', (SELECT a.name FROM areas a WHERE a.code = c.township_code),
		'county_name', (SELECT a.name FROM areas a WHERE a.code = c.county_code),
		'risk_point_id', c.risk_point_id, 'hazard_source_id', c.hazard_source_id,
		'patrol_id', c.patrol_id, 'inspection_id', c.inspection_id,
		'duplicate_of', c.duplicate_of,
		'possible_duplicates', CASE WHEN cardinality(c.possible_duplicates) = 0 THEN '[]'::json ELSE (
			SELECT coalesce(json_agg(json_build_object('id', d.id, 'number', d.number, 'state', d.state, 'category', d.category,
				'distance_m', round(ST_Distance(d.geom::geography, c.geom::geography)::numeric, 1)) ORDER BY d.seq), '[]')
			  FROM cases d WHERE d.id = ANY(c.possible_duplicates) AND {{visible d}}) END,
		'responsibility', c.responsibility, 'measures', c.measures, 'funds', c.funds, 'plan', c.plan,
		'interim_controls', c.interim_controls,
		'created_at', c.created_at, 'updated_at', c.updated_at))`

// fullCaseJSON adds the event history and the attachments.
func fullCaseJSON(u *riskmap.User) string {
	return `(` + caseJSON(u) + fullCaseJSONTail
}

const fullCaseJSONTail = `::jsonb || jsonb_build_object(
	'events', (SELECT coalesce(jsonb_agg(jsonb_build_object('id', e.id, 'action', e.action, 'from_state', e.from_state,
			'to_state', e.to_state, 'actor', e.actor_id, 'actor_name', e.actor, 'role', e.role, 'at', e.at, 'version', e.version,
			'note', e.note, 'reason', e.reason, 'attachments', e.attachments, 'deadline', e.deadline, 'assignee', e.assignee_id,
			'duplicate_of', e.duplicate_of, 'details', e.details, 'location', ST_AsGeoJSON(e.geom, 15)::jsonb,
			'client_id', e.client_id) ORDER BY e.at, e.id), '[]')
		  FROM case_events e WHERE e.case_id = c.id),
	'attachments', (SELECT coalesce(jsonb_agg(jsonb_build_object('id', a.id, 'url', '/api/v1/attachments/' || a.id,
			'sha256', a.sha256, 'content_type', a.content_type, 'size', a.size, 'filename', a.filename,
			'uploaded_by', a.uploaded_by, 'uploaded_at', a.uploaded_at) ORDER BY a.uploaded_at, a.id), '[]')
		  FROM attachments a WHERE a.case_id = c.id)))`

// queryRower reads one row: a pool, a connection or a transaction.
type queryRower interface {
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// get returns the case with its history, if u may see it.
func (s *Store) get(ctx context.Context, q queryRower, u *riskmap.User, id string) (json.RawMessage, error) {
	if !ValidID(id) {
		return nil, riskmap.Errorf(riskmap.ENOTFOUND, "case %s not found", id)
	}
	vis, args := visibleSQL(u, 2)
	var out string
	err := q.QueryRow(ctx, "SELECT "+fullCaseJSON(u)+"::text FROM cases c WHERE c.id = $1 AND "+vis,
		append([]any{id}, args...)...).Scan(&out)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, riskmap.Errorf(riskmap.ENOTFOUND, "case %s not found", id)
	}
	if err != nil {
		return nil, fmt.Errorf("get case %s: %w", id, err)
	}
	return json.RawMessage(out), nil
}

// Get returns a case in the user's view with its events and attachments.
func (s *Store) Get(ctx context.Context, u *riskmap.User, id string) (json.RawMessage, error) {
	return s.get(ctx, s.pool, u, strings.ToLower(id))
}

// Version returns the version of a case the user may see (for ETags).
func Version(doc json.RawMessage) int {
	var f struct {
		Properties struct {
			Version int `json:"version"`
		} `json:"properties"`
	}
	_ = json.Unmarshal(doc, &f)
	return f.Properties.Version
}

// Reply is a stored HTTP answer, replayed for a resent report.
type Reply struct {
	ID     string // the case's id
	Status int
	Body   []byte
}

// canReport: docs/domain.md's report row — a worker in own grid, township and
// above in scope.
func canReport(role string) bool {
	return role == riskmap.RoleWorker || isArea(role)
}

// Report records a new case. A client-made id makes it idempotent: the same
// id with the same content replays the first reply (status and body) and
// creates nothing; the same id with other content is a conflict.
func (s *Store) Report(ctx context.Context, u *riskmap.User, in *ReportInput) (Reply, error) {
	if !canReport(u.Role) {
		return Reply{}, riskmap.Errorf(riskmap.EFORBIDDEN, "role %s may not report cases", u.Role)
	}
	id := in.ID
	if id == "" {
		id = NewID()
	}
	fp := in.Fingerprint()
	var reply Reply
	err := postgres.BeginAudited(ctx, s.pool, func(tx pgx.Tx) error {
		body, err := s.open(ctx, tx, u, id, in, Link{})
		if errors.Is(err, errTaken) {
			var found bool
			if reply, found, err = ReportReplies.Find(ctx, tx, id, u.ID, fp); err == nil && !found {
				err = ReportReplies.Taken(id)
			}
			return err
		}
		if err != nil {
			return err
		}
		reply = Reply{Status: http.StatusCreated, Body: body}
		return ReportReplies.Keep(ctx, tx, id, u.ID, fp, reply)
	})
	if err != nil {
		return Reply{}, err
	}
	reply.ID = id
	return reply, nil
}

// Link ties a case to the routine work that found it: a patrol or an
// inspection (their ids), with the evidence that work already holds.
type Link struct {
	PatrolID     string
	InspectionID string
	Evidence     []Evidence
	// LocationField is what errors about the case's location name (default
	// "geometry"): the finding's location in the patrol or inspection.
	LocationField string
}

// Evidence is a file already in the blob store that a new case takes as an
// attachment (a patrol's photos), without copying its bytes.
type Evidence struct {
	SHA256, ContentType, BlobKey, Filename string
	Size                                   int64
}

// OpenIn opens a case inside tx, the transaction of the patrol or
// inspection that found it (so that both stand or neither does), reported
// by u with the rules of Report: a server-made id, the location in u's
// grids or area (else EFORBIDDEN). It returns the new case as a Feature.
func (s *Store) OpenIn(ctx context.Context, tx pgx.Tx, u *riskmap.User, in *ReportInput, link Link) (json.RawMessage, error) {
	if !canReport(u.Role) {
		return nil, riskmap.Errorf(riskmap.EFORBIDDEN, "role %s may not report cases", u.Role)
	}
	doc, err := s.open(ctx, tx, u, NewID(), in, link)
	if link.LocationField != "" {
		err = renameField(err, "geometry", link.LocationField)
	}
	return doc, err
}

// renameField rewrites the field an error's details name.
func renameField(err error, from, to string) error {
	var e *riskmap.Error
	if !errors.As(err, &e) {
		return err
	}
	out := *e
	out.Details = make([]riskmap.Detail, len(e.Details))
	for i, d := range e.Details {
		if d.Field == from {
			d.Field = to
		}
		out.Details[i] = d
	}
	return &out
}

// WithCases adds the member "cases" (case Features) to a Feature: how a
// patrol or an inspection lists the cases it opened.
func WithCases(doc json.RawMessage, cs []json.RawMessage) []byte {
	var b bytes.Buffer
	b.Write(bytes.TrimSuffix(bytes.TrimSpace(doc), []byte("}")))
	b.WriteString(`,"cases":[`)
	for i, c := range cs {
		if i > 0 {
			b.WriteByte(',')
		}
		b.Write(c)
	}
	b.WriteString("]}")
	return b.Bytes()
}

var errTaken = errors.New("case id taken")

// open inserts case id with its report event and evidence, and returns it
// as a Feature; errTaken when the id exists.
func (s *Store) open(ctx context.Context, tx pgx.Tx, u *riskmap.User, id string, in *ReportInput, link Link) (json.RawMessage, error) {
	if _, err := tx.Exec(ctx, "SELECT set_config('riskmap.case_action', 'report', true)"); err != nil {
		return nil, err
	}
	lon, lat := in.Lon, in.Lat
	if !in.HasLocation || in.RiskPointID != nil || in.HazardSourceID != nil {
		var err error
		if lon, lat, err = s.resolveRefs(ctx, tx, u, in); err != nil {
			return nil, err
		}
	}
	dups, err := s.duplicates(ctx, tx, id, in.Category, lon, lat)
	if err != nil {
		return nil, err
	}
	var grid string
	err = tx.QueryRow(ctx, `INSERT INTO cases (id, grade, category, description, device_time, reporter_id, reporter_name,
			risk_point_id, hazard_source_id, possible_duplicates, geom, patrol_id, inspection_id)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, ST_SetSRID(ST_MakePoint($11, $12), 4326), $13::uuid, $14::uuid)
		ON CONFLICT (id) DO NOTHING RETURNING grid_code`,
		id, in.Grade, in.Category, in.Description, in.DeviceTime, u.ID, u.Name(),
		in.RiskPointID, in.HazardSourceID, dups, lon, lat, nullID(link.PatrolID), nullID(link.InspectionID)).Scan(&grid)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, errTaken
	}
	if err != nil {
		return nil, postgres.Translate(err)
	}
	if !u.Scope().Contains(grid) {
		if u.Role == riskmap.RoleWorker {
			return nil, riskmap.Errorf(riskmap.EFORBIDDEN, "the location lies in grid %s, not one of your grids", grid).
				WithDetails(riskmap.Detail{Field: "geometry", Value: grid, Message: "outside your grids"})
		}
		return nil, riskmap.Errorf(riskmap.EFORBIDDEN, "the location lies in grid %s, outside your area", grid).
			WithDetails(riskmap.Detail{Field: "geometry", Value: grid, Message: "outside your area"})
	}
	if _, err := tx.Exec(ctx, `INSERT INTO case_events (case_id, actor_id, actor, role, action, from_state, to_state, version)
		VALUES ($1, $2, $3, $4, 'report', NULL, 'reported', 1)`, id, u.ID, u.Name(), u.Role); err != nil {
		return nil, postgres.Translate(err)
	}
	if err := s.tell(ctx, tx, Recorded{CaseID: id, Action: "report", ActorID: &u.ID, At: time.Now()}); err != nil {
		return nil, err
	}
	for _, ev := range link.Evidence {
		if _, err := tx.Exec(ctx, `INSERT INTO attachments (case_id, sha256, content_type, size, blob_key, filename, uploaded_by)
			VALUES ($1, $2, $3, $4, $5, nullif($6, ''), $7)`, id, ev.SHA256, ev.ContentType, ev.Size, ev.BlobKey, ev.Filename, u.ID); err != nil {
			return nil, postgres.Translate(err)
		}
	}
	var body string
	_, vargs := visibleSQL(u, 2)
	if err := tx.QueryRow(ctx, "SELECT "+caseJSON(u)+"::text FROM cases c WHERE c.id = $1", append([]any{id}, vargs...)...).Scan(&body); err != nil {
		return nil, fmt.Errorf("read new case: %w", err)
	}
	return json.RawMessage(body), nil
}

func nullID(id string) *string {
	if id == "" {
		return nil
	}
	return &id
}

// resolveRefs checks the risk point and hazard source a report names (they
// must exist in the reporter's view) and, when the report has no location,
// takes theirs.
func (s *Store) resolveRefs(ctx context.Context, tx pgx.Tx, u *riskmap.User, in *ReportInput) (lon, lat float64, err error) {
	lon, lat = in.Lon, in.Lat
	have := in.HasLocation
	for _, ref := range []struct {
		field, table, what string
		id                 *int64
	}{{"properties.risk_point_id", "risk_points", "risk point", in.RiskPointID}, {"properties.hazard_source_id", "hazard_sources", "hazard source", in.HazardSourceID}} {
		if ref.id == nil {
			continue
		}
		var x, y float64
		var grid string
		err := tx.QueryRow(ctx, "SELECT ST_X(geom), ST_Y(geom), grid_code FROM "+ref.table+" WHERE id = $1", *ref.id).Scan(&x, &y, &grid)
		if errors.Is(err, pgx.ErrNoRows) || (err == nil && !u.Scope().Contains(grid)) {
			return 0, 0, riskmap.Errorf(riskmap.EUNPROCESSABLE, "%s: no %s %d in your area", ref.field, ref.what, *ref.id).
				WithDetails(riskmap.Detail{Field: ref.field, Value: *ref.id, Message: "no such " + ref.what})
		}
		if err != nil {
			return 0, 0, fmt.Errorf("look up %s %d: %w", ref.what, *ref.id, err)
		}
		if !have {
			lon, lat, have = x, y, true
		}
	}
	return lon, lat, nil
}

// Act applies one action of the closed loop in one transaction, with the
// case row locked: the version the client saw must be the current one, the
// move legal from the current state, the user allowed and the required
// fields present. It appends the event and returns the case with its
// history.
func (s *Store) Act(ctx context.Context, u *riskmap.User, id string, a *ActionInput) (json.RawMessage, error) {
	id = strings.ToLower(id)
	r, ok := RuleFor(a.Action)
	if !ok {
		return nil, riskmap.Errorf(riskmap.EUNPROCESSABLE, "unknown action %q", a.Action)
	}
	if !r.MayEver(u.Role) {
		return nil, riskmap.Errorf(riskmap.EFORBIDDEN, "role %s may not %s a case", u.Role, a.Action)
	}
	if a.Version == nil {
		return nil, riskmap.Errorf(riskmap.EUNPROCESSABLE, "version: required: the version of the case you read").
			WithDetails(riskmap.Detail{Field: "version", Message: "required"})
	}
	var out json.RawMessage
	err := postgres.BeginAudited(ctx, s.pool, func(tx pgx.Tx) error {
		// a resend answers what its first sending was answered, whatever
		// the case has become since (and whoever may see it now)
		replayed, err := replayAction(ctx, tx, u, id, a, &out)
		if replayed || err != nil {
			return err
		}
		cur, err := s.lock(ctx, tx, u, id)
		if err != nil {
			return err
		}
		// a resend that waited for the lock behind its first sending
		if replayed, err := replayAction(ctx, tx, u, id, a, &out); replayed || err != nil {
			return err
		}
		if *a.Version != cur.Version {
			return riskmap.Errorf(riskmap.ECONFLICT, "case %s is at version %d (state %s), not %d: reload it and try again",
				id, cur.Version, cur.State, *a.Version).
				WithDetails(riskmap.Detail{Field: "version", Value: map[string]any{"version": cur.Version, "state": cur.State}, Message: "stale version"})
		}
		sit := Situation{User: u, InScope: u.Scope().Contains(cur.Grid), State: cur.State, Grade: cur.Grade,
			AssigneeID: cur.AssigneeID, SubmittedBy: cur.SubmittedBy, ClosedAt: cur.ClosedAt, Now: cur.Now}
		if err := r.Check(sit); err != nil {
			return err
		}
		if miss := a.missing(r, cur.Grade); len(miss) > 0 {
			return Unprocessable(miss)
		}
		ch, err := s.prepare(ctx, tx, u, cur, r, a)
		if err != nil {
			return err
		}
		if err := apply(ctx, tx, u, cur, r, a, ch); err != nil {
			return err
		}
		if err := s.tell(ctx, tx, Recorded{CaseID: cur.ID, Action: r.Action, ActorID: &u.ID, Reason: strings.TrimSpace(a.Reason),
			Note: strings.TrimSpace(a.Note), At: cur.Now}); err != nil {
			return err
		}
		if out, err = s.get(ctx, tx, &riskmap.User{Role: riskmap.RoleAdmin}, id); err != nil || a.ClientID == "" {
			return err
		}
		_, err = tx.Exec(ctx, `INSERT INTO case_action_replies (client_id, case_id, actor_id, request_sha256, reply) VALUES ($1, $2, $3, $4, $5)`,
			a.ClientID, id, u.ID, a.fingerprint(id), string(out))
		return postgres.Translate(err)
	})
	return out, err
}

// replayAction puts in out the stored reply to an action sent before with
// a's client id, and reports whether there was one. The same id from
// another user, for another case or with other content is a conflict.
func replayAction(ctx context.Context, tx pgx.Tx, u *riskmap.User, id string, a *ActionInput, out *json.RawMessage) (bool, error) {
	if a.ClientID == "" {
		return false, nil
	}
	var caseID, body string
	var actor int64
	var sum []byte
	err := tx.QueryRow(ctx, "SELECT case_id::text, actor_id, request_sha256, reply FROM case_action_replies WHERE client_id = $1", a.ClientID).
		Scan(&caseID, &actor, &sum, &body)
	if errors.Is(err, pgx.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("replay action %s: %w", a.ClientID, err)
	}
	if actor != u.ID || caseID != id || !bytes.Equal(sum, a.fingerprint(id)) {
		return false, riskmap.Errorf(riskmap.ECONFLICT, "client_id %s was already used for a different action: make a new id for a new action", a.ClientID).
			WithDetails(riskmap.Detail{Field: "client_id", Value: a.ClientID, Message: "used for a different action"})
	}
	*out = json.RawMessage(body)
	return true, nil
}

// current is the locked case as an action sees it.
type current struct {
	Row
	ID       string
	Version  int
	Grade    string
	Category string
	Grid     string
	Now      time.Time
}

func (s *Store) lock(ctx context.Context, tx pgx.Tx, u *riskmap.User, id string) (current, error) {
	c := current{ID: id}
	if !ValidID(id) {
		return c, riskmap.Errorf(riskmap.ENOTFOUND, "case %s not found", id)
	}
	vis, args := visibleSQL(u, 2)
	err := tx.QueryRow(ctx, `SELECT c.version, c.grade, c.category, c.grid_code, now(),
			c.state, c.assignee_id, c.assignee_name, c.submitted_by, c.deadline, c.deadline_changed_at, c.closed_at, c.reopened_at,
			c.responsibility, c.measures, c.funds, c.plan, c.interim_controls, c.duplicate_of::text
		  FROM cases c WHERE c.id = $1 AND `+vis+` FOR UPDATE OF c`, append([]any{id}, args...)...).
		Scan(&c.Version, &c.Grade, &c.Category, &c.Grid, &c.Now,
			&c.State, &c.AssigneeID, &c.AssigneeName, &c.SubmittedBy, &c.Deadline, &c.DeadlineChangedAt, &c.ClosedAt, &c.ReopenedAt,
			&c.Responsibility, &c.Measures, &c.Funds, &c.Plan, &c.InterimControls, &c.DuplicateOf)
	if errors.Is(err, pgx.ErrNoRows) {
		// A write outside the user's view is forbidden whether or not the
		// id exists elsewhere, so the answer reveals nothing.
		if u.Scope().All {
			return c, riskmap.Errorf(riskmap.ENOTFOUND, "case %s not found", id)
		}
		return c, riskmap.Errorf(riskmap.EFORBIDDEN, "case %s is not in your area", id)
	}
	if err != nil {
		return c, fmt.Errorf("lock case %s: %w", id, err)
	}
	return c, nil
}

// change is what an action writes besides the state.
type change struct {
	assigneeName *string
	deadline     *time.Time
	details      map[string]string
}

// prepare checks the action's values against the case and the database:
// the assignee, the deadline, the case merged into, the attachments.
func (s *Store) prepare(ctx context.Context, tx pgx.Tx, u *riskmap.User, cur current, r Rule, a *ActionInput) (change, error) {
	var ch change
	var problems []riskmap.Detail
	bad := func(field, format string, args ...any) {
		problems = append(problems, riskmap.Detail{Field: field, Message: fmt.Sprintf(format, args...)})
	}
	if a.Assignee != nil {
		name, err := checkAssignee(ctx, tx, *a.Assignee, cur.Grid)
		if err != nil {
			var e *riskmap.Error
			if !errors.As(err, &e) {
				return ch, err
			}
			bad("assignee", "%s", e.Message)
		} else {
			ch.assigneeName = &name
		}
	}
	if a.deadline != nil {
		ch.deadline = a.deadline
		switch {
		case !a.deadline.After(cur.Now):
			bad("deadline", "%s is not in the future", a.deadline.In(shanghai).Format(time.RFC3339))
		case r.Action == "extend" && cur.Deadline != nil && !a.deadline.After(*cur.Deadline):
			bad("deadline", "%s does not extend the current deadline %s", a.deadline.In(shanghai).Format(time.RFC3339),
				cur.Deadline.In(shanghai).Format(time.RFC3339))
		}
	}
	if a.DuplicateOf != nil {
		target := strings.ToLower(*a.DuplicateOf)
		vis, args := visibleSQL(u, 2)
		var state string
		var dupOf *string
		err := tx.QueryRow(ctx, "SELECT c.state, c.duplicate_of::text FROM cases c WHERE c.id = $1 AND "+vis,
			append([]any{target}, args...)...).Scan(&state, &dupOf)
		switch {
		case errors.Is(err, pgx.ErrNoRows):
			bad("duplicate_of", "no case %s in your area", target)
		case err != nil:
			return ch, fmt.Errorf("look up case %s: %w", target, err)
		case target == cur.ID:
			bad("duplicate_of", "a case cannot duplicate itself")
		case state == Duplicate && dupOf != nil:
			bad("duplicate_of", "case %s is itself a duplicate of %s: merge into that one", target, *dupOf)
		case state == Void:
			bad("duplicate_of", "case %s is void", target)
		}
		a.DuplicateOf = &target
	}
	if len(a.Attachments) > 0 {
		rows, err := tx.Query(ctx, "SELECT id::text, content_type FROM attachments WHERE case_id = $1 AND id = ANY($2::uuid[])", cur.ID, a.Attachments)
		if err != nil {
			return ch, fmt.Errorf("look up attachments: %w", err)
		}
		types := map[string]string{}
		for rows.Next() {
			var id, ct string
			if err := rows.Scan(&id, &ct); err != nil {
				rows.Close()
				return ch, err
			}
			types[id] = ct
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return ch, err
		}
		photo := false
		for i, id := range a.Attachments {
			ct, ok := types[id]
			if !ok {
				bad(fmt.Sprintf("attachments[%d]", i), "no attachment %s on this case: upload it to /api/v1/cases/%s/attachments first", id, cur.ID)
			}
			photo = photo || strings.HasPrefix(ct, "image/")
		}
		if r.Action == "submit" && !photo && len(problems) == 0 {
			bad("attachments", "submit needs at least one photo (image/jpeg, image/png or image/webp) as evidence")
		}
	}
	if len(problems) > 0 {
		return ch, Unprocessable(problems)
	}
	switch r.Action {
	case "assign":
		ch.details = map[string]string{}
		for k, v := range map[string]string{"responsibility": a.Responsibility, "measures": a.Measures, "funds": a.Funds, "plan": a.Plan} {
			if v = strings.TrimSpace(v); v != "" {
				ch.details[k] = v
			}
		}
	case "suspend":
		ch.details = map[string]string{"interim_controls": strings.TrimSpace(a.InterimControls)}
	}
	return ch, nil
}

// checkAssignee: an enabled account that can work the case — a grid worker
// of the case's township, or a township office with the case in its area
// (county and city bureaus assign and approve; they do not rectify).
func checkAssignee(ctx context.Context, tx pgx.Tx, id int64, grid string) (string, error) {
	var u riskmap.User
	var disabled bool
	err := tx.QueryRow(ctx, `SELECT u.id, u.username, coalesce(nullif(u.display_name, ''), u.username), u.role, u.disabled,
			array(SELECT area_code FROM user_areas WHERE user_id = u.id), array(SELECT grid_code FROM user_grids WHERE user_id = u.id)
		  FROM users u WHERE u.id = $1`, id).Scan(&u.ID, &u.Username, &u.DisplayName, &u.Role, &disabled, &u.Areas, &u.Grids)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", riskmap.Errorf(riskmap.EUNPROCESSABLE, "no user %d", id)
	}
	if err != nil {
		return "", fmt.Errorf("look up user %d: %w", id, err)
	}
	switch {
	case disabled:
		return "", riskmap.Errorf(riskmap.EUNPROCESSABLE, "user %d (%s) is disabled", id, u.Username)
	case u.Role == riskmap.RoleWorker:
		for _, g := range u.Grids {
			if g[:9] == grid[:9] {
				return u.DisplayName, nil
			}
		}
		return "", riskmap.Errorf(riskmap.EUNPROCESSABLE, "user %d (%s) is a grid worker of another township", id, u.Username)
	case u.Role == riskmap.RoleTownship:
		if u.Scope().Contains(grid) {
			return u.DisplayName, nil
		}
		return "", riskmap.Errorf(riskmap.EUNPROCESSABLE, "the case is outside the area of user %d (%s)", id, u.Username)
	case isCounty(u.Role):
		return "", riskmap.Errorf(riskmap.EUNPROCESSABLE, "user %d (%s) is a %s bureau, which assigns and approves but does not rectify: assign a grid worker or the township office", id, u.Username, u.Role)
	}
	return "", riskmap.Errorf(riskmap.EUNPROCESSABLE, "user %d (%s) has role %s, which does not rectify hazards", id, u.Username, u.Role)
}

// apply writes the case row as the action leaves it (Row.Apply, the fold
// the demo's histories go through too), then the event.
func apply(ctx context.Context, tx pgx.Tx, u *riskmap.User, cur current, r Rule, a *ActionInput, ch change) error {
	if _, err := tx.Exec(ctx, "SELECT set_config('riskmap.case_action', $1, true)", r.Action); err != nil {
		return err
	}
	// cur.Now is the transaction's now(), the time the event is stamped with
	e := Event{At: cur.Now, Action: r.Action, To: r.To, ActorID: &u.ID, Deadline: ch.deadline, Details: ch.details}
	var assignee *int64
	if r.Action == "assign" {
		assignee = a.Assignee
		e.AssigneeID, e.AssigneeName = a.Assignee, *ch.assigneeName
	}
	var dup *string
	if r.Action == "merge" {
		dup = a.DuplicateOf
		e.DuplicateOf = *a.DuplicateOf
	}
	next := cur.Row
	next.Apply(e)
	var version int
	err := tx.QueryRow(ctx, `UPDATE cases SET state = $2, assignee_id = $3, assignee_name = $4, submitted_by = $5,
			deadline = $6, deadline_changed_at = $7, closed_at = $8, reopened_at = $9, responsibility = $10, measures = $11,
			funds = $12, plan = $13, interim_controls = $14, duplicate_of = $15,
			-- a new deadline starts escalation again
			escalation_level = CASE WHEN deadline IS DISTINCT FROM $6 THEN 0 ELSE escalation_level END
		 WHERE id = $1 RETURNING version`,
		cur.ID, next.State, next.AssigneeID, next.AssigneeName, next.SubmittedBy, next.Deadline, next.DeadlineChangedAt,
		next.ClosedAt, next.ReopenedAt, next.Responsibility, next.Measures, next.Funds, next.Plan, next.InterimControls,
		next.DuplicateOf).Scan(&version)
	if err != nil {
		return postgres.Translate(err)
	}
	var details any
	if len(ch.details) > 0 {
		details = ch.details
	}
	var lon, lat *float64
	if a.location != nil {
		lon, lat = &a.location[0], &a.location[1]
	}
	attachments := a.Attachments
	if attachments == nil {
		attachments = []string{}
	}
	_, err = tx.Exec(ctx, `INSERT INTO case_events (case_id, actor_id, actor, role, action, from_state, to_state, version,
			note, reason, attachments, deadline, assignee_id, duplicate_of, details, geom, client_id)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, nullif($9, ''), nullif($10, ''), $11::uuid[], $12, $13, $14, $15,
			CASE WHEN $16::float8 IS NULL THEN NULL ELSE ST_SetSRID(ST_MakePoint($16, $17), 4326) END, nullif($18, '')::uuid)`,
		cur.ID, u.ID, u.Name(), u.Role, r.Action, cur.State, r.To, version,
		strings.TrimSpace(a.Note), strings.TrimSpace(a.Reason), attachments, ch.deadline, assignee, dup, details, lon, lat, a.ClientID)
	if err != nil {
		return postgres.Translate(err)
	}
	return nil
}

// Linked returns the cases a patrol or an inspection opened (link names
// one), as they stand now, in the order opened, that u may see.
func (s *Store) Linked(ctx context.Context, u *riskmap.User, link Link) ([]json.RawMessage, error) {
	col, id := "patrol_id", link.PatrolID
	if link.InspectionID != "" {
		col, id = "inspection_id", link.InspectionID
	}
	vis, args := visibleSQL(u, 2)
	// the projection's own visibility predicate takes the same arguments
	out, err := postgres.QueryDocs(ctx, s.pool, "SELECT "+caseJSON(u)+"::text FROM cases c WHERE c."+col+" = $1 AND "+vis+" ORDER BY c.seq",
		append([]any{id}, args...)...)
	if err != nil {
		return nil, fmt.Errorf("cases of %s %s: %w", col, id, err)
	}
	return out, nil
}
