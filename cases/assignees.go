package cases

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"

	"riskmap"
)

// Assignee is a user a case may be assigned to.
type Assignee struct {
	ID          int64    `json:"id"`
	Username    string   `json:"username"`
	DisplayName string   `json:"display_name"`
	Role        string   `json:"role"`
	Grids       []string `json:"grids"`    // a worker's grids in the case's township
	OwnGrid     bool     `json:"own_grid"` // a worker of the case's own grid
}

// Assignees lists who may be assigned case id, as checkAssignee decides:
// the enabled grid workers of the case's township (the worker of its own
// grid first) and the township, county and city users whose area holds it.
// Only the offices that assign (township, county, city) may ask; the case
// must be one u can see.
func (s *Store) Assignees(ctx context.Context, u *riskmap.User, id string) ([]Assignee, error) {
	id = strings.ToLower(id)
	if !isArea(u.Role) {
		return nil, riskmap.Errorf(riskmap.EFORBIDDEN, "role %s does not assign cases", u.Role)
	}
	if !ValidID(id) {
		return nil, riskmap.Errorf(riskmap.ENOTFOUND, "case %s not found", id)
	}
	vis, args := visibleSQL(u, 2)
	var grid string
	err := s.pool.QueryRow(ctx, "SELECT c.grid_code FROM cases c WHERE c.id = $1 AND "+vis, append([]any{id}, args...)...).Scan(&grid)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, riskmap.Errorf(riskmap.ENOTFOUND, "case %s not found", id)
	}
	if err != nil {
		return nil, fmt.Errorf("case %s: %w", id, err)
	}
	rows, err := s.pool.Query(ctx, `
		SELECT u.id, u.username, coalesce(nullif(u.display_name, ''), u.username), u.role,
		       array(SELECT g.grid_code FROM user_grids g WHERE g.user_id = u.id AND left(g.grid_code, 9) = left($1, 9) ORDER BY g.grid_code),
		       EXISTS (SELECT 1 FROM user_grids g WHERE g.user_id = u.id AND g.grid_code = $1)
		  FROM users u
		 WHERE NOT u.disabled
		   AND ((u.role = 'worker' AND EXISTS (SELECT 1 FROM user_grids g WHERE g.user_id = u.id AND left(g.grid_code, 9) = left($1, 9)))
		     OR (u.role IN ('township', 'county', 'city')
		         AND EXISTS (SELECT 1 FROM user_areas a WHERE a.user_id = u.id AND $1 LIKE riskmap_area_prefix(a.area_code) || '%')))
		 ORDER BY 6 DESC, (u.role = 'worker') DESC, CASE u.role WHEN 'township' THEN 1 WHEN 'county' THEN 2 ELSE 3 END, u.id`, grid)
	if err != nil {
		return nil, fmt.Errorf("assignees of case %s: %w", id, err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Assignee, error) {
		var a Assignee
		err := r.Scan(&a.ID, &a.Username, &a.DisplayName, &a.Role, &a.Grids, &a.OwnGrid)
		return a, err
	})
	if err != nil {
		return nil, fmt.Errorf("assignees of case %s: %w", id, err)
	}
	return out, nil
}
