package notify

import (
	"context"
	"fmt"
	"strconv"

	"github.com/jackc/pgx/v5"

	"riskmap/proposals"
)

// ProposalPending tells the offices of the proposal's grid (the rule of
// proposal_review: the township by default) that a grid worker's proposed
// change to the map waits for their review (proposals.Notifier).
func (s *Service) ProposalPending(ctx context.Context, tx pgx.Tx, p proposals.Review) error {
	what := map[string]string{proposals.Create: "新增", proposals.Update: "修改", proposals.Retire: "撤销"}[p.Kind]
	layer := map[string]string{"risk_points": "风险点"}[p.Layer]
	if layer == "" {
		layer = p.Layer
	}
	title := fmt.Sprintf("%s变更待审核：%s%s", layer, what, layer)
	if p.Name != "" {
		title = fmt.Sprintf("%s变更待审核：%s「%s」", layer, what, p.Name)
	}
	who := p.ProposedByName
	if who == "" {
		who = "网格员"
	}
	// the grid by its name and township, as the robots' case messages say it
	where := p.GridCode
	var grid, town *string
	if err := tx.QueryRow(ctx, `SELECT (SELECT name FROM grids WHERE code = $1), (SELECT name FROM areas WHERE code = left($1, 9) || '000')`,
		p.GridCode).Scan(&grid, &town); err != nil {
		return err
	}
	if grid != nil && *grid != "" {
		where = *grid
	}
	if town != nil && *town != "" {
		where += "（" + *town + "）"
	}
	id := strconv.FormatInt(p.ID, 10)
	return s.Raise(ctx, tx, Notice{
		Kind: "proposal_review", Place: p.GridCode, ActorID: &p.ProposedBy,
		RefType: "proposal", RefID: id, Title: title,
		Body: fmt.Sprintf("%s 提出；网格：%s；理由：%s", who, where, clip(p.Reason, 200)),
		Link: "/#proposals",
	})
}
