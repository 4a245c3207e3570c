package cases

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"riskmap"
	"riskmap/internal/sheet"
	"riskmap/postgres"
)

// LedgerRow is one case of the case ledger (台账): where it is, what it is,
// where it stands and the key dates of its history.
type LedgerRow struct {
	ID                     string
	State, Grade, Category string
	Description            string
	GridCode, GridName     string
	TownshipCode, Township string
	ReportedAt             time.Time
	Reporter               string
	RegisteredAt           *time.Time // first registration
	AssignedAt             *time.Time // last assignment
	Deadline               *time.Time
	Assignee               string
	SubmittedAt            *time.Time // last submission for checking
	ClosedAt               *time.Time
	// OverdueDays: for an open case, whole days past its deadline now; for
	// a closed one, whole days it was closed after its deadline; else 0.
	OverdueDays int
	Lon, Lat    float64
}

// Ledger returns every case of the list q selects (its limit and cursor
// aside), newest first, as ledger rows.
func (s *Store) Ledger(ctx context.Context, u *riskmap.User, q ListQuery) ([]LedgerRow, error) {
	q.After = 0
	where, args := listWhere(u, q, nil)
	sql := `SELECT c.id::text, c.state, c.grade, c.category, c.description, c.grid_code, coalesce(g.name, ''),
		c.township_code, coalesce(t.name, ''), c.reported_at, coalesce(c.reporter_name, ''), ev.registered, ev.assigned, c.deadline,
		coalesce(c.assignee_name, ''), ev.submitted, c.closed_at,
		CASE WHEN riskmap_case_open(c.state) AND c.deadline < now() THEN floor(extract(epoch FROM now() - c.deadline) / 86400)
		     WHEN c.state = 'closed' AND c.closed_at > c.deadline THEN floor(extract(epoch FROM c.closed_at - c.deadline) / 86400)
		     ELSE 0 END::integer,
		ST_X(c.geom), ST_Y(c.geom)
		FROM cases c
		LEFT JOIN grids g ON g.code = c.grid_code
		LEFT JOIN areas t ON t.code = c.township_code
		LEFT JOIN LATERAL (SELECT min(e.at) FILTER (WHERE e.action = 'register') AS registered,
		                          max(e.at) FILTER (WHERE e.action = 'assign') AS assigned,
		                          max(e.at) FILTER (WHERE e.action = 'submit') AS submitted
		                     FROM case_events e WHERE e.case_id = c.id) ev ON true
		WHERE ` + strings.Join(where, " AND ") + ` ORDER BY c.seq DESC`
	rows, err := s.reads.Query(ctx, sql, args...)
	if err != nil {
		return nil, fmt.Errorf("case ledger: %w", postgres.Translate(err))
	}
	defer rows.Close()
	var out []LedgerRow
	for rows.Next() {
		var r LedgerRow
		if err := rows.Scan(&r.ID, &r.State, &r.Grade, &r.Category, &r.Description, &r.GridCode, &r.GridName,
			&r.TownshipCode, &r.Township, &r.ReportedAt, &r.Reporter, &r.RegisteredAt, &r.AssignedAt, &r.Deadline,
			&r.Assignee, &r.SubmittedAt, &r.ClosedAt, &r.OverdueDays, &r.Lon, &r.Lat); err != nil {
			return nil, fmt.Errorf("case ledger: %w", err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("case ledger: %w", postgres.Translate(err))
	}
	return out, nil
}

// Labels of docs/domain.md, for people reading the ledger.
var (
	stateLabels = map[string]string{Reported: "上报", Registered: "登记", Assigned: "已派遣", Rectifying: "整改中",
		Submitted: "待核查", Closed: "已销号", Void: "不予登记", Duplicate: "重复", Suspended: "挂账"}
	gradeLabels    = map[string]string{"general": "一般隐患", "major": "重大隐患"}
	categoryLabels = map[string]string{"geological": "地质灾害", "flood": "山洪/内涝", "reservoir": "水库山塘", "coastal": "海堤/台风",
		"forest_fire": "森林火险", "crowded_place": "人员密集场所", "construction": "建筑施工", "road_traffic": "道路交通", "fire": "消防", "other": "其他"}
)

// ledgerColumns are the ledger's columns: the CSV's field names (for
// machines: codes as the API has them) and the workbook's headings.
var ledgerColumns = []struct {
	field string
	col   sheet.Column
}{
	{"id", sheet.Column{Heading: "案件编号", Width: 38}},
	{"state", sheet.Column{Heading: "状态"}},
	{"grade", sheet.Column{Heading: "等级", Width: 10}},
	{"category", sheet.Column{Heading: "类别", Width: 14}},
	{"description", sheet.Column{Heading: "隐患描述", Width: 40}},
	{"grid_code", sheet.Column{Heading: "网格编码", Width: 18}},
	{"grid_name", sheet.Column{Heading: "网格", Width: 16}},
	{"township_code", sheet.Column{Heading: "镇街代码", Width: 15}},
	{"township_name", sheet.Column{Heading: "镇街", Width: 12}},
	{"reported_at", sheet.Column{Heading: "上报时间", Kind: sheet.DateTime, Width: 17}},
	{"reporter_name", sheet.Column{Heading: "上报人"}},
	{"registered_at", sheet.Column{Heading: "登记时间", Kind: sheet.DateTime, Width: 17}},
	{"assigned_at", sheet.Column{Heading: "派遣时间", Kind: sheet.DateTime, Width: 17}},
	{"deadline", sheet.Column{Heading: "整改期限", Kind: sheet.DateTime, Width: 17}},
	{"assignee_name", sheet.Column{Heading: "整改责任人", Width: 12}},
	{"submitted_at", sheet.Column{Heading: "提交核查时间", Kind: sheet.DateTime, Width: 17}},
	{"closed_at", sheet.Column{Heading: "销号时间", Kind: sheet.DateTime, Width: 17}},
	{"overdue_days", sheet.Column{Heading: "逾期天数", Kind: sheet.Number}},
	{"lon", sheet.Column{Heading: "经度", Kind: sheet.Number, Width: 20}},
	{"lat", sheet.Column{Heading: "纬度", Kind: sheet.Number, Width: 20}},
}

func opt(t *time.Time) any {
	if t == nil {
		return nil
	}
	return *t
}

func (r LedgerRow) cells(label func(map[string]string, string) string) []any {
	return []any{r.ID, label(stateLabels, r.State), label(gradeLabels, r.Grade), label(categoryLabels, r.Category), r.Description,
		r.GridCode, r.GridName, r.TownshipCode, r.Township, r.ReportedAt, r.Reporter, opt(r.RegisteredAt), opt(r.AssignedAt),
		opt(r.Deadline), r.Assignee, opt(r.SubmittedAt), opt(r.ClosedAt), r.OverdueDays, r.Lon, r.Lat}
}

// WriteLedgerXLSX writes the ledger as a workbook for people: Chinese
// headings and labels, codes as text, times in China time.
func WriteLedgerXLSX(w io.Writer, rows []LedgerRow) error {
	cols := make([]sheet.Column, len(ledgerColumns))
	for i, c := range ledgerColumns {
		cols[i] = c.col
	}
	x, err := sheet.NewXLSX("隐患台账", cols, len(rows))
	if err != nil {
		return err
	}
	label := func(m map[string]string, code string) string {
		if s, ok := m[code]; ok {
			return s
		}
		return code
	}
	for _, r := range rows {
		if err := x.Row(r.cells(label)...); err != nil {
			x.Close()
			return err
		}
	}
	_, err = x.WriteTo(w)
	return err
}

// WriteLedgerCSV writes the ledger for machines: the field names as
// header, codes as the API has them, times in RFC 3339.
func WriteLedgerCSV(w io.Writer, rows []LedgerRow) error {
	cw, err := sheet.NewCSV(w)
	if err != nil {
		return err
	}
	head := make([]string, len(ledgerColumns))
	for i, c := range ledgerColumns {
		head[i] = c.field
	}
	if err := cw.Write(head); err != nil {
		return err
	}
	code := func(_ map[string]string, c string) string { return c }
	rec := make([]string, len(ledgerColumns))
	for _, r := range rows {
		for i, v := range r.cells(code) {
			switch x := v.(type) {
			case nil:
				rec[i] = ""
			case time.Time:
				rec[i] = x.In(sheet.China).Format(time.RFC3339)
			case int:
				rec[i] = strconv.Itoa(x)
			case float64:
				rec[i] = strconv.FormatFloat(x, 'f', -1, 64)
			default:
				rec[i] = fmt.Sprint(x)
			}
		}
		if err := cw.Write(rec); err != nil {
			return err
		}
	}
	return cw.Flush()
}
