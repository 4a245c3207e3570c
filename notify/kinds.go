package notify

import "slices"

// Kind is one kind of notification. Who receives it is not here but in the
// table notification_rules: audiences per kind (the defaults of migration
// 592), overridable per area (rules.go); docs/notifications.md has the
// table.
type Kind struct {
	Name  string `json:"kind"`
	Label string `json:"label"`
	// Action is the case action that raises it (escalate: the job).
	Action string `json:"action,omitempty"`
	// Job: raised by the reminder and escalation job.
	Job bool `json:"job,omitempty"`
}

// Kinds lists the kinds of notification.
func Kinds() []Kind {
	return []Kind{
		{Name: "assigned", Label: "新任务", Action: "assign"},
		{Name: "returned", Label: "任务退回", Action: "return"},
		{Name: "due_tomorrow", Label: "明日到期", Job: true},
		{Name: "due_today", Label: "今日到期", Job: true},
		{Name: "overdue", Label: "已逾期", Job: true},
		{Name: "escalated", Label: "逾期升级", Action: "escalate", Job: true},
		{Name: "submitted", Label: "待核查", Action: "submit"},
		{Name: "rejected", Label: "核查未通过", Action: "reject"},
		{Name: "reported", Label: "新上报隐患", Action: "report"},
		// raised by other domains (Raise)
		{Name: "proposal_review", Label: "变更待审核"},
		{Name: "patrol_review", Label: "巡查待审核"},
		{Name: "inspection_due", Label: "检查到期"},
	}
}

// KindNames lists the kinds' names.
func KindNames() []string {
	var out []string
	for _, k := range Kinds() {
		out = append(out, k.Name)
	}
	return out
}

// kindOfAction is the kind a case action raises, if any.
func kindOfAction(action string) (string, bool) {
	for _, k := range Kinds() {
		if k.Action == action && action != "" {
			return k.Name, true
		}
	}
	return "", false
}

func kindLabel(kind string) string {
	for _, k := range Kinds() {
		if k.Name == kind {
			return k.Label
		}
	}
	switch kind {
	case "digest":
		return "每日汇总"
	case "test":
		return "测试消息"
	}
	return kind
}

func isKind(kind string) bool { return slices.Contains(KindNames(), kind) }

// Audiences: who a rule names (migration 592 checks the same list).
//   - assignee: the case's assignee; assigner: who assigned it last;
//     reporter, submitter: who reported it, who submitted it for checking;
//     grid_worker: the workers of the case's grid;
//   - township, county, city: the office users of that level whose areas
//     cover the place, and the robots of those offices;
//   - approver: who checks a submitted case: the township for a general
//     hazard, the county for a major one;
//   - level_above: whom an escalation goes to: the county (level 1), the
//     city (level 2).
func Audiences() []string {
	return []string{"assignee", "assigner", "reporter", "submitter", "grid_worker", "township", "county", "city", "approver", "level_above"}
}
