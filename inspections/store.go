// Package inspections is the supervision of enterprises (监督检查): an
// office's inspection of a hazard source — the registry of 生产经营单位 —
// by at least two of its enforcement officers, whose findings open
// hidden-hazard cases in the same transaction and which may end in an
// administrative penalty; the 双随机 plans that draw units and inspectors
// at random from a stored, replayable seed; and the statistics the
// bureau's annual report reads from them (with the patrol figures).
package inspections

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"riskmap"
	"riskmap/cases"
	"riskmap/patrols"
	"riskmap/postgres"
)

// Config holds the inspections' settings.
type Config struct {
	// Reads runs the inspection list and statistics on a hot standby
	// when it is fresh (postgres.Reads; nil: the pool).
	Reads *postgres.Reads
	// Now is the clock (default time.Now): an inspection cannot be dated
	// after today.
	Now func() time.Time
}

// Store keeps inspections and plans in PostGIS and opens their cases
// through the closed loop's store; the patrol figures of the statistics
// come from the patrols' store.
type Store struct {
	pool *pgxpool.Pool
	// reads runs the inspection list and the statistics: on a hot
	// standby when it is fresh (postgres.Reads; Config.Reads).
	reads   *postgres.Reads
	cases   *cases.Store
	patrols *patrols.Store
	cfg     Config
}

// NewStore returns a store.
func NewStore(pool *pgxpool.Pool, cs *cases.Store, ps *patrols.Store, cfg Config) *Store {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	reads := cfg.Reads
	if reads == nil {
		reads = postgres.PrimaryReads(pool)
	}
	return &Store{pool: pool, reads: reads, cases: cs, patrols: ps, cfg: cfg}
}

// replies are the first answers to each client-made inspection id.
var replies = cases.Replies{Table: "inspection_replies", IDColumn: "inspection_id", UserColumn: "user_id", What: "inspection"}

// isOffice: the roles that inspect, draw plans and record penalties.
func isOffice(role string) bool { return slices.Contains(Levels(), role) }

// enterprise is the hazard source inspected.
type enterprise struct {
	ID     int64
	Name   string
	Status string
	Grid   string
}

// inspector is a named enforcement officer.
type inspector struct {
	ID   int64
	Name string
}

// Record stores an inspection, its inspectors and the cases its findings
// open, in one transaction. A client-made id makes it idempotent as case
// reports are.
func (s *Store) Record(ctx context.Context, u *riskmap.User, in *Input) (cases.Reply, error) {
	if !isOffice(u.Role) {
		return cases.Reply{}, riskmap.Errorf(riskmap.EFORBIDDEN, "role %s does not inspect enterprises: the township, county and city offices do", u.Role)
	}
	today := patrols.Today(s.cfg.Now())
	if in.InspectedOn.After(today) {
		return cases.Reply{}, riskmap.Errorf(riskmap.EUNPROCESSABLE, "inspected_on: %s is after today (%s)",
			in.InspectedOn.Format("2006-01-02"), today.Format("2006-01-02")).
			WithDetails(riskmap.Detail{Field: "inspected_on", Message: "in the future"})
	}
	id := in.ID
	if id == "" {
		id = cases.NewID()
	}
	fp := in.fingerprint()
	if r, found, err := replies.Find(ctx, s.pool, id, u.ID, fp); found || err != nil {
		return r, err
	}
	ent, err := s.enterprise(ctx, u, in.HazardSourceID)
	if err != nil {
		return cases.Reply{}, err
	}
	officers, err := s.inspectors(ctx, in.Inspectors, ent.Grid)
	if err != nil {
		return cases.Reply{}, err
	}
	if in.PlanID > 0 {
		if err := s.checkPlanned(ctx, u, in); err != nil {
			return cases.Reply{}, err
		}
	}
	office := officeOf(u, ent.Grid)
	var reply cases.Reply
	err = postgres.BeginAudited(ctx, s.pool, func(tx pgx.Tx) error {
		var penaltyNo, penaltyYuan *string
		if in.Penalty != nil {
			y := in.Penalty.Yuan()
			penaltyNo, penaltyYuan = &in.Penalty.DecisionNo, &y
		}
		var plan *int64
		if in.PlanID > 0 {
			plan = &in.PlanID
			// one inspection per planned unit: serialise on the plan
			if _, err := tx.Exec(ctx, "SELECT 1 FROM inspection_plans WHERE id = $1 FOR UPDATE", in.PlanID); err != nil {
				return err
			}
			if done, err := plannedDone(ctx, tx, in.PlanID, in.HazardSourceID); err != nil || done != "" {
				if err == nil {
					err = riskmap.Errorf(riskmap.ECONFLICT, "plan %d: hazard source %d was already inspected (inspection %s)", in.PlanID, in.HazardSourceID, done).
						WithDetails(riskmap.Detail{Field: "plan_id", Value: in.PlanID, Message: "unit already inspected"})
				}
				return err
			}
		}
		var grid string
		err := tx.QueryRow(ctx, `INSERT INTO inspections (id, hazard_source_id, inspected_on, kind, level, office_code, plan_id, note,
				penalty_decision_no, penalty_yuan, recorded_by, recorded_by_name)
			VALUES ($1, $2, $3, $4, $5, $6, $7, nullif($8, ''), $9, $10::numeric, $11, $12)
			ON CONFLICT (id) DO NOTHING RETURNING grid_code`,
			id, in.HazardSourceID, in.InspectedOn.Format("2006-01-02"), in.Kind, u.Role, office, plan, in.Note,
			penaltyNo, penaltyYuan, u.ID, u.Name()).Scan(&grid)
		if errors.Is(err, pgx.ErrNoRows) {
			reply, err = replies.Raced(ctx, tx, id, u.ID, fp)
			return err
		}
		if err != nil {
			return postgres.Translate(err)
		}
		if !u.Scope().Contains(grid) {
			return riskmap.Errorf(riskmap.EFORBIDDEN, "hazard source %d lies in grid %s, outside your area", in.HazardSourceID, grid).
				WithDetails(riskmap.Detail{Field: "hazard_source_id", Value: in.HazardSourceID, Message: "outside your area"})
		}
		for i, o := range officers {
			if _, err := tx.Exec(ctx, "INSERT INTO inspection_inspectors (inspection_id, position, user_id, name) VALUES ($1, $2, $3, $4)",
				id, i, o.ID, o.Name); err != nil {
				return postgres.Translate(err)
			}
		}
		opened := make([]json.RawMessage, 0, len(in.Findings))
		for i, f := range in.Findings {
			rep := &cases.ReportInput{Grade: f.Grade, Category: f.Category, Description: f.Description, HazardSourceID: &in.HazardSourceID}
			if rep.Category == "" {
				rep.Category = "other"
			}
			if f.Location != nil {
				rep.Lon, rep.Lat, rep.HasLocation = f.Location[0], f.Location[1], true
			}
			c, err := s.cases.OpenIn(ctx, tx, u, rep, cases.Link{InspectionID: id, LocationField: fmt.Sprintf("findings[%d].location", i)})
			if err != nil {
				return err
			}
			opened = append(opened, c)
		}
		doc, err := inspectionDoc(ctx, tx, id)
		if err != nil {
			return err
		}
		reply = cases.Reply{ID: id, Status: http.StatusCreated, Body: cases.WithCases(doc, opened)}
		return replies.Keep(ctx, tx, id, u.ID, fp, reply)
	})
	if err != nil {
		return cases.Reply{}, err
	}
	reply.ID = id
	return reply, nil
}

// officeOf is the area of u's office that holds grid: the area code of the
// inspecting office (the longest of u's areas containing it).
func officeOf(u *riskmap.User, grid string) string {
	best := ""
	for _, a := range u.Areas {
		if strings.HasPrefix(grid, riskmap.AreaPrefix(a)) && len(riskmap.AreaPrefix(a)) > len(riskmap.AreaPrefix(best)) {
			best = a
		}
	}
	return best
}

// enterprise looks up the inspected hazard source: it must exist (422),
// lie in u's area (403) and be active (422).
func (s *Store) enterprise(ctx context.Context, u *riskmap.User, id int64) (enterprise, error) {
	e := enterprise{ID: id}
	err := s.pool.QueryRow(ctx, "SELECT name, status, grid_code FROM hazard_sources WHERE id = $1", id).Scan(&e.Name, &e.Status, &e.Grid)
	if errors.Is(err, pgx.ErrNoRows) {
		return e, riskmap.Errorf(riskmap.EUNPROCESSABLE, "hazard_source_id: no hazard source %d: register the enterprise first (category other, no major-hazard level)", id).
			WithDetails(riskmap.Detail{Field: "hazard_source_id", Value: id, Message: "no such hazard source"})
	}
	if err != nil {
		return e, fmt.Errorf("hazard source %d: %w", id, err)
	}
	if !u.Scope().Contains(e.Grid) {
		return e, riskmap.Errorf(riskmap.EFORBIDDEN, "hazard source %d (%s) lies in grid %s, outside your area", id, e.Name, e.Grid).
			WithDetails(riskmap.Detail{Field: "hazard_source_id", Value: id, Message: "outside your area"})
	}
	if e.Status != "active" {
		return e, riskmap.Errorf(riskmap.EUNPROCESSABLE, "hazard_source_id: %s (%d) is %s", e.Name, id, e.Status).
			WithDetails(riskmap.Detail{Field: "hazard_source_id", Value: id, Message: e.Status})
	}
	return e, nil
}

// inspectors checks the named officers: enabled users of an office
// (township, county or city) whose area holds the enterprise.
func (s *Store) inspectors(ctx context.Context, ids []int64, grid string) ([]inspector, error) {
	rows, err := s.pool.Query(ctx, `SELECT u.id, coalesce(nullif(u.display_name, ''), u.username), u.role, u.disabled,
			array(SELECT area_code FROM user_areas WHERE user_id = u.id)
		  FROM users u WHERE u.id = ANY($1)`, ids)
	if err != nil {
		return nil, fmt.Errorf("inspectors: %w", err)
	}
	type row struct {
		name, role string
		disabled   bool
		areas      []string
	}
	found := map[int64]row{}
	for rows.Next() {
		var id int64
		var r row
		if err := rows.Scan(&id, &r.name, &r.role, &r.disabled, &r.areas); err != nil {
			rows.Close()
			return nil, err
		}
		found[id] = r
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	var problems []riskmap.Detail
	out := make([]inspector, 0, len(ids))
	for i, id := range ids {
		field := fmt.Sprintf("inspectors[%d]", i)
		r, ok := found[id]
		switch {
		case !ok:
			problems = append(problems, riskmap.Detail{Field: field, Value: id, Message: fmt.Sprintf("no user %d", id)})
		case r.disabled:
			problems = append(problems, riskmap.Detail{Field: field, Value: id, Message: fmt.Sprintf("user %d (%s) is disabled", id, r.name)})
		case !isOffice(r.role):
			problems = append(problems, riskmap.Detail{Field: field, Value: id,
				Message: fmt.Sprintf("user %d (%s) is a %s, not an enforcement officer of an office", id, r.name, r.role)})
		case !(riskmap.Scope{Areas: r.areas}).Contains(grid):
			problems = append(problems, riskmap.Detail{Field: field, Value: id,
				Message: fmt.Sprintf("user %d (%s) is an officer of another area than the enterprise's", id, r.name)})
		default:
			out = append(out, inspector{ID: id, Name: r.name})
		}
	}
	if len(problems) > 0 {
		return nil, cases.Unprocessable(problems)
	}
	return out, nil
}

// inspectionJSON projects one inspection (alias i, its hazard source h) as
// a GeoJSON Feature at the enterprise's place.
const inspectionJSON = `json_build_object('type', 'Feature', 'id', i.id, 'geometry', ST_AsGeoJSON(i.geom, 8)::json,
	'properties', json_build_object(
		'hazard_source_id', i.hazard_source_id, 'hazard_source_name', h.name, 'credit_code', h.credit_code, 'category', h.category,
		'inspected_on', i.inspected_on, 'kind', i.kind, 'level', i.level, 'office_code', i.office_code,
		'office_name', (SELECT a.name FROM areas a WHERE a.code = i.office_code),
		'plan_id', i.plan_id, 'note', i.note,
		'penalty', CASE WHEN i.penalty_decision_no IS NOT NULL THEN
			json_build_object('decision_no', i.penalty_decision_no, 'amount_yuan', i.penalty_yuan) END,
		'inspectors', (SELECT json_agg(json_build_object('user_id', x.user_id, 'name', x.name) ORDER BY x.position)
			FROM inspection_inspectors x WHERE x.inspection_id = i.id),
		'recorded_by', i.recorded_by, 'recorded_by_name', i.recorded_by_name, 'recorded_at', i.recorded_at,
		'grid_code', i.grid_code, 'township_code', i.township_code, 'county_code', i.county_code,
		'case_ids', array(SELECT c.id FROM cases c WHERE c.inspection_id = i.id ORDER BY c.seq)))`

func inspectionDoc(ctx context.Context, q pgx.Tx, id string) (json.RawMessage, error) {
	var out string
	if err := q.QueryRow(ctx, "SELECT "+inspectionJSON+"::text FROM inspections i JOIN hazard_sources h ON h.id = i.hazard_source_id WHERE i.id = $1", id).
		Scan(&out); err != nil {
		return nil, fmt.Errorf("read inspection %s: %w", id, err)
	}
	return json.RawMessage(out), nil
}

// Get returns an inspection in u's view with the cases it opened.
func (s *Store) Get(ctx context.Context, u *riskmap.User, id string) (json.RawMessage, error) {
	id = strings.ToLower(id)
	notFound := riskmap.Errorf(riskmap.ENOTFOUND, "inspection %s not found", id)
	if !cases.ValidID(id) {
		return nil, notFound
	}
	vis, args := u.Scope().SQL("i.grid_code", 2)
	var doc string
	err := s.pool.QueryRow(ctx, "SELECT "+inspectionJSON+"::text FROM inspections i JOIN hazard_sources h ON h.id = i.hazard_source_id WHERE i.id = $1 AND "+vis,
		append([]any{id}, args...)...).Scan(&doc)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, notFound
	}
	if err != nil {
		return nil, fmt.Errorf("inspection %s: %w", id, err)
	}
	cs, err := s.cases.Linked(ctx, u, cases.Link{InspectionID: id})
	if err != nil {
		return nil, err
	}
	return cases.WithCases(json.RawMessage(doc), cs), nil
}

// ListQuery selects inspections. Zero values match everything.
type ListQuery struct {
	HazardSourceID int64
	Area           string
	From, To       time.Time
	Kind, Level    string
	PlanID         int64
	Limit          int
	After          int64 // cursor: inspections recorded before this seq
}

// Page is a page of inspections, newest first.
type Page struct {
	Features []json.RawMessage
	Next     int64
}

// List returns the inspections in u's view matching q, newest first.
func (s *Store) List(ctx context.Context, u *riskmap.User, q ListQuery) (Page, error) {
	var w postgres.Where
	if q.HazardSourceID > 0 {
		w.And("i.hazard_source_id = " + w.Arg(q.HazardSourceID))
	}
	if q.Area != "" {
		w.And("i.grid_code LIKE " + w.Arg(riskmap.AreaPrefix(q.Area)+"%"))
	}
	w.Days("i.inspected_on", q.From, q.To)
	if q.Kind != "" {
		w.And("i.kind = " + w.Arg(q.Kind))
	}
	if q.Level != "" {
		w.And("i.level = " + w.Arg(q.Level))
	}
	if q.PlanID > 0 {
		w.And("i.plan_id = " + w.Arg(q.PlanID))
	}
	vis, vargs := u.Scope().SQL("i.grid_code", w.Next())
	w.And(vis, vargs...)
	var page Page
	var err error
	page.Features, page.Next, err = w.Newest(ctx, s.reads, "SELECT i.seq, "+inspectionJSON+
		"::text FROM inspections i JOIN hazard_sources h ON h.id = i.hazard_source_id", "i.seq", q.After, q.Limit)
	if err != nil {
		return Page{}, fmt.Errorf("list inspections: %w", err)
	}
	return page, nil
}

// Officer is an enforcement officer who may inspect an enterprise.
type Officer struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
	Role string `json:"role"`
}

// Officers lists the officers who may be named inspectors of an
// inspection of the hazard source: enabled users of an office (township,
// county, city) whose area holds it, the nearest level first. Only offices
// ask, for an enterprise in their area.
func (s *Store) Officers(ctx context.Context, u *riskmap.User, hazardSourceID int64) ([]Officer, error) {
	if !isOffice(u.Role) {
		return nil, riskmap.Errorf(riskmap.EFORBIDDEN, "role %s does not inspect enterprises", u.Role)
	}
	ent, err := s.enterprise(ctx, u, hazardSourceID)
	if err != nil {
		return nil, err
	}
	rows, err := s.pool.Query(ctx, `SELECT u.id, coalesce(nullif(u.display_name, ''), u.username), u.role
		  FROM users u
		 WHERE u.role IN ('township', 'county', 'city') AND NOT u.disabled
		   AND EXISTS (SELECT 1 FROM user_areas a WHERE a.user_id = u.id AND $1 LIKE riskmap_area_prefix(a.area_code) || '%')
		 ORDER BY array_position(ARRAY['township', 'county', 'city'], u.role), 2, u.id`, ent.Grid)
	if err != nil {
		return nil, fmt.Errorf("officers: %w", err)
	}
	defer rows.Close()
	out := []Officer{}
	for rows.Next() {
		var o Officer
		if err := rows.Scan(&o.ID, &o.Name, &o.Role); err != nil {
			return nil, err
		}
		out = append(out, o)
	}
	return out, rows.Err()
}
