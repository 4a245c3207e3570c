package coverage

import (
	"fmt"
	"io"
	"sort"
	"strconv"

	"github.com/xuri/excelize/v2"
)

// Title names an answer the way its export is titled and named:
// 新港街道 应急站点覆盖分析（5 公里内）.
func (r *Result) Title() string {
	what := map[string]string{"stations": "应急站点", "depots": "物资储备仓库"}[r.Facility]
	if what == "" {
		what = r.Facility
	}
	if r.Kind != nil {
		what = map[string]string{"office": "应急管理办公室", "rescue_team": "应急救援队", "platform": "应急指挥平台"}[*r.Kind]
	}
	area := "全辖区"
	if r.AreaName != nil && *r.AreaName != "" {
		area = *r.AreaName
	}
	reach := ""
	switch {
	case r.MaxMinutes != nil:
		reach = fmt.Sprintf("%s 分钟车程内", strconv.FormatFloat(*r.MaxMinutes, 'f', -1, 64))
	case r.MaxDistanceM != nil:
		reach = fmt.Sprintf("%s 公里内", strconv.FormatFloat(*r.MaxDistanceM/1000, 'f', -1, 64))
	}
	return fmt.Sprintf("%s%s覆盖分析（%s）", area, what, reach)
}

// FileName is the export's file name without extension:
// 覆盖分析_新港街道_应急站点_5公里.
func (r *Result) FileName() string {
	what := map[string]string{"stations": "应急站点", "depots": "物资储备仓库"}[r.Facility]
	area := "全辖区"
	if r.AreaName != nil && *r.AreaName != "" {
		area = *r.AreaName
	}
	reach := ""
	switch {
	case r.MaxMinutes != nil:
		reach = strconv.FormatFloat(*r.MaxMinutes, 'f', -1, 64) + "分钟"
	case r.MaxDistanceM != nil:
		reach = strconv.FormatFloat(*r.MaxDistanceM/1000, 'f', -1, 64) + "公里"
	}
	return "覆盖分析_" + area + "_" + what + "_" + reach
}

// WriteXLSX writes r as an Excel workbook for people: the shares by
// township, then every uncovered grid (farthest from help first), risk
// point and hazard source, with township names and distances in km.
func (r *Result) WriteXLSX(w io.Writer) error {
	f := excelize.NewFile()
	defer f.Close()
	bold, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}})
	if err != nil {
		return err
	}
	pct, err := f.NewStyle(&excelize.Style{NumFmt: 10}) // 0.00%
	if err != nil {
		return err
	}
	township := map[string]string{}
	for _, t := range r.Townships {
		township[t.Code] = t.Name
	}
	km := func(m *float64) any {
		if m == nil {
			return ""
		}
		return float64(int(*m/100+0.5)) / 10
	}
	minutes := func(m *float64) any {
		if m == nil {
			return ""
		}
		return float64(int(*m*10+0.5)) / 10
	}
	str := func(s *string) string {
		if s == nil {
			return ""
		}
		return *s
	}
	share := func(v *float64) any {
		if v == nil {
			return ""
		}
		return *v
	}
	type sheet struct {
		name    string
		heads   []string
		rows    [][]any
		pctCols []int
	}
	towns := sheet{name: "各镇街覆盖率", heads: []string{"镇街", "区划代码", "网格覆盖率", "面积覆盖率", "人口覆盖率", "风险加权覆盖率", "网格数", "已覆盖网格数"},
		pctCols: []int{3, 4, 5, 6}}
	for _, t := range r.Townships {
		towns.rows = append(towns.rows, []any{t.Name, t.Code, share(t.Share.Grids), share(t.Share.Area), share(t.Share.Population),
			share(t.Share.RiskWeighted), t.Totals.Grids, t.Totals.CoveredGrids})
	}
	grids := append([]UncoveredGrid{}, r.UncoveredGrids...)
	sort.SliceStable(grids, func(i, j int) bool { return farther(grids[i].DistanceM, grids[j].DistanceM) })
	ug := sheet{name: "未覆盖网格", heads: []string{"镇街", "网格", "网格编码", "人口", "最近设施", "距离（公里）", "车程（分钟）"}}
	for _, g := range grids {
		ug.rows = append(ug.rows, []any{township[g.TownshipCode], g.Name, g.Code, g.Population, str(g.NearestFacilityName), km(g.DistanceM), minutes(g.Minutes)})
	}
	points := func(name string, pts []UncoveredPoint, level string) sheet {
		s := sheet{name: name, heads: []string{"镇街", "名称", level, "网格编码", "最近设施", "距离（公里）", "车程（分钟）", "经度", "纬度"}}
		for _, p := range pts {
			lvl := p.RiskLevel
			if lvl == nil {
				lvl = p.MajorHazardLevel
			}
			var l any = ""
			if lvl != nil {
				l = *lvl
			}
			s.rows = append(s.rows, []any{township[p.TownshipCode], p.Name, l, p.GridCode, str(p.NearestFacilityName), km(p.DistanceM), minutes(p.Minutes), p.Lon, p.Lat})
		}
		return s
	}
	sheets := []sheet{towns, ug, points("未覆盖风险点", r.UncoveredRiskPoints, "风险等级"), points("未覆盖危险源", r.UncoveredHazardSources, "重大危险源等级")}
	for i, s := range sheets {
		if i == 0 {
			if err := f.SetSheetName("Sheet1", s.name); err != nil {
				return err
			}
		} else if _, err := f.NewSheet(s.name); err != nil {
			return err
		}
		if err := f.SetCellValue(s.name, "A1", r.Title()); err != nil {
			return err
		}
		head := make([]any, len(s.heads))
		for j, x := range s.heads {
			head[j] = x
		}
		if err := f.SetSheetRow(s.name, "A3", &head); err != nil {
			return err
		}
		last, _ := excelize.CoordinatesToCellName(len(s.heads), 3)
		if err := f.SetCellStyle(s.name, "A3", last, bold); err != nil {
			return err
		}
		for j, row := range s.rows {
			cell, _ := excelize.CoordinatesToCellName(1, 4+j)
			if err := f.SetSheetRow(s.name, cell, &row); err != nil {
				return err
			}
		}
		for _, c := range s.pctCols {
			top, _ := excelize.CoordinatesToCellName(c, 4)
			bottom, _ := excelize.CoordinatesToCellName(c, 3+max(1, len(s.rows)))
			if err := f.SetCellStyle(s.name, top, bottom, pct); err != nil {
				return err
			}
		}
		_ = f.SetColWidth(s.name, "A", "B", 20)
		_ = f.SetColWidth(s.name, "C", "I", 14)
	}
	if r.Truncated {
		if err := f.SetCellValue("未覆盖风险点", "A2", fmt.Sprintf("共 %d 个未覆盖风险点、%d 个未覆盖危险源，表中列出最重要的部分（按风险等级）。",
			r.UncoveredRiskPointsTotal, r.UncoveredHazardSourcesTotal)); err != nil {
			return err
		}
	}
	return f.Write(w)
}

// farther orders distances largest first, unknown ones last.
func farther(a, b *float64) bool {
	switch {
	case a == nil:
		return false
	case b == nil:
		return true
	}
	return *a > *b
}
