package demo

// readinessGap is a facility deliberately left out of a township, so that
// the 四个一 readiness check and the planners' coverage pages have
// incomplete townships to show.
type readinessGap struct {
	Township string // 12-digit code
	Missing  string // office, rescue_team, platform or depot
}

// readinessGaps are fixed by hand, not drawn, so that tests and demos can
// name them: two towns without a rescue team, two without a depot, one zone
// without either and one without its command platform. Every township has
// its office.
func readinessGaps() []readinessGap {
	return []readinessGap{
		{"441521112000", "rescue_team"}, // 海丰县 黄羌镇
		{"441523107000", "rescue_team"}, // 陆河县 南万镇
		{"441521109000", "depot"},       // 海丰县 大湖镇
		{"441581108000", "depot"},       // 陆丰市 陂洋镇
		{"441581116000", "rescue_team"}, // 陆丰市 上英镇
		{"441581116000", "depot"},
		{"441581400000", "platform"}, // 陆丰市 华侨管理区
	}
}
