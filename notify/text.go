package notify

import (
	"fmt"
	"strings"
	"time"

	"riskmap/cases"
)

// write fills what a notice says (a case notice's title, body and link,
// from the case) and its dedupe key.
func (s *Service) write(n *notice, now time.Time) {
	if c := n.c; c != nil {
		if n.Title == "" {
			n.Title, n.Body = caseText(n, now)
		}
		if n.Link == "" {
			n.Link = "/#case=" + c.ID
		}
		if n.Dedupe == "" {
			switch n.Kind {
			case "escalated":
				n.Dedupe = fmt.Sprintf("escalated:%s:%s:%d", c.ID, deadlineKey(c.Deadline), n.Level)
			case "due_tomorrow", "due_today", "overdue":
				n.Dedupe = fmt.Sprintf("%s:%s:%s", n.Kind, c.ID, deadlineKey(c.Deadline))
			default:
				// an action: one per version of the case
				n.Dedupe = fmt.Sprintf("%s:%s:v%d", n.Kind, c.ID, c.Version)
			}
		}
	}
	if n.Dedupe == "" {
		n.Dedupe = fmt.Sprintf("%s:%s:%s", n.Kind, n.RefType, n.RefID)
	}
}

func deadlineKey(d *time.Time) string {
	if d == nil {
		return "none"
	}
	return fmt.Sprint(d.Unix())
}

// what names a case in a title: its category and grade.
func what(c *caseInfo) string {
	return fmt.Sprintf("%s（%s）", cases.CategoryName(c.Category), cases.GradeName(c.Grade))
}

func overdueDays(c *caseInfo, now time.Time) int {
	if c.Deadline == nil || !now.After(*c.Deadline) {
		return 0
	}
	return int(now.Sub(*c.Deadline) / (24 * time.Hour))
}

// caseText is a case notice's title and one-paragraph body, in Chinese.
func caseText(n *notice, now time.Time) (title, body string) {
	c := n.c
	w := what(c)
	switch n.Kind {
	case "assigned":
		title = "新任务：" + w + "待整改"
	case "returned":
		title = "任务被退回：" + w
	case "due_tomorrow":
		title = "明日到期：" + w
	case "due_today":
		title = "今日到期：" + w
	case "overdue":
		title = "已逾期：" + w
	case "escalated":
		to := "县区"
		if n.Level >= cases.LevelCity {
			to = "市级"
		}
		title = fmt.Sprintf("逾期升级至%s：%s已逾期%d天", to, w, overdueDays(c, now))
	case "submitted":
		title = "待核查：" + w + "已提交整改"
	case "rejected":
		title = "核查未通过：" + w + "需继续整改"
	case "reported":
		title = "新上报隐患：" + w
	default:
		title = kindLabel(n.Kind) + "：" + w
	}
	return clip(title, 200), clip(strings.Join(caseLines(n), "；"), 1000)
}

// caseLines are the facts a message gives about a case.
func caseLines(n *notice) []string {
	c := n.c
	lines := []string{"描述：" + clip(c.Description, 80), "网格：" + place(c)}
	if c.Deadline != nil {
		lines = append(lines, "期限："+c.Deadline.In(shanghai).Format("2006-01-02 15:04"))
	}
	if c.AssigneeName != nil && *c.AssigneeName != "" {
		lines = append(lines, "责任人："+*c.AssigneeName)
	}
	if n.Reason != "" {
		lines = append(lines, "原因："+clip(n.Reason, 80))
	}
	return lines
}

func place(c *caseInfo) string {
	name := c.GridName
	if name == "" {
		name = c.GridCode
	}
	if c.TownshipName != "" {
		return name + "（" + c.TownshipName + "）"
	}
	return name
}

// clip shortens s to at most n characters, marking the cut.
func clip(s string, n int) string {
	r := []rune(strings.TrimSpace(s))
	if len(r) <= n {
		return string(r)
	}
	return string(r[:n-1]) + "…"
}

// message is what a robot is sent: one notice, or a summary of several of
// one kind.
type message struct {
	Kind  string
	Level int
	Title string
	// Lines are the facts of a single notice; Items the notices of a
	// summary.
	Lines []string
	Items []item
	More  int // items left out of a long summary
	Link  string
	At    time.Time
}

// item is one notice in a message.
type item struct {
	Title string `json:"title"`
	// about a case
	CaseID       string     `json:"case_id,omitempty"`
	Category     string     `json:"category,omitempty"`
	CategoryName string     `json:"category_name,omitempty"`
	Grade        string     `json:"grade,omitempty"`
	Description  string     `json:"description,omitempty"`
	GridCode     string     `json:"grid_code,omitempty"`
	GridName     string     `json:"grid_name,omitempty"`
	TownshipName string     `json:"township_name,omitempty"`
	Deadline     *time.Time `json:"deadline,omitempty"`
	State        string     `json:"state,omitempty"`
	// about something else
	RefType string `json:"ref_type,omitempty"`
	RefID   string `json:"ref_id,omitempty"`
	Body    string `json:"body,omitempty"`
	URL     string `json:"url"`
}

// maxItems is the most notices a summary lists.
const maxItems = 10

// message builds the robot message for notices of one kind.
func (s *Service) message(ns []*notice, now time.Time) message {
	first := ns[0]
	m := message{Kind: first.Kind, Level: first.Level, At: now}
	for i, n := range ns {
		if i == maxItems {
			m.More = len(ns) - maxItems
			break
		}
		it := item{Title: n.Title, RefType: n.RefType, RefID: n.RefID, URL: s.absolute(n.Link)}
		if c := n.c; c != nil {
			it.CaseID, it.Category, it.CategoryName, it.Grade = c.ID, c.Category, cases.CategoryName(c.Category), c.Grade
			it.Description, it.GridCode, it.GridName, it.TownshipName = clip(c.Description, 80), c.GridCode, c.GridName, c.TownshipName
			it.Deadline, it.State = c.Deadline, c.State
		} else {
			it.Body = n.Body
		}
		m.Items = append(m.Items, it)
	}
	if len(ns) == 1 {
		m.Title = first.Title
		if first.c != nil {
			m.Lines = caseLines(first)
		} else if first.Body != "" {
			m.Lines = []string{first.Body}
		}
		m.Link = s.absolute(first.Link)
		return m
	}
	label := kindLabel(first.Kind)
	if first.Kind == "escalated" {
		label = "逾期升级至县区"
		if first.Level >= cases.LevelCity {
			label = "逾期升级至市级"
		}
	}
	m.Title = fmt.Sprintf("%s：%d项", label, len(ns))
	if first.c != nil {
		m.Title = fmt.Sprintf("%s：%d处隐患", label, len(ns))
	}
	m.Link = s.cfg.PublicURL + "/#board"
	return m
}

// absolute makes an app link absolute for people outside the app.
func (s *Service) absolute(link string) string {
	if link == "" {
		return s.cfg.PublicURL + "/"
	}
	if strings.HasPrefix(link, "/") {
		return s.cfg.PublicURL + link
	}
	return link
}
