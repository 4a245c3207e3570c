package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"riskmap"
	"riskmap/postgres"
)

// Service logs users in and resolves bearer tokens to users.
type Service struct {
	pool    *pgxpool.Pool
	ttl     time.Duration
	limiter *Limiter
	// tokens remembers resolved tokens for AuthenticateCached while
	// Listen runs; barriers are Sync's markers in flight.
	tokens   *tokens
	barriers *postgres.Barriers
}

// NewService returns a service issuing tokens valid for ttl.
func NewService(pool *pgxpool.Pool, ttl time.Duration, limiter *Limiter) *Service {
	return &Service{pool: pool, ttl: ttl, limiter: limiter, tokens: newTokens(tokenTTL, maxTokens), barriers: postgres.NewBarriers()}
}

func hashToken(tok string) []byte {
	h := sha256.Sum256([]byte(tok))
	return h[:]
}

const userColumns = `u.id, u.username, u.display_name, u.role,
	array(SELECT area_code FROM user_areas WHERE user_id = u.id ORDER BY 1),
	array(SELECT grid_code FROM user_grids WHERE user_id = u.id ORDER BY 1)`

func scanUser(row pgx.Row, extra ...any) (*riskmap.User, error) {
	var u riskmap.User
	dest := append([]any{&u.ID, &u.Username, &u.DisplayName, &u.Role, &u.Areas, &u.Grids}, extra...)
	if err := row.Scan(dest...); err != nil {
		return nil, err
	}
	return &u, nil
}

// Login checks a password and issues a token. Failures are counted per
// username and per client address (Limiter); past a limit it answers 429.
func (s *Service) Login(ctx context.Context, username, password, ip string) (string, time.Time, *riskmap.User, error) {
	if err := s.limiter.check(ctx, s.pool, username, ip); err != nil {
		return "", time.Time{}, nil, err
	}
	var hash string
	var disabled bool
	u, err := scanUser(s.pool.QueryRow(ctx, "SELECT "+userColumns+", u.password_hash, u.disabled FROM users u WHERE u.username = $1", username), &hash, &disabled)
	if errors.Is(err, pgx.ErrNoRows) {
		// spend the same time as a real check so usernames cannot be probed by timing
		CheckPassword("$argon2id$v=19$m=65536,t=3,p=2$c2FsdHNhbHRzYWx0c2FsdA$ZmFrZWZha2VmYWtlZmFrZWZha2VmYWtlZmFrZWZha2U", password)
		return "", time.Time{}, nil, s.wrongPassword(ctx, username, ip)
	}
	if err != nil {
		return "", time.Time{}, nil, fmt.Errorf("login: %w", err)
	}
	if !CheckPassword(hash, password) {
		return "", time.Time{}, nil, s.wrongPassword(ctx, username, ip)
	}
	if disabled {
		return "", time.Time{}, nil, riskmap.Errorf(riskmap.EUNAUTHORIZED, "this account is disabled")
	}
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return "", time.Time{}, nil, err
	}
	tok := "rm_" + base64.RawURLEncoding.EncodeToString(raw)
	var exp time.Time
	if err := s.pool.QueryRow(ctx, `INSERT INTO sessions (token_hash, user_id, expires_at, client_ip)
		VALUES ($1, $2, now() + $3::interval, $4) RETURNING expires_at`, hashToken(tok), u.ID, s.ttl.String(), ip).Scan(&exp); err != nil {
		return "", time.Time{}, nil, fmt.Errorf("login: %w", err)
	}
	return tok, exp, u, nil
}

// wrongPassword counts a failed try and says so.
func (s *Service) wrongPassword(ctx context.Context, username, ip string) error {
	if err := s.limiter.fail(ctx, s.pool, username, ip); err != nil {
		return err
	}
	return riskmap.Errorf(riskmap.EUNAUTHORIZED, "wrong username or password")
}

// Authenticate resolves a bearer token to its user, refusing expired,
// revoked and superseded tokens and disabled users.
func (s *Service) Authenticate(ctx context.Context, token string) (*riskmap.User, error) {
	u, _, err := s.AuthenticateUntil(ctx, token)
	return u, err
}

// AuthenticateUntil is Authenticate that also says when the token expires,
// for callers that remember resolved tokens.
func (s *Service) AuthenticateUntil(ctx context.Context, token string) (*riskmap.User, time.Time, error) {
	if !strings.HasPrefix(token, "rm_") || len(token) > 100 {
		return nil, time.Time{}, riskmap.Errorf(riskmap.EUNAUTHORIZED, "invalid token")
	}
	if strings.HasPrefix(token, accessTokenPrefix) {
		return s.authenticateAccessToken(ctx, token)
	}
	var until time.Time
	var wrote int64
	u, err := scanUser(s.pool.QueryRow(ctx, `SELECT `+userColumns+`, s.expires_at,
		       coalesce((SELECT (w.lsn - '0/0'::pg_lsn)::int8 FROM user_write_positions w WHERE w.user_id = u.id), 0)
		  FROM sessions s JOIN users u ON u.id = s.user_id
		 WHERE s.token_hash = $1 AND s.revoked_at IS NULL AND s.expires_at > now()
		   AND NOT u.disabled AND s.created_at >= u.tokens_valid_after`, hashToken(token)), &until, &wrote)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, time.Time{}, riskmap.Errorf(riskmap.EUNAUTHORIZED, "token expired, revoked or unknown: log in again")
	}
	if err != nil {
		return nil, time.Time{}, fmt.Errorf("authenticate: %w", err)
	}
	u.Wrote = uint64(max(wrote, 0))
	return u, until, nil
}

// Logout revokes one token.
func (s *Service) Logout(ctx context.Context, token string) error {
	_, err := s.pool.Exec(ctx, "UPDATE sessions SET revoked_at = now() WHERE token_hash = $1 AND revoked_at IS NULL", hashToken(token))
	return err
}

// UserSpec creates or updates an account.
type UserSpec struct {
	Username    string
	DisplayName string
	Role        string
	Areas       []string
	Grids       []string
	Password    string // empty keeps the current password on update
}

// SaveUser creates or updates a user by username, replacing its scopes. A new
// password revokes every token the user holds.
func (s *Service) SaveUser(ctx context.Context, spec UserSpec) (*riskmap.User, error) {
	if err := checkSpec(spec); err != nil {
		return nil, err
	}
	var id int64
	err := postgres.BeginAudited(ctx, s.pool, func(tx pgx.Tx) error {
		if err := s.saveUser(ctx, tx, spec); err != nil {
			return err
		}
		return tx.QueryRow(ctx, "SELECT id FROM users WHERE username = $1", spec.Username).Scan(&id)
	})
	if err != nil {
		return nil, err
	}
	return scanUser(s.pool.QueryRow(ctx, "SELECT "+userColumns+" FROM users u WHERE u.id = $1", id))
}

func (s *Service) saveUser(ctx context.Context, tx pgx.Tx, spec UserSpec) error {
	if err := checkSpec(spec); err != nil {
		return err
	}
	var hash *string
	if spec.Password != "" {
		h, err := HashPassword(spec.Password)
		if err != nil {
			return riskmap.Errorf(riskmap.EUNPROCESSABLE, "password: %v", err)
		}
		hash = &h
	}
	var id int64
	err := tx.QueryRow(ctx, `INSERT INTO users (username, display_name, role, password_hash)
		VALUES ($1, $2, $3, coalesce($4, ''))
		ON CONFLICT (username) DO UPDATE SET display_name = CASE WHEN $2 = '' THEN users.display_name ELSE $2 END,
		  role = $3, password_hash = coalesce($4, users.password_hash),
		  tokens_valid_after = CASE WHEN $4 IS NULL THEN users.tokens_valid_after ELSE now() END
		RETURNING id`, spec.Username, spec.DisplayName, spec.Role, hash).Scan(&id)
	if err != nil {
		return postgres.Translate(err)
	}
	// replace scopes only where they differ, so the audit log shows real changes
	if _, err := tx.Exec(ctx, "DELETE FROM user_areas WHERE user_id = $1 AND NOT area_code = ANY($2::text[])", id, nonNil(spec.Areas)); err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, "DELETE FROM user_grids WHERE user_id = $1 AND NOT grid_code = ANY($2::text[])", id, nonNil(spec.Grids)); err != nil {
		return err
	}
	for _, a := range spec.Areas {
		if _, err := tx.Exec(ctx, "INSERT INTO user_areas (user_id, area_code) VALUES ($1, $2) ON CONFLICT DO NOTHING", id, a); err != nil {
			return scopeError("areas", "area", a, err)
		}
	}
	for _, g := range spec.Grids {
		if _, err := tx.Exec(ctx, "INSERT INTO user_grids (user_id, grid_code) VALUES ($1, $2) ON CONFLICT DO NOTHING", id, g); err != nil {
			return scopeError("grids", "grid", g, err)
		}
	}
	var pwSet bool
	if err := tx.QueryRow(ctx, "SELECT password_hash <> '' FROM users WHERE id = $1", id).Scan(&pwSet); err != nil {
		return err
	}
	if !pwSet {
		return riskmap.Errorf(riskmap.EUNPROCESSABLE, "a new user needs a password")
	}
	return nil
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func checkSpec(spec UserSpec) error {
	for _, f := range []struct {
		name, value string
	}{{"username", spec.Username}, {"display_name", spec.DisplayName}} {
		if d := riskmap.CheckLength(f.name, f.value, riskmap.MaxNameText); d != nil {
			return riskmap.Errorf(riskmap.EUNPROCESSABLE, "%s: %s", d.Field, d.Message).WithDetails(*d)
		}
	}
	if strings.TrimSpace(spec.Username) == "" {
		return riskmap.Errorf(riskmap.EUNPROCESSABLE, "username: required").WithDetails(riskmap.Detail{Field: "username", Message: "required"})
	}
	known := false
	for _, r := range riskmap.Roles() {
		known = known || r == spec.Role
	}
	switch {
	case !known:
		return riskmap.Errorf(riskmap.EUNPROCESSABLE, "role %q: want one of %s", spec.Role, strings.Join(riskmap.Roles(), ", "))
	case spec.Role == riskmap.RoleWorker && (len(spec.Grids) == 0 || len(spec.Areas) > 0):
		return riskmap.Errorf(riskmap.EUNPROCESSABLE, "a worker is scoped to grids (--grid), not areas")
	case spec.Role != riskmap.RoleWorker && len(spec.Grids) > 0:
		return riskmap.Errorf(riskmap.EUNPROCESSABLE, "only workers are scoped to grids")
	case spec.Role != riskmap.RoleWorker && spec.Role != riskmap.RoleAdmin && len(spec.Areas) == 0:
		return riskmap.Errorf(riskmap.EUNPROCESSABLE, "role %s needs at least one area (--area CODE)", spec.Role)
	}
	return nil
}

// scopeError names a scope code that does not exist.
func scopeError(field, what, code string, err error) error {
	var pe *pgconn.PgError
	if errors.As(err, &pe) && pe.Code == "23503" {
		return riskmap.Errorf(riskmap.EUNPROCESSABLE, "%s %s does not exist", what, code).
			WithDetails(riskmap.Detail{Field: field, Value: code, Message: "no such " + what})
	}
	return fmt.Errorf("%s %s: %w", what, code, postgres.Translate(err))
}
