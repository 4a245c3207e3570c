package features

// labels are the Chinese column headings of the bureau's sheets for each
// property, as exports write them for people (XLSX) and imports read them
// back; a layer may name a property differently (labelsByLayer).
var labels = map[string]string{
	"id": "要素ID", "external_id": "编号", "name": "名称", "category": "类别", "risk_level": "风险等级",
	"address": "地址", "responsible_unit": "责任单位", "responsible_person": "责任人", "phone": "联系电话",
	"population_exposed": "影响人口", "last_inspection": "最近巡查日期", "status": "状态",
	"credit_code": "统一社会信用代码", "major_hazard_level": "重大危险源等级", "main_substances": "主要物质",
	"legal_representative": "法定代表人", "safety_officer": "安全负责人", "safety_phone": "安全负责人电话",
	"licence_no": "许可证编号", "licence_expiry": "许可证有效期", "kind": "类型", "staff": "人数", "vehicles": "车辆数",
	"on_duty_24h": "24小时值班", "capacity_m2": "面积(m²)", "keeper": "保管员", "keeper_phone": "保管员电话",
	"code": "代码", "level": "级别", "parent_code": "上级代码", "population": "人口", "worker": "网格员",
	"worker_phone": "网格员电话", "households": "户数",
	"grid_code": "所在网格", "village_code": "村居代码", "township_code": "镇街代码", "county_code": "县区代码",
	"version": "版本", "created_at": "创建时间", "updated_at": "更新时间", "import_job_id": "导入批次",
}

var labelsByLayer = map[string]map[string]string{
	"areas": {"code": "区划代码", "name": "区划名称"},
	"grids": {"code": "网格编码", "name": "网格名称"},
}

// Label is the Chinese heading of property name (a field, a derived
// property or id) in l.
func (l *Layer) Label(name string) string {
	if s, ok := labelsByLayer[l.Name][name]; ok {
		return s
	}
	if s, ok := labels[name]; ok {
		return s
	}
	return name
}

// ByLabel is the property of l a Chinese heading names ("" when none):
// a field, a derived property or id.
func (l *Layer) ByLabel(heading string) string {
	if _, ok := l.Field("id"); !ok && heading == l.Label("id") {
		return "id"
	}
	for _, f := range l.Fields {
		if l.Label(f.Name) == heading {
			return f.Name
		}
	}
	for _, d := range l.Derived {
		if l.Label(d) == heading {
			return d
		}
	}
	return ""
}
