package notify

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"riskmap/patrols"
)

// PatrolOffSite tells the offices of the patrol's grid (the rule of
// patrol_review: the township by default) that a patrol was recorded far
// from its risk point, for them to look at (patrols.Notifier): it is
// kept, marked off_site, never silently taken as on site.
func (s *Service) PatrolOffSite(ctx context.Context, tx pgx.Tx, p patrols.OffSite) error {
	var name, grid, town *string
	if err := tx.QueryRow(ctx, `SELECT (SELECT name FROM risk_points WHERE id = $2), (SELECT name FROM grids WHERE code = $1),
			(SELECT name FROM areas WHERE code = left($1, 9) || '000')`, p.GridCode, p.RiskPointID).Scan(&name, &grid, &town); err != nil {
		return err
	}
	point := fmt.Sprintf("风险点 %d", p.RiskPointID)
	if name != nil && *name != "" {
		point = "「" + *name + "」"
	}
	where := p.GridCode
	if grid != nil && *grid != "" {
		where = *grid
	}
	if town != nil && *town != "" {
		where += "（" + *town + "）"
	}
	who := p.WorkerName
	if who == "" {
		who = "网格员"
	}
	accuracy := ""
	if p.AccuracyM != nil {
		accuracy = fmt.Sprintf("，定位精度 %.0f 米", *p.AccuracyM)
	}
	return s.Raise(ctx, tx, Notice{
		Kind: "patrol_review", Place: p.GridCode, ActorID: &p.WorkerID,
		RefType: "patrol", RefID: p.ID,
		Title: fmt.Sprintf("巡查位置异常：%s", point),
		Body:  fmt.Sprintf("%s 的巡查位置距风险点 %.0f 米（超过 %.0f 米%s）；网格：%s", who, p.DistanceM, p.LimitM, accuracy, where),
		Link:  "/#routine",
	})
}
