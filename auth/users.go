package auth

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"riskmap"
	"riskmap/postgres"
)

// Account is a user as administrators see it.
type Account struct {
	riskmap.User
	Phone     string    `json:"phone"`
	Disabled  bool      `json:"disabled"`
	Version   int       `json:"version"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

const accountColumns = userColumns + ", coalesce(u.phone, ''), u.disabled, u.version, u.created_at, u.updated_at"

func scanAccount(row pgx.Row) (*Account, error) {
	var a Account
	u, err := scanUser(row, &a.Phone, &a.Disabled, &a.Version, &a.CreatedAt, &a.UpdatedAt)
	if err != nil {
		return nil, err
	}
	a.User = *u
	return &a, nil
}

// Users lists every account.
func (s *Service) Users(ctx context.Context) ([]Account, error) {
	rows, err := s.pool.Query(ctx, "SELECT "+accountColumns+" FROM users u ORDER BY u.id")
	if err != nil {
		return nil, fmt.Errorf("list users: %w", err)
	}
	defer rows.Close()
	out := []Account{}
	for rows.Next() {
		a, err := scanAccount(rows)
		if err != nil {
			return nil, fmt.Errorf("list users: %w", err)
		}
		out = append(out, *a)
	}
	return out, rows.Err()
}

// Account returns one account.
func (s *Service) Account(ctx context.Context, id int64) (*Account, error) {
	a, err := scanAccount(s.pool.QueryRow(ctx, "SELECT "+accountColumns+" FROM users u WHERE u.id = $1", id))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, riskmap.Errorf(riskmap.ENOTFOUND, "user %d not found", id)
	}
	if err != nil {
		return nil, fmt.Errorf("get user %d: %w", id, err)
	}
	return a, nil
}

// CreateUser adds an account; an existing username is a conflict.
func (s *Service) CreateUser(ctx context.Context, spec UserSpec) (*Account, error) {
	var exists bool
	if err := s.pool.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM users WHERE username = $1)", spec.Username).Scan(&exists); err != nil {
		return nil, err
	}
	if exists {
		return nil, riskmap.Errorf(riskmap.ECONFLICT, "username %q is taken", spec.Username)
	}
	if spec.Password == "" {
		return nil, riskmap.Errorf(riskmap.EUNPROCESSABLE, "password: required for a new user")
	}
	u, err := s.SaveUser(ctx, spec)
	if err != nil {
		return nil, err
	}
	return s.Account(ctx, u.ID)
}

// AccountChange is a partial update of an account; nil fields stay.
type AccountChange struct {
	DisplayName *string
	Role        *string
	Areas       *[]string
	Grids       *[]string
	Password    *string
	Disabled    *bool
}

// UpdateUser changes an account. A new password, a disabled account or a
// new role or scope revokes every token the user holds, so the change takes
// effect at once; a new password also revokes the user's personal access
// tokens (a role or scope change does not: a token reads them when used).
func (s *Service) UpdateUser(ctx context.Context, id int64, ch AccountChange) (*Account, error) {
	cur, err := s.Account(ctx, id)
	if err != nil {
		return nil, err
	}
	spec := UserSpec{Username: cur.Username, DisplayName: cur.DisplayName, Role: cur.Role, Areas: cur.Areas, Grids: cur.Grids}
	if ch.DisplayName != nil {
		spec.DisplayName = *ch.DisplayName
	}
	if ch.Role != nil {
		spec.Role = *ch.Role
	}
	if ch.Areas != nil {
		spec.Areas = *ch.Areas
	}
	if ch.Grids != nil {
		spec.Grids = *ch.Grids
	}
	if ch.Password != nil {
		spec.Password = *ch.Password
	}
	err = postgres.BeginAudited(ctx, s.pool, func(tx pgx.Tx) error {
		if err := s.saveUser(ctx, tx, spec); err != nil {
			return err
		}
		revoke := ch.Role != nil || ch.Areas != nil || ch.Grids != nil
		if ch.Disabled != nil {
			if _, err := tx.Exec(ctx, "UPDATE users SET disabled = $2 WHERE id = $1", id, *ch.Disabled); err != nil {
				return err
			}
			revoke = revoke || *ch.Disabled
		}
		if ch.Password != nil {
			// an account taken over: its access tokens end with the reset
			if err := revokeAccessTokens(ctx, tx, id); err != nil {
				return err
			}
		}
		if revoke {
			_, err := tx.Exec(ctx, "UPDATE users SET tokens_valid_after = now() WHERE id = $1", id)
			return err
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return s.Account(ctx, id)
}

// ChangePassword lets a user replace their own password; every token they
// hold, personal access tokens included, is revoked, so they log in again
// with the new one. A wrong current
// password counts as a failed login (Limiter): a stolen token does not
// give unlimited guesses at the password.
func (s *Service) ChangePassword(ctx context.Context, id int64, old, new, ip string) error {
	var username, hash string
	if err := s.pool.QueryRow(ctx, "SELECT username, password_hash FROM users WHERE id = $1", id).Scan(&username, &hash); err != nil {
		return fmt.Errorf("change password: %w", err)
	}
	if err := s.limiter.check(ctx, s.pool, username, ip); err != nil {
		return err
	}
	if !CheckPassword(hash, old) {
		if err := s.limiter.fail(ctx, s.pool, username, ip); err != nil {
			return err
		}
		return riskmap.Errorf(riskmap.EFORBIDDEN, "the current password is wrong")
	}
	h, err := HashPassword(new)
	if err != nil {
		return riskmap.Errorf(riskmap.EUNPROCESSABLE, "new password: %v", err)
	}
	return postgres.BeginAudited(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, "UPDATE users SET password_hash = $2, tokens_valid_after = now() WHERE id = $1", id, h); err != nil {
			return err
		}
		return revokeAccessTokens(ctx, tx, id)
	})
}
