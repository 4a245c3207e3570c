package auth

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"

	"riskmap"
	"riskmap/postgres"
)

// Personal access tokens (migrations/631_access_tokens.sql): long-lived
// tokens for desktop clients and scripts, shown once, stored hashed,
// listed, revocable at once on every replica, optionally read-only. They
// work wherever a session token does, as a bearer token or as the
// password of HTTP Basic (any username: the token decides).

// accessTokenPrefix starts every personal access token; "." is outside
// the base64url alphabet of session tokens, so the two never collide.
const accessTokenPrefix = "rm_pat."

// Access token lifetimes: the default and the longest.
const (
	DefaultAccessTokenTTL = 90 * 24 * time.Hour
	MaxAccessTokenTTL     = 365 * 24 * time.Hour
)

// AccessToken is a personal access token as listed (never its secret).
type AccessToken struct {
	ID         int64      `json:"id"`
	Name       string     `json:"name"`
	ReadOnly   bool       `json:"read_only"`
	CreatedAt  time.Time  `json:"created_at"`
	ExpiresAt  time.Time  `json:"expires_at"`
	LastUsedAt *time.Time `json:"last_used_at"`
	RevokedAt  *time.Time `json:"revoked_at"`
}

// NewAccessToken is what a user asks for.
type NewAccessToken struct {
	Name      string     `json:"name"`
	ExpiresAt *time.Time `json:"expires_at"` // nil: DefaultAccessTokenTTL from now
	ReadOnly  bool       `json:"read_only"`
}

func tokenProblem(field, format string, a ...any) error {
	e := riskmap.Errorf(riskmap.EUNPROCESSABLE, field+": "+format, a...)
	return e.WithDetails(riskmap.Detail{Field: field, Message: e.Message})
}

// CreateAccessToken makes a token for u and returns it with its secret,
// which is shown this once. A token cannot make another: a leaked one
// must not be able to outlive its own revocation.
func (s *Service) CreateAccessToken(ctx context.Context, u *riskmap.User, in NewAccessToken) (AccessToken, string, error) {
	if u.AccessToken != 0 {
		return AccessToken{}, "", riskmap.Errorf(riskmap.EFORBIDDEN, "a personal access token cannot make tokens: log in with your password")
	}
	in.Name = strings.TrimSpace(in.Name)
	if in.Name == "" || utf8.RuneCountInString(in.Name) > 100 {
		return AccessToken{}, "", tokenProblem("name", "required, at most 100 characters: what the token is for (e.g. QGIS on the planning PC)")
	}
	now := time.Now()
	exp := now.Add(DefaultAccessTokenTTL)
	if in.ExpiresAt != nil {
		exp = *in.ExpiresAt
	}
	switch {
	case !exp.After(now):
		return AccessToken{}, "", tokenProblem("expires_at", "must be in the future")
	case exp.After(now.Add(MaxAccessTokenTTL)):
		return AccessToken{}, "", tokenProblem("expires_at", "at most a year from now (%s)", now.Add(MaxAccessTokenTTL).Format(time.DateOnly))
	}
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return AccessToken{}, "", fmt.Errorf("token: %w", err)
	}
	secret := accessTokenPrefix + base64.RawURLEncoding.EncodeToString(raw)
	var t AccessToken
	err := postgres.BeginAudited(ctx, s.pool, func(tx pgx.Tx) error {
		return tx.QueryRow(ctx, `INSERT INTO access_tokens (user_id, name, token_hash, read_only, expires_at)
			VALUES ($1, $2, $3, $4, $5) RETURNING `+tokenColumns, u.ID, in.Name, hashToken(secret), in.ReadOnly, exp).
			Scan(&t.ID, &t.Name, &t.ReadOnly, &t.CreatedAt, &t.ExpiresAt, &t.LastUsedAt, &t.RevokedAt)
	})
	if err != nil {
		return AccessToken{}, "", fmt.Errorf("create access token: %w", postgres.Translate(err))
	}
	return t, secret, nil
}

const tokenColumns = "id, name, read_only, created_at, expires_at, last_used_at, revoked_at"

// AccessTokens lists u's tokens, newest first, revoked and expired ones
// included (for a while: a year).
func (s *Service) AccessTokens(ctx context.Context, u *riskmap.User) ([]AccessToken, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+tokenColumns+` FROM access_tokens
		WHERE user_id = $1 AND expires_at > now() - interval '1 year' ORDER BY id DESC`, u.ID)
	if err != nil {
		return nil, fmt.Errorf("access tokens: %w", err)
	}
	defer rows.Close()
	out := []AccessToken{}
	for rows.Next() {
		var t AccessToken
		if err := rows.Scan(&t.ID, &t.Name, &t.ReadOnly, &t.CreatedAt, &t.ExpiresAt, &t.LastUsedAt, &t.RevokedAt); err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

// RevokeAccessToken revokes one of u's tokens; every replica refuses it
// from the commit on (NOTIFY riskmap_auth).
func (s *Service) RevokeAccessToken(ctx context.Context, u *riskmap.User, id int64) error {
	var n int64
	err := postgres.BeginAudited(ctx, s.pool, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, "UPDATE access_tokens SET revoked_at = now() WHERE id = $1 AND user_id = $2 AND revoked_at IS NULL", id, u.ID)
		n = tag.RowsAffected()
		return err
	})
	if err != nil {
		return fmt.Errorf("revoke access token: %w", err)
	}
	if n == 0 {
		var exists bool
		if err := s.pool.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM access_tokens WHERE id = $1 AND user_id = $2)", id, u.ID).Scan(&exists); err != nil {
			return err
		}
		if !exists {
			return riskmap.Errorf(riskmap.ENOTFOUND, "you have no access token %d", id)
		}
	}
	return nil
}

// revokeAccessTokens revokes every live access token of user id, in tx: a
// password change or reset ends them (ASVS 3.3.3), on every replica at the
// commit (NOTIFY riskmap_auth).
func revokeAccessTokens(ctx context.Context, tx pgx.Tx, id int64) error {
	_, err := tx.Exec(ctx, "UPDATE access_tokens SET revoked_at = now() WHERE user_id = $1 AND revoked_at IS NULL", id)
	return err
}

// authenticateAccessToken resolves a personal access token, and notes
// when it was used (at most once a minute).
func (s *Service) authenticateAccessToken(ctx context.Context, token string) (*riskmap.User, time.Time, error) {
	var until time.Time
	var id, wrote int64
	var readOnly bool
	// the user's write position too, as for a session (AuthenticateUntil):
	// a token's reads on a standby must see the user's own writes
	u, err := scanUser(s.pool.QueryRow(ctx, `SELECT `+userColumns+`, t.expires_at, t.id, t.read_only,
		       coalesce((SELECT (w.lsn - '0/0'::pg_lsn)::int8 FROM user_write_positions w WHERE w.user_id = u.id), 0)
		  FROM access_tokens t JOIN users u ON u.id = t.user_id
		 WHERE t.token_hash = $1 AND t.revoked_at IS NULL AND t.expires_at > now() AND NOT u.disabled`, hashToken(token)), &until, &id, &readOnly, &wrote)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, time.Time{}, riskmap.Errorf(riskmap.EUNAUTHORIZED, "access token expired, revoked or unknown: make a new one in the app")
	}
	if err != nil {
		return nil, time.Time{}, fmt.Errorf("authenticate: %w", err)
	}
	u.AccessToken, u.ReadOnly, u.Wrote = id, readOnly, uint64(max(wrote, 0))
	if _, err := s.pool.Exec(ctx, `UPDATE access_tokens SET last_used_at = now()
		WHERE id = $1 AND (last_used_at IS NULL OR last_used_at < now() - interval '1 minute')`, id); err != nil {
		return nil, time.Time{}, fmt.Errorf("authenticate: %w", err)
	}
	return u, until, nil
}
