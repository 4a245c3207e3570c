package cases

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"

	"riskmap"
)

// Assignee is a user a case may be assigned to, described the way the
// office knows them: name, community, grid names.
type Assignee struct {
	ID          int64    `json:"id"`
	Username    string   `json:"username"`
	DisplayName string   `json:"display_name"`
	Role        string   `json:"role"`
	Grids       []string `json:"grids"`       // a worker's grids in the case's township
	GridNames   []string `json:"grid_names"`  // their names, in the same order
	Communities []string `json:"communities"` // the villages or communities of those grids
	OwnGrid     bool     `json:"own_grid"`    // a worker of the case's own grid
}

// Assignees lists who may be assigned case id, as checkAssignee decides:
// the enabled grid workers of the case's township (the worker of its own
// grid first), then the township offices whose area holds it. County and
// city bureaus assign, they do not rectify, so they are not listed. Only
// the offices that assign (township, county, city) may ask; the case must
// be one u can see.
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
		WITH mine AS (
		  SELECT g.user_id, g.grid_code, coalesce(gr.name, g.grid_code) AS grid_name, v.name AS village
		    FROM user_grids g
		    LEFT JOIN grids gr ON gr.code = g.grid_code
		    LEFT JOIN areas v ON v.code = left(g.grid_code, 12)
		   WHERE left(g.grid_code, 9) = left($1, 9))
		SELECT u.id, u.username, coalesce(nullif(u.display_name, ''), u.username), u.role,
		       array(SELECT m.grid_code FROM mine m WHERE m.user_id = u.id ORDER BY m.grid_code),
		       array(SELECT m.grid_name FROM mine m WHERE m.user_id = u.id ORDER BY m.grid_code),
		       array(SELECT DISTINCT m.village FROM mine m WHERE m.user_id = u.id AND m.village IS NOT NULL ORDER BY 1),
		       EXISTS (SELECT 1 FROM user_grids g WHERE g.user_id = u.id AND g.grid_code = $1)
		  FROM users u
		 WHERE NOT u.disabled
		   AND ((u.role = 'worker' AND EXISTS (SELECT 1 FROM mine m WHERE m.user_id = u.id))
		     OR (u.role = 'township'
		         AND EXISTS (SELECT 1 FROM user_areas a WHERE a.user_id = u.id AND $1 LIKE riskmap_area_prefix(a.area_code) || '%')))
		 ORDER BY 8 DESC, (u.role = 'worker') DESC, u.id`, grid)
	if err != nil {
		return nil, fmt.Errorf("assignees of case %s: %w", id, err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Assignee, error) {
		var a Assignee
		err := r.Scan(&a.ID, &a.Username, &a.DisplayName, &a.Role, &a.Grids, &a.GridNames, &a.Communities, &a.OwnGrid)
		return a, err
	})
	if err != nil {
		return nil, fmt.Errorf("assignees of case %s: %w", id, err)
	}
	return out, nil
}
