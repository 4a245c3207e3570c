package importers

import (
	"strings"

	"riskmap/features"
)

// Pseudo-fields a column can map to besides the layer's fields.
const (
	colLon = "lon"
	colLat = "lat"
	colWKT = "wkt"
)

// aliases are the headers the bureau's sheets use for each field, beside the
// field's own name; a header maps to the first of its fields the layer has
// (类型 is a risk point's category but a station's kind).
var aliases = map[string][]string{
	"经度": {colLon}, "lng": {colLon}, "lon": {colLon}, "long": {colLon}, "longitude": {colLon}, "x": {colLon}, "x坐标": {colLon},
	"纬度": {colLat}, "lat": {colLat}, "latitude": {colLat}, "y": {colLat}, "y坐标": {colLat},
	"wkt": {colWKT}, "geometry": {colWKT}, "geom": {colWKT}, "the_geom": {colWKT}, "几何": {colWKT}, "空间信息": {colWKT},
	"编号": {"external_id", "code"}, "外部编号": {"external_id"}, "唯一编号": {"external_id"}, "id": {"external_id"},
	"风险点编号": {"external_id"}, "external_id": {"external_id"},
	"名称": {"name"}, "名字": {"name"}, "风险点名称": {"name"}, "企业名称": {"name"}, "单位名称": {"name"},
	"站点名称": {"name"}, "仓库名称": {"name"}, "网格名称": {"name"}, "区划名称": {"name"},
	"类别": {"category", "kind"}, "类型": {"category", "kind"}, "风险类别": {"category"}, "分类": {"category"},
	"风险等级": {"risk_level"}, "等级": {"risk_level", "major_hazard_level"},
	"地址": {"address"}, "详细地址": {"address"},
	"责任单位": {"responsible_unit"}, "责任人": {"responsible_person"},
	"电话": {"phone", "safety_phone", "keeper_phone", "worker_phone"}, "联系电话": {"phone", "safety_phone", "keeper_phone", "worker_phone"},
	"影响人口": {"population_exposed"}, "威胁人口": {"population_exposed"}, "受威胁人口": {"population_exposed"},
	"最近巡查": {"last_inspection"}, "巡查日期": {"last_inspection"}, "最近巡查日期": {"last_inspection"},
	"状态":       {"status"},
	"统一社会信用代码": {"credit_code"}, "信用代码": {"credit_code"},
	"重大危险源等级": {"major_hazard_level"}, "危险源等级": {"major_hazard_level"},
	"主要物质": {"main_substances"}, "法定代表人": {"legal_representative"}, "安全负责人": {"safety_officer"},
	"安全负责人电话": {"safety_phone"}, "许可证号": {"licence_no"}, "许可证编号": {"licence_no"},
	"许可证有效期": {"licence_expiry"}, "有效期至": {"licence_expiry"},
	"人数": {"staff"}, "人员": {"staff"}, "车辆": {"vehicles"}, "车辆数": {"vehicles"}, "24小时值班": {"on_duty_24h"},
	"面积": {"capacity_m2"}, "库容": {"capacity_m2"}, "保管员": {"keeper"}, "保管员电话": {"keeper_phone"},
	"代码": {"code"}, "区划代码": {"code"}, "网格编码": {"code"}, "网格代码": {"code"}, "编码": {"code"},
	"级别": {"level"}, "层级": {"level"}, "上级代码": {"parent_code"}, "上级": {"parent_code"},
	"网格员": {"worker"}, "网格员电话": {"worker_phone"}, "户数": {"households"}, "人口": {"population"},
}

// valueLabels are the Chinese names of enum values (docs/domain.md) that a sheet
// may carry instead of the codes; they are translated, and only exact
// matches are.
var valueLabels = map[string]map[string]string{
	"category": {
		"地质灾害隐患点": "geological", "地质灾害": "geological", "山洪/内涝易涝点": "flood", "山洪": "flood", "内涝": "flood",
		"易涝点": "flood", "水库山塘": "reservoir", "水库": "reservoir", "海堤/台风": "coastal", "海堤": "coastal",
		"森林火险区": "forest_fire", "森林火险": "forest_fire", "人员密集场所": "crowded_place", "建筑施工": "construction",
		"道路交通": "road_traffic", "消防": "fire", "其他": "other",
		"危险化学品": "hazardous_chemicals", "烟花爆竹": "fireworks", "非煤矿山": "non_coal_mine", "燃气": "gas", "工贸": "industrial_trade",
	},
	"risk_level": {"重大风险": "1", "重大": "1", "红": "1", "较大风险": "2", "较大": "2", "橙": "2",
		"一般风险": "3", "一般": "3", "黄": "3", "低风险": "4", "低": "4", "蓝": "4"},
	"major_hazard_level": {"一级": "1", "二级": "2", "三级": "3", "四级": "4"},
	"kind":               {"应急管理办公室": "office", "应急救援队": "rescue_team", "应急指挥平台": "platform"},
	"status":             {"在用": "active", "正常": "active", "有效": "active", "撤销": "retired", "注销": "retired", "停用": "retired"},
	"level":              {"市": "city", "县": "county", "区": "county", "县区": "county", "镇": "township", "街道": "township", "镇街": "township", "村": "village", "社区": "village", "村居": "village"},
}

// columnMap resolves file columns to fields of l: the explicit mapping
// first, then the field's own name (any case), then the aliases.
// Unresolved columns are returned in order, to be reported as ignored.
func columnMap(l *features.Layer, cols []string, explicit map[string]string) (m map[string]string, ignored []string) {
	m = map[string]string{}
	taken := map[string]bool{}
	for _, c := range cols {
		if f, ok := explicit[c]; ok {
			m[c] = f
			taken[f] = true
		}
	}
	for _, c := range cols {
		if _, ok := m[c]; ok {
			continue
		}
		key := strings.ToLower(strings.TrimSpace(c))
		if _, ok := l.Field(key); ok && !taken[key] {
			m[c], taken[key] = key, true
			continue
		}
		if l.IsDerived(key) || key == "inventory" {
			ignored = append(ignored, c)
			continue
		}
		found := false
		for _, f := range aliases[key] {
			_, isField := l.Field(f)
			if (isField || f == colLon || f == colLat || f == colWKT) && !taken[f] {
				m[c], taken[f], found = f, true, true
				break
			}
		}
		if !found {
			ignored = append(ignored, c)
		}
	}
	return m, ignored
}
