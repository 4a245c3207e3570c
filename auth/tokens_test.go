package auth_test

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"riskmap"
	"riskmap/auth"
	"riskmap/internal/dbtest"
)

// listening returns a service whose token cache follows account changes
// until the test ends.
func listening(t *testing.T, pool *pgxpool.Pool) *auth.Service {
	t.Helper()
	s := auth.NewService(pool, time.Hour, auth.NewLimiter(50, time.Minute))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	cfg := pool.Config().ConnConfig
	go func() {
		defer close(done)
		_ = s.Listen(ctx, func(ctx context.Context) (*pgx.Conn, error) { return pgx.ConnectConfig(ctx, cfg.Copy()) },
			slog.New(slog.NewTextHandler(io.Discard, nil)))
	}()
	t.Cleanup(func() { cancel(); <-done })
	// live once a Sync's barrier comes back through the listener
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the token listener did not start")
		}
		if remembers(t, s, pool) {
			return s
		}
	}
}

// remembers logs a probe user in and tells whether AuthenticateCached
// answers for its token after the session is revoked behind the
// notifications' back (triggers off for that one statement).
func remembers(t *testing.T, s *auth.Service, pool *pgxpool.Pool) bool {
	t.Helper()
	ctx := context.Background()
	if _, err := s.SaveUser(ctx, auth.UserSpec{Username: "probe", Role: riskmap.RoleAdmin, Password: "probe-pass-1"}); err != nil {
		t.Fatal(err)
	}
	tok, _, _, err := s.Login(ctx, "probe", "probe-pass-1", "127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.AuthenticateCached(ctx, tok); err != nil {
		t.Fatal(err)
	}
	revokeQuietly(t, pool, tok)
	_, err = s.AuthenticateCached(ctx, tok)
	return err == nil
}

// revokeQuietly revokes every session without the change notification.
func revokeQuietly(t *testing.T, pool *pgxpool.Pool, tok string) {
	t.Helper()
	err := pgx.BeginFunc(context.Background(), pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(context.Background(), "SET LOCAL session_replication_role = replica"); err != nil {
			return err
		}
		_, err := tx.Exec(context.Background(), "UPDATE sessions SET revoked_at = now() WHERE revoked_at IS NULL")
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestAccountChangesFlushTheRememberedTokens(t *testing.T) {
	pool := dbtest.New(t, dbtest.Empty)
	s := listening(t, pool)
	ctx := context.Background()
	if _, err := pool.Exec(ctx, `INSERT INTO areas (code, name, level, geom)
		VALUES ('441500000000', '汕尾市', 'city', ST_Multi(ST_MakeEnvelope(115, 22.5, 117, 23.5, 4326)))`); err != nil {
		t.Fatal(err)
	}
	for _, change := range []string{
		"UPDATE users SET disabled = true WHERE username = 'u1'",
		"UPDATE sessions SET revoked_at = now() WHERE revoked_at IS NULL",
		"INSERT INTO user_areas (user_id, area_code) SELECT id, '441500000000' FROM users WHERE username = 'u1'",
		"DELETE FROM user_areas",
	} {
		if _, err := pool.Exec(ctx, "DELETE FROM user_areas; UPDATE users SET disabled = false"); err != nil {
			t.Fatal(err)
		}
		if _, err := s.SaveUser(ctx, auth.UserSpec{Username: "u1", Role: riskmap.RoleAdmin, Password: "u1-pass-1"}); err != nil {
			t.Fatal(err)
		}
		tok, _, _, err := s.Login(ctx, "u1", "u1-pass-1", "127.0.0.1")
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Sync(ctx); err != nil {
			t.Fatal(err)
		}
		if _, err := s.AuthenticateCached(ctx, tok); err != nil {
			t.Fatalf("%s: the token before the change: %v", change, err)
		}
		if _, err := pool.Exec(ctx, change); err != nil {
			t.Fatal(err)
		}
		// the remembered answer stands until the change is seen...
		if err := s.Sync(ctx); err != nil {
			t.Fatal(err)
		}
		// ...then the token is looked up again: refused where the change
		// refuses it, else answered with the user as they now stand
		u, err := s.AuthenticateCached(ctx, tok)
		want, wantErr := s.Authenticate(ctx, tok)
		if (err == nil) != (wantErr == nil) || (err == nil && len(u.Areas) != len(want.Areas)) {
			t.Errorf("%s: remembered %v (%v), the database says %v (%v)", change, u, err, want, wantErr)
		}
	}
}

func TestTokensAreRememberedOnlyWhileListening(t *testing.T) {
	pool := dbtest.New(t, dbtest.Empty)
	s := auth.NewService(pool, time.Hour, auth.NewLimiter(50, time.Minute))
	if remembers(t, s, pool) {
		t.Fatal("a token was remembered with nobody following account changes")
	}
	listening(t, pool) // fails unless tokens are remembered once listening
}
