package notify

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"

	"riskmap"
	"riskmap/cases"
	"riskmap/postgres"
)

// Notification is one entry of a user's inbox.
type Notification struct {
	ID        int64      `json:"id"`
	Kind      string     `json:"kind"`
	Label     string     `json:"label"`
	CaseID    *string    `json:"case_id"`
	RefType   *string    `json:"ref_type"`
	RefID     *string    `json:"ref_id"`
	Title     string     `json:"title"`
	Body      string     `json:"body"`
	Link      string     `json:"link"`
	CreatedAt time.Time  `json:"created_at"`
	ReadAt    *time.Time `json:"read_at"`
}

// InboxQuery selects notifications: unread only or all, newest first, a
// page of Limit after the cursor Before (a notification id; 0: the start).
type InboxQuery struct {
	Unread bool
	Limit  int
	Before int64
}

// Inbox is a page of notifications, the user's unread count and the cursor
// of the next page (0: none).
type Inbox struct {
	Notifications []Notification
	Unread        int
	Next          int64
}

// stillVisible keeps (alias n) notifications about cases to those the user
// may still see: one whose area was taken from them shows no more.
func stillVisible(u *riskmap.User, next int) (string, []any) {
	vis, args := cases.VisibleSQL(u, next)
	return "(n.case_id IS NULL OR EXISTS (SELECT 1 FROM cases c WHERE c.id = n.case_id AND " + vis + "))", args
}

// Inbox returns the user's notifications.
func (s *Service) Inbox(ctx context.Context, u *riskmap.User, q InboxQuery) (Inbox, error) {
	if q.Limit <= 0 {
		q.Limit = 50
	}
	vis, vargs := stillVisible(u, 5)
	args := append([]any{u.ID, q.Unread, q.Before, q.Limit + 1}, vargs...)
	rows, err := s.pool.Query(ctx, `SELECT n.id, n.kind, n.case_id::text, n.ref_type, n.ref_id, n.title, n.body, n.link, n.created_at, n.read_at
		  FROM notifications n
		 WHERE n.user_id = $1 AND (NOT $2 OR n.read_at IS NULL) AND ($3 = 0 OR n.id < $3) AND `+vis+`
		 ORDER BY n.id DESC LIMIT $4`, args...)
	if err != nil {
		return Inbox{}, fmt.Errorf("inbox: %w", err)
	}
	var out Inbox
	for rows.Next() {
		var n Notification
		if err := rows.Scan(&n.ID, &n.Kind, &n.CaseID, &n.RefType, &n.RefID, &n.Title, &n.Body, &n.Link, &n.CreatedAt, &n.ReadAt); err != nil {
			rows.Close()
			return Inbox{}, fmt.Errorf("inbox: %w", err)
		}
		n.Label = kindLabel(n.Kind)
		out.Notifications = append(out.Notifications, n)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return Inbox{}, fmt.Errorf("inbox: %w", postgres.Translate(err))
	}
	if len(out.Notifications) > q.Limit {
		out.Notifications = out.Notifications[:q.Limit]
		out.Next = out.Notifications[q.Limit-1].ID
	}
	if out.Notifications == nil {
		out.Notifications = []Notification{}
	}
	out.Unread, err = unread(ctx, s.pool, u)
	return out, err
}

type rowQuerier interface {
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// unread counts the user's unread notifications.
func unread(ctx context.Context, db rowQuerier, u *riskmap.User) (int, error) {
	vis, vargs := stillVisible(u, 2)
	var n int
	if err := db.QueryRow(ctx, `SELECT count(*) FROM notifications n WHERE n.user_id = $1 AND n.read_at IS NULL AND `+vis,
		append([]any{u.ID}, vargs...)...).Scan(&n); err != nil {
		return 0, fmt.Errorf("inbox: unread: %w", err)
	}
	return n, nil
}

// MarkRead marks the user's notifications ids (or all of them) read, and
// tells the user's other screens the new unread count (event "inbox").
// Ids that are not the user's are refused (422), and then nothing is
// marked. It returns how many were newly marked and how many remain unread.
func (s *Service) MarkRead(ctx context.Context, u *riskmap.User, ids []int64, all bool) (marked int64, left int, err error) {
	if !all && len(ids) == 0 {
		return 0, 0, riskmap.Errorf(riskmap.EUNPROCESSABLE, `want {"ids":[…]} or {"all":true}`).
			WithDetails(riskmap.Detail{Field: "ids", Message: "required unless all is true"})
	}
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if !all {
			rows, err := tx.Query(ctx, `SELECT id FROM notifications WHERE id = ANY($1) AND user_id = $2`, ids, u.ID)
			if err != nil {
				return err
			}
			mine, err := pgx.CollectRows(rows, pgx.RowTo[int64])
			if err != nil {
				return err
			}
			var bad []riskmap.Detail
			for i, id := range ids {
				if !slices.Contains(mine, id) {
					bad = append(bad, riskmap.Detail{Field: fmt.Sprintf("ids[%d]", i), Value: id, Message: "no such notification of yours"})
				}
			}
			if len(bad) > 0 {
				return riskmap.Errorf(riskmap.EUNPROCESSABLE, "notification %v is not one of yours", bad[0].Value).WithDetails(bad...)
			}
		}
		tag, err := tx.Exec(ctx, `UPDATE notifications SET read_at = $3 WHERE user_id = $1 AND read_at IS NULL AND ($2 OR id = ANY($4))`,
			u.ID, all, s.cfg.Now(), ids)
		if err != nil {
			return err
		}
		marked = tag.RowsAffected()
		if left, err = unread(ctx, tx, u); err != nil {
			return err
		}
		if marked > 0 {
			_, err = tx.Exec(ctx, `SELECT riskmap_feed_publish('inbox', jsonb_build_object('user_id', $1::bigint,
				'data', jsonb_build_object('unread', $2::int)))`, u.ID, left)
		}
		return err
	})
	if err != nil {
		return 0, 0, fmt.Errorf("mark read: %w", err)
	}
	return marked, left, nil
}
