package notify

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"

	"riskmap/inspections"
)

// inspectionDueDays: a 双随机 plan is reminded of when its period ends
// within this many days (today included).
const inspectionDueDays = 3

// inspectionsDue reminds the inspectors drawn by each 双随机 plan whose
// period ends within inspectionDueDays with units not yet inspected, and
// the office that drew it (and those the rule of inspection_due names at
// its area), once per plan and period end. Like the deadline reminders it
// waits for RemindHour.
func (s *Service) inspectionsDue(ctx context.Context, now time.Time) (int, error) {
	local := now.In(shanghai)
	if local.Hour() < s.cfg.RemindHour {
		return 0, nil
	}
	today := time.Date(local.Year(), local.Month(), local.Day(), 0, 0, 0, 0, shanghai)
	n := 0
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		plans, err := inspections.DuePlans(ctx, tx, today, today.AddDate(0, 0, inspectionDueDays-1))
		if err != nil {
			return err
		}
		for _, p := range plans {
			users := p.Inspectors
			if p.DrawnBy != nil {
				users = append(users, *p.DrawnBy)
			}
			end := p.PeriodTo.Format("2006-01-02")
			days := int(time.Date(p.PeriodTo.Year(), p.PeriodTo.Month(), p.PeriodTo.Day(), 0, 0, 0, 0, shanghai).Sub(today).Hours() / 24)
			when := map[int]string{0: "今日", 1: "明日"}[days]
			if when == "" {
				when = fmt.Sprintf("%d日后", days)
			}
			id := strconv.FormatInt(p.ID, 10)
			err := s.Raise(ctx, tx, Notice{
				Kind: "inspection_due", Place: p.Area, Users: users, RefType: "inspection_plan", RefID: id,
				Title: fmt.Sprintf("双随机检查%s截止：%s，尚有%d家未检查", when, p.AreaName, p.Units-p.Done),
				Body:  fmt.Sprintf("抽查计划 %s：已检查 %d/%d 家，检查期限 %s", id, p.Done, p.Units, end),
				// once per plan and period end: running again tells no one
				Dedupe: "inspection_due:plan:" + id + ":" + end,
			})
			if err != nil {
				return err
			}
			n++
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("notify job: inspections due: %w", err)
	}
	return n, nil
}
