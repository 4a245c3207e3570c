package auth

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"riskmap"
)

// Limiter slows password guessing, with its counts in the database
// (login_failures) so every replica enforces the same limit. Two rules:
//
//   - an address: after max failures within window (whatever the
//     usernames), it is refused until the oldest of them ages out. The
//     address is the client's as the API resolved it (proxies are trusted
//     only when configured), so forging a header neither resets one's own
//     count nor spends another's.
//   - a username: after max failures within window the account is locked
//     against every address that has failed on it within the window, but
//     not against an address that has not: the real user, at another
//     address, still logs in while someone guesses at the account, and a
//     guesser gets one try per address per window. So a stranger cannot
//     keep the real user out, and guessing from many addresses is slowed to
//     one guess each.
//
// Refusals carry how long to wait (the API's Retry-After).
type Limiter struct {
	max    int
	window time.Duration
}

// NewLimiter allows max failures per username and per address within
// window.
func NewLimiter(max int, window time.Duration) *Limiter {
	return &Limiter{max: max, window: window}
}

// check refuses a try for username from address when a limit holds.
func (l *Limiter) check(ctx context.Context, db *pgxpool.Pool, username, address string) error {
	// the moment each rule lets go: when its max-th most recent failure ages
	// out; null when the rule does not hold
	var byAddress, byUser *time.Time
	var addressFailedOnUser bool
	err := db.QueryRow(ctx, `
		SELECT (SELECT at + $3::interval FROM login_failures WHERE address = $2 AND at > now() - $3::interval
		         ORDER BY at DESC OFFSET $4 - 1 LIMIT 1),
		       (SELECT at + $3::interval FROM login_failures WHERE username = $1 AND at > now() - $3::interval
		         ORDER BY at DESC OFFSET $4 - 1 LIMIT 1),
		       EXISTS (SELECT 1 FROM login_failures WHERE username = $1 AND address = $2 AND at > now() - $3::interval)`,
		username, address, l.window.String(), l.max).Scan(&byAddress, &byUser, &addressFailedOnUser)
	if err != nil {
		return fmt.Errorf("login limiter: %w", err)
	}
	until := time.Time{}
	if byAddress != nil {
		until = *byAddress
	}
	if byUser != nil && addressFailedOnUser && byUser.After(until) {
		until = *byUser
	}
	if wait := time.Until(until); wait > 0 {
		return riskmap.Errorf(riskmap.ETOOMANY, "too many failed logins; try again in %d s", int(wait.Seconds())+1).
			WithRetryAfter(wait)
	}
	return nil
}

// fail records a failed try and forgets failures older than the window.
func (l *Limiter) fail(ctx context.Context, db *pgxpool.Pool, username, address string) error {
	_, err := db.Exec(ctx, `WITH gone AS (DELETE FROM login_failures WHERE at < now() - $3::interval)
		INSERT INTO login_failures (username, address) VALUES ($1, $2)`, username, address, l.window.String())
	if err != nil {
		return fmt.Errorf("login limiter: %w", err)
	}
	return nil
}
