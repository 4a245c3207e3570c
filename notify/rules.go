package notify

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/jackc/pgx/v5"

	"riskmap"
	"riskmap/postgres"
)

// Rule is who receives a kind of notification in an area: the audiences,
// and the area whose rule it is ("" for the default everywhere).
type Rule struct {
	Kind      string   `json:"kind"`
	Label     string   `json:"label"`
	Audiences []string `json:"audiences"`
	DefinedAt string   `json:"defined_at"`
}

var areaCode = regexp.MustCompile(`^[0-9]{12}$`)

// Rules returns the rule in force for each kind in area ("" the defaults).
func (s *Service) Rules(ctx context.Context, u *riskmap.User, area string) ([]Rule, error) {
	if !office(u) {
		return nil, riskmap.Errorf(riskmap.EFORBIDDEN, "role %s does not see notification rules", u.Role)
	}
	place := area
	if area == "" {
		place = "000000000000"
	} else if !areaCode.MatchString(area) {
		return nil, riskmap.Errorf(riskmap.EINVALID, "area: want a 12-digit area code, got %q", area).
			WithDetails(riskmap.Detail{Field: "area", Value: area, Message: "not an area code"})
	} else if !u.Scope().Overlaps(area) {
		return nil, riskmap.Errorf(riskmap.EFORBIDDEN, "area %s is outside your areas", area)
	}
	rows, err := s.pool.Query(ctx, `SELECT DISTINCT ON (r.kind) r.kind, r.audiences, r.area_code
		  FROM notification_rules r
		 WHERE r.area_code = '' OR ($2 AND r.area_code = ANY(riskmap_covering_areas($1)))
		 ORDER BY r.kind, length(riskmap_area_prefix(r.area_code)) DESC`, place, area != "")
	if err != nil {
		return nil, fmt.Errorf("rules: %w", err)
	}
	byKind := map[string]Rule{}
	for rows.Next() {
		var r Rule
		if err := rows.Scan(&r.Kind, &r.Audiences, &r.DefinedAt); err != nil {
			rows.Close()
			return nil, fmt.Errorf("rules: %w", err)
		}
		byKind[r.Kind] = r
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("rules: %w", err)
	}
	out := []Rule{}
	for _, k := range Kinds() {
		r, ok := byKind[k.Name]
		if !ok {
			r = Rule{Kind: k.Name, Audiences: []string{}}
		}
		r.Label = k.Label
		out = append(out, r)
	}
	return out, nil
}

// SetRule sets who receives kind in area (the admin everywhere; the county
// and the city in their areas: a township may not mute what the level
// above is told). Empty audiences tell no one there.
func (s *Service) SetRule(ctx context.Context, u *riskmap.User, kind, area string, audiences []string) (Rule, error) {
	if err := mayRule(u, area); err != nil {
		return Rule{}, err
	}
	var bad []riskmap.Detail
	if !isKind(kind) {
		bad = append(bad, riskmap.Detail{Field: "kind", Value: kind, Message: "not a kind of notification"})
	}
	if audiences == nil {
		bad = append(bad, riskmap.Detail{Field: "audiences", Message: "required (an empty list tells no one)"})
	}
	for i, a := range audiences {
		if !slices.Contains(Audiences(), a) {
			bad = append(bad, riskmap.Detail{Field: fmt.Sprintf("audiences[%d]", i), Value: a, Message: "want one of " + strings.Join(Audiences(), ", ")})
		}
	}
	if len(bad) > 0 {
		return Rule{}, unprocessable(bad)
	}
	err := postgres.BeginAudited(riskmap.NewContextWithUser(ctx, u), s.pool, func(tx pgx.Tx) error {
		if area != "" {
			if _, err := areaLevel(ctx, tx, area); err != nil {
				return err
			}
		}
		_, err := tx.Exec(ctx, `INSERT INTO notification_rules (kind, area_code, audiences, updated_by, updated_at) VALUES ($1, $2, $3, $4, now())
			ON CONFLICT (kind, area_code) DO UPDATE SET audiences = excluded.audiences, updated_by = excluded.updated_by, updated_at = now()`,
			kind, area, audiences, u.ID)
		return err
	})
	if err != nil {
		return Rule{}, translate(err)
	}
	return Rule{Kind: kind, Label: kindLabel(kind), Audiences: audiences, DefinedAt: area}, nil
}

// ResetRule removes an area's own rule for kind: the area above's applies
// again. The default (area "") cannot be removed.
func (s *Service) ResetRule(ctx context.Context, u *riskmap.User, kind, area string) error {
	if area == "" {
		return riskmap.Errorf(riskmap.EUNPROCESSABLE, "area: required: the default rule can be changed, not removed").
			WithDetails(riskmap.Detail{Field: "area", Message: "required"})
	}
	if err := mayRule(u, area); err != nil {
		return err
	}
	tag, err := s.pool.Exec(ctx, `DELETE FROM notification_rules WHERE kind = $1 AND area_code = $2`, kind, area)
	if err != nil {
		return fmt.Errorf("reset rule: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return riskmap.Errorf(riskmap.ENOTFOUND, "area %s has no rule of its own for %q", area, kind)
	}
	return nil
}

func mayRule(u *riskmap.User, area string) error {
	if area != "" && !areaCode.MatchString(area) {
		return riskmap.Errorf(riskmap.EINVALID, "area: want a 12-digit area code, got %q", area).
			WithDetails(riskmap.Detail{Field: "area", Value: area, Message: "not an area code"})
	}
	switch {
	case u.Role == riskmap.RoleAdmin:
		return nil
	case (u.Role == riskmap.RoleCounty || u.Role == riskmap.RoleCity) && area != "" && mayManage(u, area):
		return nil
	}
	return riskmap.Errorf(riskmap.EFORBIDDEN, "only the admin, or the county or city office for its own areas, sets who is notified")
}
