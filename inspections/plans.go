package inspections

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"riskmap"
	"riskmap/cases"
	"riskmap/postgres"
)

// HazardCategories are the registry's categories a draw may keep to.
func HazardCategories() []string {
	return []string{"hazardous_chemicals", "fireworks", "non_coal_mine", "gas", "industrial_trade", "other"}
}

// PlanInput is a 双随机 draw as the office asked for it.
type PlanInput struct {
	Area       string    `json:"area"`
	From       time.Time `json:"-"`
	To         time.Time `json:"-"`
	Units      int       `json:"units"`
	Inspectors int       `json:"inspectors"`
	Category   string    `json:"category"`
	Seed       *int64    `json:"seed"`
}

// ParsePlan checks the body of POST /api/v1/inspection-plans.
func ParsePlan(body []byte) (*PlanInput, error) {
	var raw struct {
		Area       string `json:"area"`
		From       string `json:"from"`
		To         string `json:"to"`
		Units      *int   `json:"units"`
		Inspectors *int   `json:"inspectors"`
		Category   string `json:"category"`
		Seed       *int64 `json:"seed"`
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&raw); err != nil {
		return nil, riskmap.Errorf(riskmap.EINVALID, "body is not a draw {\"area\",\"from\",\"to\",\"units\",\"inspectors\",\"category\",\"seed\"}: %v", err)
	}
	var problems []riskmap.Detail
	bad := func(field, format string, args ...any) {
		problems = append(problems, riskmap.Detail{Field: field, Message: fmt.Sprintf(format, args...)})
	}
	in := &PlanInput{Area: raw.Area, Category: raw.Category, Seed: raw.Seed}
	if len(raw.Area) != 12 || strings.Trim(raw.Area, "0123456789") != "" {
		bad("area", "want the 12-digit code of the area drawn from, got %q", raw.Area)
	}
	for _, d := range []struct {
		field, v string
		dst      *time.Time
	}{{"from", raw.From, &in.From}, {"to", raw.To, &in.To}} {
		t, err := time.ParseInLocation("2006-01-02", d.v, cases.Shanghai())
		if err != nil {
			bad(d.field, "want a date YYYY-MM-DD (the plan's period), got %q", d.v)
		}
		*d.dst = t
	}
	if !in.From.IsZero() && !in.To.IsZero() && in.To.Before(in.From) {
		bad("to", "%s is before from %s", raw.To, raw.From)
	}
	if raw.Units == nil || *raw.Units < 1 || *raw.Units > 10000 {
		bad("units", "want how many enterprises to draw (1 to 10000)")
	} else {
		in.Units = *raw.Units
	}
	if raw.Inspectors == nil || *raw.Inspectors < 2 || *raw.Inspectors > 100 {
		bad("inspectors", "want how many enforcement officers to draw: at least 2 (two inspect together), at most 100")
	} else {
		in.Inspectors = *raw.Inspectors
	}
	if raw.Category != "" && !slices.Contains(HazardCategories(), raw.Category) {
		bad("category", "unknown category %q; allowed: %s", raw.Category, strings.Join(HazardCategories(), ", "))
	}
	if raw.Seed != nil && (*raw.Seed < 0 || *raw.Seed > MaxSeed) {
		bad("seed", "want a whole number from 0 to %d", int64(MaxSeed))
	}
	if len(problems) > 0 {
		return nil, cases.Unprocessable(problems)
	}
	return in, nil
}

// CreatePlan draws a plan: Units enterprises at random from the active
// hazard sources of the area (of the category, when given) and Inspectors
// officers at random from the drawing office (enabled users of the same
// role whose area holds the plan's), from the seed (a new random one when
// none is given). The candidates are stored with the seed, so the draw can
// be replayed exactly (Replay).
func (s *Store) CreatePlan(ctx context.Context, u *riskmap.User, in *PlanInput) (json.RawMessage, error) {
	if !isOffice(u.Role) {
		return nil, riskmap.Errorf(riskmap.EFORBIDDEN, "role %s does not draw inspection plans: the township, county and city offices do", u.Role)
	}
	if !u.Scope().Contains(in.Area) {
		return nil, riskmap.Errorf(riskmap.EFORBIDDEN, "area %s is outside your area", in.Area).
			WithDetails(riskmap.Detail{Field: "area", Value: in.Area, Message: "outside your area"})
	}
	var areaName string
	err := s.pool.QueryRow(ctx, "SELECT name FROM areas WHERE code = $1", in.Area).Scan(&areaName)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, riskmap.Errorf(riskmap.EUNPROCESSABLE, "area: no area %s", in.Area).WithDetails(riskmap.Detail{Field: "area", Message: "no such area"})
	}
	if err != nil {
		return nil, fmt.Errorf("plan area: %w", err)
	}
	seed := NewSeed()
	if in.Seed != nil {
		seed = *in.Seed
	}
	var id int64
	err = postgres.BeginAudited(ctx, s.pool, func(tx pgx.Tx) error {
		var units, officers []int64
		// the registry as it stands in this transaction, ids ascending
		if err := tx.QueryRow(ctx, `SELECT coalesce(array_agg(id ORDER BY id), '{}') FROM hazard_sources
			WHERE status = 'active' AND grid_code LIKE $1 AND ($2 = '' OR category = $2)`,
			riskmap.AreaPrefix(in.Area)+"%", in.Category).Scan(&units); err != nil {
			return fmt.Errorf("plan candidates: %w", err)
		}
		if in.Units > len(units) {
			what := "enterprises"
			if in.Category != "" {
				what += " of category " + in.Category
			}
			return riskmap.Errorf(riskmap.EUNPROCESSABLE, "units: asked for %d, but the registry holds %d active %s in %s (%s)",
				in.Units, len(units), what, areaName, in.Area).
				WithDetails(riskmap.Detail{Field: "units", Value: len(units), Message: fmt.Sprintf("the registry holds %d", len(units))})
		}
		if err := tx.QueryRow(ctx, `SELECT coalesce(array_agg(u.id ORDER BY u.id), '{}') FROM users u
			WHERE u.role = $1 AND NOT u.disabled
			  AND EXISTS (SELECT 1 FROM user_areas a WHERE a.user_id = u.id AND $2 LIKE riskmap_area_prefix(a.area_code) || '%')`,
			u.Role, in.Area).Scan(&officers); err != nil {
			return fmt.Errorf("plan officers: %w", err)
		}
		if in.Inspectors > len(officers) {
			return riskmap.Errorf(riskmap.EUNPROCESSABLE, "inspectors: asked for %d, but the %s office of %s has %d enabled officers",
				in.Inspectors, u.Role, areaName, len(officers)).
				WithDetails(riskmap.Detail{Field: "inspectors", Value: len(officers), Message: fmt.Sprintf("the office has %d", len(officers))})
		}
		drawnUnits := Draw(seed, unitStream, units, in.Units)
		drawnOfficers := Draw(seed, inspectorStream, officers, in.Inspectors)
		err := tx.QueryRow(ctx, `INSERT INTO inspection_plans (area_code, category, period_from, period_to, units, inspectors, seed, level,
				drawn_by, drawn_by_name, unit_candidates, officer_candidates)
			VALUES ($1, nullif($2, ''), $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING id`,
			in.Area, in.Category, in.From.Format("2006-01-02"), in.To.Format("2006-01-02"), in.Units, in.Inspectors, seed, u.Role,
			u.ID, u.Name(), units, officers).Scan(&id)
		if err != nil {
			return postgres.Translate(err)
		}
		if _, err := tx.Exec(ctx, `INSERT INTO inspection_plan_units (plan_id, position, hazard_source_id)
			SELECT $1, n - 1, x FROM unnest($2::bigint[]) WITH ORDINALITY AS d(x, n)`, id, drawnUnits); err != nil {
			return postgres.Translate(err)
		}
		_, err = tx.Exec(ctx, `INSERT INTO inspection_plan_inspectors (plan_id, position, user_id, name)
			SELECT $1, d.n - 1, u.id, coalesce(nullif(u.display_name, ''), u.username)
			  FROM unnest($2::bigint[]) WITH ORDINALITY AS d(x, n) JOIN users u ON u.id = d.x`, id, drawnOfficers)
		return postgres.Translate(err)
	})
	if err != nil {
		return nil, err
	}
	return s.GetPlan(ctx, u, id)
}

// planJSON projects a plan (alias pl) with its drawn units (each with the
// inspection that carried it out, if any), its inspectors and its progress.
const planJSON = `json_build_object('id', pl.id, 'area', pl.area_code, 'area_name', (SELECT a.name FROM areas a WHERE a.code = pl.area_code),
	'category', pl.category, 'from', pl.period_from, 'to', pl.period_to, 'seed', pl.seed, 'level', pl.level,
	'drawn_by', pl.drawn_by, 'drawn_by_name', pl.drawn_by_name, 'drawn_at', pl.drawn_at,
	'candidates', json_build_object('units', cardinality(pl.unit_candidates), 'inspectors', cardinality(pl.officer_candidates)),
	'units', (SELECT json_agg(json_build_object('position', pu.position, 'hazard_source_id', pu.hazard_source_id,
			'name', h.name, 'credit_code', h.credit_code, 'category', h.category, 'grid_code', h.grid_code,
			'township_code', h.township_code, 'inspection_id', d.id, 'inspected_on', d.inspected_on,
			'location', ST_AsGeoJSON(h.geom, 8)::json) ORDER BY pu.position)
		  FROM inspection_plan_units pu JOIN hazard_sources h ON h.id = pu.hazard_source_id
		  LEFT JOIN LATERAL (SELECT i.id, i.inspected_on FROM inspections i
		                      WHERE i.plan_id = pl.id AND i.hazard_source_id = pu.hazard_source_id LIMIT 1) d ON true
		 WHERE pu.plan_id = pl.id),
	'inspectors', (SELECT json_agg(json_build_object('user_id', pi.user_id, 'name', pi.name) ORDER BY pi.position)
		  FROM inspection_plan_inspectors pi WHERE pi.plan_id = pl.id),
	'progress', json_build_object('planned', pl.units,
		'done', (SELECT count(DISTINCT i.hazard_source_id) FROM inspections i WHERE i.plan_id = pl.id)))`

// GetPlan returns a plan whose area lies in u's scope (offices and
// planners); grid workers see no plans.
func (s *Store) GetPlan(ctx context.Context, u *riskmap.User, id int64) (json.RawMessage, error) {
	if u.Role == riskmap.RoleWorker {
		return nil, riskmap.Errorf(riskmap.EFORBIDDEN, "inspection plans are the offices' business")
	}
	vis, args := u.Scope().SQL("pl.area_code", 2)
	var doc string
	err := s.pool.QueryRow(ctx, "SELECT "+planJSON+"::text FROM inspection_plans pl WHERE pl.id = $1 AND "+vis, append([]any{id}, args...)...).Scan(&doc)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, riskmap.Errorf(riskmap.ENOTFOUND, "inspection plan %d not found", id)
	}
	if err != nil {
		return nil, fmt.Errorf("plan %d: %w", id, err)
	}
	return json.RawMessage(doc), nil
}

// ListPlans returns the plans in u's scope, newest first.
func (s *Store) ListPlans(ctx context.Context, u *riskmap.User, area string, limit int) ([]json.RawMessage, error) {
	if u.Role == riskmap.RoleWorker {
		return nil, riskmap.Errorf(riskmap.EFORBIDDEN, "inspection plans are the offices' business")
	}
	vis, args := u.Scope().SQL("pl.area_code", 3)
	prefix := "%"
	if area != "" {
		prefix = riskmap.AreaPrefix(area) + "%"
	}
	out, err := postgres.QueryDocs(ctx, s.pool, "SELECT "+planJSON+"::text FROM inspection_plans pl WHERE pl.area_code LIKE $1 AND "+vis+
		" ORDER BY pl.id DESC LIMIT $2", append([]any{prefix, limit}, args...)...)
	if err != nil {
		return nil, fmt.Errorf("plans: %w", err)
	}
	return out, nil
}

// Replay draws a stored plan again from its seed and stored candidates and
// reports whether it picks the same units and inspectors in the same order.
func (s *Store) Replay(ctx context.Context, id int64) (bool, error) {
	var seed int64
	var n, m int
	var units, officers, drawnUnits, drawnOfficers []int64
	err := s.pool.QueryRow(ctx, `SELECT pl.seed, pl.units, pl.inspectors, pl.unit_candidates, pl.officer_candidates,
			array(SELECT hazard_source_id FROM inspection_plan_units WHERE plan_id = pl.id ORDER BY position),
			array(SELECT user_id FROM inspection_plan_inspectors WHERE plan_id = pl.id ORDER BY position)
		  FROM inspection_plans pl WHERE pl.id = $1`, id).Scan(&seed, &n, &m, &units, &officers, &drawnUnits, &drawnOfficers)
	if err != nil {
		return false, fmt.Errorf("plan %d: %w", id, err)
	}
	return slices.Equal(Draw(seed, unitStream, units, n), drawnUnits) && slices.Equal(Draw(seed, inspectorStream, officers, m), drawnOfficers), nil
}

// checkPlanned holds an inspection of a planned unit to its plan: the plan
// is in u's view, the enterprise one of its units, the date in its period.
func (s *Store) checkPlanned(ctx context.Context, u *riskmap.User, in *Input) error {
	vis, args := u.Scope().SQL("pl.area_code", 3)
	var from, to time.Time
	var planned bool
	err := s.pool.QueryRow(ctx, `SELECT pl.period_from, pl.period_to,
			EXISTS (SELECT 1 FROM inspection_plan_units pu WHERE pu.plan_id = pl.id AND pu.hazard_source_id = $2)
		  FROM inspection_plans pl WHERE pl.id = $1 AND `+vis, append([]any{in.PlanID, in.HazardSourceID}, args...)...).Scan(&from, &to, &planned)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return riskmap.Errorf(riskmap.EUNPROCESSABLE, "plan_id: no inspection plan %d in your area", in.PlanID).
			WithDetails(riskmap.Detail{Field: "plan_id", Value: in.PlanID, Message: "no such plan"})
	case err != nil:
		return fmt.Errorf("plan %d: %w", in.PlanID, err)
	case !planned:
		return riskmap.Errorf(riskmap.EUNPROCESSABLE, "plan_id: hazard source %d was not drawn in plan %d", in.HazardSourceID, in.PlanID).
			WithDetails(riskmap.Detail{Field: "plan_id", Value: in.PlanID, Message: "not a unit of the plan"})
	}
	day := in.InspectedOn.Format("2006-01-02")
	if day < from.Format("2006-01-02") || day > to.Format("2006-01-02") {
		return riskmap.Errorf(riskmap.EUNPROCESSABLE, "inspected_on: %s is outside plan %d's period %s to %s", day, in.PlanID,
			from.Format("2006-01-02"), to.Format("2006-01-02")).
			WithDetails(riskmap.Detail{Field: "inspected_on", Message: "outside the plan's period"})
	}
	return nil
}

// plannedDone returns the inspection that carried out a planned unit, or "".
func plannedDone(ctx context.Context, tx pgx.Tx, plan, source int64) (string, error) {
	var id string
	err := tx.QueryRow(ctx, "SELECT id::text FROM inspections WHERE plan_id = $1 AND hazard_source_id = $2 LIMIT 1", plan, source).Scan(&id)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", nil
	}
	return id, err
}
