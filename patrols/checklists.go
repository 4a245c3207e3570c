package patrols

// The checklists of a patrol: one short list per risk point category,
// fixed in the code and versioned. A patrol stores the version it answered,
// so a list can change without rewriting old answers: add a new version
// here (never edit a published one) and phones still holding the old list
// may send it until they refresh.

// Answers an item takes.
const (
	AnswerOK      = "ok"      // 正常
	AnswerProblem = "problem" // 有问题
	AnswerNA      = "na"      // 不适用
)

// AnswerValues lists the values an item may take.
func AnswerValues() []string { return []string{AnswerOK, AnswerProblem, AnswerNA} }

// Item is one question of a checklist: its key in the answers and its label.
type Item struct {
	Key   string `json:"key"`
	Label string `json:"label"`
}

// Checklist is one version of a category's list.
type Checklist struct {
	Category string `json:"category"`
	Version  int    `json:"version"`
	Items    []Item `json:"items"`
}

// Checklists returns every version of every category's list, oldest first
// within a category.
func Checklists() []Checklist {
	return []Checklist{
		{"geological", 1, []Item{
			{"cracks", "坡体、房屋有无新增裂缝或变形"},
			{"rockfall", "有无落石、滑塌、鼓胀迹象"},
			{"drainage", "截排水沟是否畅通"},
			{"signs", "警示标志、监测设施是否完好"},
		}},
		{"flood", 1, []Item{
			{"drainage", "排水设施、沟渠是否畅通"},
			{"water", "有无积水、漫溢或冲刷"},
			{"signs", "警示标志是否完好"},
			{"evacuation", "转移路线和避险场所是否可用"},
		}},
		{"reservoir", 1, []Item{
			{"dam", "坝体有无渗漏、裂缝、塌陷"},
			{"spillway", "溢洪道是否畅通无阻"},
			{"gauge", "水位标尺、监测设施是否正常"},
			{"keeper", "巡查管护人员是否在岗、记录是否完整"},
		}},
		{"coastal", 1, []Item{
			{"seawall", "海堤、防浪墙有无破损"},
			{"gates", "涵闸、闸门是否完好可用"},
			{"shelter", "船只避风、临时建筑加固是否到位"},
			{"signs", "警示标志是否完好"},
		}},
		{"forest_fire", 1, []Item{
			{"fire_use", "有无违规野外用火"},
			{"firebreak", "防火隔离带是否清理"},
			{"fuel", "可燃物有无堆积"},
			{"signs", "防火宣传牌、警示标志是否完好"},
		}},
		{"crowded_place", 1, []Item{
			{"exits", "疏散通道、安全出口是否畅通"},
			{"lighting", "应急照明、疏散指示是否完好"},
			{"extinguishers", "消防设施器材是否完好有效"},
			{"crowd", "人员密度管控措施是否落实"},
		}},
		{"construction", 1, []Item{
			{"edges", "临边、洞口防护是否到位"},
			{"scaffold", "脚手架、支模架是否稳固"},
			{"cranes", "起重机械限位、保险装置是否有效"},
			{"power", "临时用电是否规范"},
		}},
		{"road_traffic", 1, []Item{
			{"barriers", "护栏、防撞设施是否完好"},
			{"markings", "标志标线是否清晰"},
			{"surface", "路面有无坑槽、塌陷、落石"},
			{"lighting", "照明、警示灯是否正常"},
		}},
		{"fire", 1, []Item{
			{"access", "消防车通道、疏散通道是否畅通"},
			{"equipment", "消防设施器材是否完好有效"},
			{"wiring", "电气线路、电动车充电是否规范"},
			{"storage", "易燃可燃物有无违规堆放"},
		}},
		{"other", 1, []Item{
			{"site", "现场有无异常情况"},
			{"signs", "安全警示标志是否完好"},
			{"duty", "责任人、管护人员是否在岗"},
		}},
	}
}

// CurrentChecklist is the newest version of a category's list.
func CurrentChecklist(category string) (Checklist, bool) {
	var out Checklist
	found := false
	for _, c := range Checklists() {
		if c.Category == category && (!found || c.Version > out.Version) {
			out, found = c, true
		}
	}
	return out, found
}

// ChecklistFor returns one version of a category's list.
func ChecklistFor(category string, version int) (Checklist, bool) {
	for _, c := range Checklists() {
		if c.Category == category && c.Version == version {
			return c, true
		}
	}
	return Checklist{}, false
}
