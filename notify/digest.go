package notify

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"riskmap/postgres"
)

// digestSQL marks the channels whose digest is due ($1 the time of day,
// $2 today, both Asia/Shanghai) as sent today, and returns each with its
// area's figures at $3 (now): open cases (of them major), overdue (of them
// escalated), due before the end of the week ($4), reported in the last
// day.
const digestSQL = `
WITH due AS (
	UPDATE notification_channels ch SET last_digest_on = $2::date
	 WHERE ch.enabled AND ch.digest_at IS NOT NULL AND ch.digest_at <= $1::time
	   AND (ch.last_digest_on IS NULL OR ch.last_digest_on < $2::date)
	RETURNING ch.id, ch.kind, ch.area_code)
SELECT due.id, due.kind, due.area_code, coalesce(a.name, due.area_code), x.*
  FROM due LEFT JOIN areas a ON a.code = due.area_code
 CROSS JOIN LATERAL (
	SELECT count(*) FILTER (WHERE riskmap_case_open(c.state)),
		count(*) FILTER (WHERE riskmap_case_open(c.state) AND c.grade = 'major'),
		count(*) FILTER (WHERE riskmap_case_open(c.state) AND c.deadline < $3),
		count(*) FILTER (WHERE riskmap_case_open(c.state) AND c.escalation_level > 0),
		count(*) FILTER (WHERE riskmap_case_open(c.state) AND c.deadline >= $3 AND c.deadline < $4),
		count(*) FILTER (WHERE c.reported_at >= $3 - interval '1 day' AND c.reported_at < $3 AND c.state NOT IN ('void', 'duplicate'))
	  FROM cases c
	 WHERE c.grid_code LIKE riskmap_area_prefix(due.area_code) || '%'
	   AND (riskmap_case_open(c.state) OR c.reported_at >= $3 - interval '1 day')) x
 ORDER BY due.id`

// digests sends the daily digests due at now: one message per channel
// with a digest time that has passed today and no digest yet today. The
// day is marked and the message written in one transaction, so a digest
// goes once a day, whoever runs the job.
func (s *Service) digests(ctx context.Context, now time.Time) (int, error) {
	local := now.In(shanghai)
	today := time.Date(local.Year(), local.Month(), local.Day(), 0, 0, 0, 0, time.UTC)
	// the week ends on Sunday night
	weekday := (int(local.Weekday()) + 6) % 7 // Monday 0
	weekEnd := time.Date(local.Year(), local.Month(), local.Day(), 0, 0, 0, 0, shanghai).AddDate(0, 0, 7-weekday)
	n := 0
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, digestSQL, local.Format("15:04:05"), today, now, weekEnd)
		if err != nil {
			return err
		}
		type digest struct {
			channel                                           int64
			kind, area, areaName                              string
			open, major, overdue, escalated, dueWeek, reports int
		}
		var ds []digest
		for rows.Next() {
			var d digest
			if err := rows.Scan(&d.channel, &d.kind, &d.area, &d.areaName, &d.open, &d.major, &d.overdue, &d.escalated, &d.dueWeek, &d.reports); err != nil {
				rows.Close()
				return err
			}
			ds = append(ds, d)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for _, d := range ds {
			m := message{Kind: "digest", At: now, Link: s.cfg.PublicURL + "/#board",
				Title: fmt.Sprintf("每日汇总：%s %s", d.areaName, local.Format("2006-01-02")),
				Lines: []string{
					fmt.Sprintf("未销号隐患 %d 处（其中重大隐患 %d 处）", d.open, d.major),
					fmt.Sprintf("已逾期 %d 处（其中已升级 %d 处）", d.overdue, d.escalated),
					fmt.Sprintf("本周内到期 %d 处", d.dueWeek),
					fmt.Sprintf("近24小时新上报 %d 处", d.reports),
				}}
			body, err := render(d.kind, m)
			if err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, `INSERT INTO notification_outbox (channel_id, kind, title, body, dedupe, next_attempt_at, created_at)
				VALUES ($1, 'digest', $2, $3, $4, $5, $5) ON CONFLICT (channel_id, dedupe) WHERE dedupe IS NOT NULL DO NOTHING`,
				d.channel, m.Title, body, "digest:"+today.Format("2006-01-02"), now); err != nil {
				return postgres.Translate(err)
			}
			n++
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("notify job: digests: %w", err)
	}
	return n, nil
}
