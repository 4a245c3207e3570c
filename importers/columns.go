package importers

import (
	"fmt"
	"slices"
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

// columnMap resolves file columns to fields of l, most certain first: the
// explicit mapping; a field's own name (any case) or Chinese heading
// (features.Layer.Label, as riskmap's workbooks write it); a DBF field name as a
// Shapefile writer cut it (dbfNames); the derived properties riskmap
// exports, riskmap's own feature id and the columns the caller named in
// ignore, which are ignored; then the aliases. A column that maps to none
// of these is unknown: the caller refuses the file naming it, since a
// value dropped without being asked is data lost. An ambiguous DBF name
// is an error naming the fields it could be.
func columnMap(l *features.Layer, cols []string, explicit map[string]string, ignore map[string]bool) (m map[string]string, ignored, unknown []string, err error) {
	m = map[string]string{}
	taken := map[string]bool{}
	take := func(c, f string) { m[c], taken[f] = f, true }
	for _, c := range cols {
		if f, ok := explicit[c]; ok {
			take(c, f)
		}
	}
	for _, c := range cols {
		key := strings.ToLower(strings.TrimSpace(c))
		if _, done := m[c]; done || ignore[c] {
			continue
		}
		if _, ok := l.Field(key); ok && !taken[key] {
			take(c, key)
		} else if f := l.ByLabel(strings.TrimSpace(c)); f != "" && !taken[f] {
			// the heading riskmap's own workbook gives it
			if _, isField := l.Field(f); isField {
				take(c, f)
			} else {
				m[c] = "" // derived or id: ignored below
			}
		}
	}
	dbf := dbfNames(l)
	present := map[string]bool{}
	for _, c := range cols {
		present[strings.ToLower(strings.TrimSpace(c))] = true
	}
	for _, c := range cols {
		key := strings.ToLower(strings.TrimSpace(c))
		if _, done := m[c]; done || ignore[c] {
			continue
		}
		name, ok := dbf[key]
		if !ok {
			continue
		}
		if len(name.group) > 1 {
			// a cut name several fields share: GDAL names the others
			// NAME_1, NAME_2, …; only with all of them in the file is it
			// clear which is which
			for _, sib := range name.group {
				if !present[sib] {
					return nil, nil, nil, fmt.Errorf("column %q could be any of %s (a Shapefile cuts names to 10 characters): map it with map=%s=FIELD",
						c, strings.Join(name.fields, ", "), c)
				}
			}
		}
		if _, isField := l.Field(name.field); isField && !taken[name.field] {
			take(c, name.field)
		} else if l.IsDerived(name.field) || name.field == "id" {
			m[c] = "" // riskmap's own: ignored below
		}
	}
	for c, f := range m {
		if f == "" {
			delete(m, c)
			ignored = append(ignored, c)
		}
	}
	for _, c := range cols {
		if _, done := m[c]; done || slices.Contains(ignored, c) {
			continue
		}
		key := strings.ToLower(strings.TrimSpace(c))
		if ignore[c] || l.IsDerived(key) || key == "inventory" || (key == "id" && taken[keyField(l)]) {
			ignored = append(ignored, c)
			continue
		}
		found := false
		for _, f := range aliases[key] {
			_, isField := l.Field(f)
			if (isField || f == colLon || f == colLat || f == colWKT) && !taken[f] {
				take(c, f)
				found = true
				break
			}
		}
		if !found {
			unknown = append(unknown, c)
		}
	}
	return m, ignored, unknown, nil
}

// keyField is the field an import matches rows on: external_id for point
// layers, code for areas and grids.
func keyField(l *features.Layer) string {
	if _, ok := l.Field("external_id"); ok {
		return "external_id"
	}
	return "code"
}

// dbfName is what a cut DBF field name stands for.
type dbfName struct {
	field  string   // the layer's field (or derived property, or id)
	fields []string // every name the cut prefix could stand for
	group  []string // the cut names GDAL gives those, in order
}

// dbfNames lists the names a Shapefile writer gives the columns riskmap
// exports (id, the fields, the derived properties, in that order) when it
// cuts them to the DBF's 10 characters, as GDAL (and so QGIS) launders
// them: the first 10 characters, and for each later name with the same
// cut, its first 8 and _1, _2, … (for example responsible_unit becomes
// responsibl and responsible_person responsi_1).
func dbfNames(l *features.Layer) map[string]dbfName {
	names := []string{"id"}
	for _, f := range l.Fields {
		names = append(names, f.Name)
	}
	names = append(names, l.Derived...)
	out := map[string]dbfName{}
	used := map[string]bool{}
	groups := map[string][]string{} // cut prefix -> laundered names
	fieldsOf := map[string][]string{}
	for _, n := range names {
		if len(n) <= 10 {
			used[n] = true
			continue
		}
		cut := n[:10]
		fieldsOf[cut] = append(fieldsOf[cut], n)
		name := cut
		for i := 1; used[name]; i++ {
			suffix := fmt.Sprintf("_%d", i)
			name = n[:10-len(suffix)] + suffix
		}
		used[name] = true
		groups[cut] = append(groups[cut], name)
		out[name] = dbfName{field: n}
	}
	for name, d := range out {
		cut := d.field[:10]
		d.fields, d.group = fieldsOf[cut], groups[cut]
		out[name] = d
	}
	return out
}
