package features

import (
	"context"
	"fmt"
	"io"

	"github.com/xuri/excelize/v2"

	"riskmap"
	"riskmap/postgres"
)

// RiskArea is a township, village or grid with its active risk points by
// level, the gravest level present and the risk index (the four-colour map
// of areas, migrations/573_risk_areas.sql; weights in risk_weights).
type RiskArea struct {
	Code       string  `json:"code"`
	Name       string  `json:"name"`
	Level      string  `json:"level"` // township, village, grid
	N1         int     `json:"n1"`
	N2         int     `json:"n2"`
	N3         int     `json:"n3"`
	N4         int     `json:"n4"`
	Total      int     `json:"total"`
	MaxLevel   *int    `json:"max_level"`
	RiskIndex  float64 `json:"risk_index"`
	IndexLevel *int    `json:"index_level"`
}

// RiskAreas lists the areas of one level (township, village or grid)
// under area ("" for all) in scope, by code.
func (s *Store) RiskAreas(ctx context.Context, scope riskmap.Scope, area, level string) ([]RiskArea, error) {
	cond, args := scope.SQL("t.scope_code", 3)
	rows, err := s.reads.Query(ctx, `SELECT t.code, t.name, t.level, r.n1, r.n2, r.n3, r.n4, r.max_level, r.risk_index, r.index_level
		FROM risk_areas t CROSS JOIN LATERAL riskmap_risk_area(t.prefix) r
		WHERE t.level = $1 AND t.code LIKE $2 AND `+cond+` ORDER BY t.code`,
		append([]any{level, riskmap.AreaPrefix(area) + "%"}, args...)...)
	if err != nil {
		return nil, fmt.Errorf("risk areas: %w", postgres.Translate(err))
	}
	defer rows.Close()
	out := []RiskArea{}
	for rows.Next() {
		var a RiskArea
		if err := rows.Scan(&a.Code, &a.Name, &a.Level, &a.N1, &a.N2, &a.N3, &a.N4, &a.MaxLevel, &a.RiskIndex, &a.IndexLevel); err != nil {
			return nil, fmt.Errorf("risk areas: %w", err)
		}
		a.Total = a.N1 + a.N2 + a.N3 + a.N4
		out = append(out, a)
	}
	return out, rows.Err()
}

var levelNames = map[int]string{1: "重大风险", 2: "较大风险", 3: "一般风险", 4: "低风险"}

// WriteRiskAreasXLSX writes the areas with their counts by level as a
// workbook (codes as text, Chinese headings, the header row frozen).
func WriteRiskAreasXLSX(w io.Writer, title string, areas []RiskArea) error {
	f := excelize.NewFile()
	defer f.Close()
	const sheet = "四色分布"
	if err := f.SetSheetName("Sheet1", sheet); err != nil {
		return err
	}
	if err := f.SetCellValue(sheet, "A1", title); err != nil {
		return err
	}
	head := []any{"代码", "名称", "层级", "重大风险", "较大风险", "一般风险", "低风险", "合计", "最高等级", "风险指数", "指数等级"}
	if err := f.SetSheetRow(sheet, "A3", &head); err != nil {
		return err
	}
	bold, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}})
	if err != nil {
		return err
	}
	if err := f.SetCellStyle(sheet, "A3", "K3", bold); err != nil {
		return err
	}
	text, err := f.NewStyle(&excelize.Style{NumFmt: 49}) // "@": codes stay text
	if err != nil {
		return err
	}
	levels := map[string]string{"township": "镇街", "village": "村社区", "grid": "网格"}
	name := func(l *int) string {
		if l == nil {
			return "无"
		}
		return levelNames[*l]
	}
	for i, a := range areas {
		row := 4 + i
		if err := f.SetCellStr(sheet, fmt.Sprintf("A%d", row), a.Code); err != nil {
			return err
		}
		vals := []any{a.Name, levels[a.Level], a.N1, a.N2, a.N3, a.N4, a.Total, name(a.MaxLevel), a.RiskIndex, name(a.IndexLevel)}
		if err := f.SetSheetRow(sheet, fmt.Sprintf("B%d", row), &vals); err != nil {
			return err
		}
	}
	if len(areas) > 0 {
		if err := f.SetCellStyle(sheet, "A4", fmt.Sprintf("A%d", 3+len(areas)), text); err != nil {
			return err
		}
	}
	for col, wd := range map[string]float64{"A": 18, "B": 24, "C": 8, "I": 10, "K": 10} {
		if err := f.SetColWidth(sheet, col, col, wd); err != nil {
			return err
		}
	}
	if err := f.SetPanes(sheet, &excelize.Panes{Freeze: true, YSplit: 3, TopLeftCell: "A4", ActivePane: "bottomLeft"}); err != nil {
		return err
	}
	return f.Write(w)
}
