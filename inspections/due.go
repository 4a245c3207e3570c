package inspections

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// DuePlan is a 双随机 draw whose period ends soon with units not yet
// inspected: what the inspectors drawn and the office that drew it are
// reminded of.
type DuePlan struct {
	ID       int64
	Area     string // the area drawn from (12 digits)
	AreaName string
	Level    string // the drawing office's: township, county, city
	PeriodTo time.Time
	Units    int
	Done     int
	// DrawnBy is the office user who drew it; Inspectors the officers
	// drawn (their user ids).
	DrawnBy    *int64
	Inspectors []int64
}

// DuePlans lists, in tx, the plans whose period ends on a day from from to
// to (dates, inclusive) and that still have units nobody has inspected.
func DuePlans(ctx context.Context, tx pgx.Tx, from, to time.Time) ([]DuePlan, error) {
	rows, err := tx.Query(ctx, `
		SELECT pl.id, pl.area_code, coalesce(a.name, pl.area_code), pl.level, pl.period_to, pl.units,
		       (SELECT count(DISTINCT i.hazard_source_id) FROM inspections i WHERE i.plan_id = pl.id)::int,
		       pl.drawn_by,
		       array(SELECT pi.user_id FROM inspection_plan_inspectors pi WHERE pi.plan_id = pl.id AND pi.user_id IS NOT NULL ORDER BY pi.position)
		  FROM inspection_plans pl LEFT JOIN areas a ON a.code = pl.area_code
		 WHERE pl.period_to BETWEEN $1::date AND $2::date
		 ORDER BY pl.period_to, pl.id`, from.Format("2006-01-02"), to.Format("2006-01-02"))
	if err != nil {
		return nil, fmt.Errorf("due plans: %w", err)
	}
	defer rows.Close()
	var out []DuePlan
	for rows.Next() {
		var p DuePlan
		if err := rows.Scan(&p.ID, &p.Area, &p.AreaName, &p.Level, &p.PeriodTo, &p.Units, &p.Done, &p.DrawnBy, &p.Inspectors); err != nil {
			return nil, fmt.Errorf("due plans: %w", err)
		}
		if p.Done < p.Units {
			out = append(out, p)
		}
	}
	return out, rows.Err()
}
