package auth_test

import (
	"context"
	"testing"

	"riskmap"
	"riskmap/auth"
	"riskmap/internal/dbtest"
)

// TestAccessTokensGoThroughTheCacheAndEndWithANewPassword resolves a
// personal access token through AuthenticateCached, as the tiles do: it
// carries the user's write position like a session (reads on a standby
// wait for it), and a password change or an admin's reset refuses it at
// once, remembered or not (security's review, board 07:02).
func TestAccessTokensGoThroughTheCacheAndEndWithANewPassword(t *testing.T) {
	pool := dbtest.New(t, dbtest.Empty)
	s := listening(t, pool)
	ctx := context.Background()
	for _, how := range []string{"change", "reset"} {
		u, err := s.SaveUser(ctx, auth.UserSpec{Username: "gis-" + how, Role: riskmap.RoleAdmin, Password: "old-pass-1"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := pool.Exec(ctx, `INSERT INTO user_write_positions (user_id, lsn) VALUES ($1, '0/0'::pg_lsn + 123456789)
			ON CONFLICT (user_id) DO UPDATE SET lsn = excluded.lsn`, u.ID); err != nil {
			t.Fatal(err)
		}
		_, secret, err := s.CreateAccessToken(ctx, u, auth.NewAccessToken{Name: "QGIS"})
		if err != nil {
			t.Fatal(err)
		}
		got, err := s.AuthenticateCached(ctx, secret)
		if err != nil {
			t.Fatal(err)
		}
		if got.ID != u.ID || got.AccessToken == 0 || got.Wrote != 123456789 {
			t.Errorf("%s: the token resolves to user %d, token %d, write position %d; want %d, a token, 123456789",
				how, got.ID, got.AccessToken, got.Wrote, u.ID)
		}
		if _, err := s.AuthenticateCached(ctx, secret); err != nil { // remembered now
			t.Fatal(err)
		}
		if how == "change" {
			err = s.ChangePassword(ctx, u.ID, "old-pass-1", "new-pass-22", "127.0.0.1")
		} else {
			p := "reset-pass-3"
			_, err = s.UpdateUser(ctx, u.ID, auth.AccountChange{Password: &p})
		}
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Sync(ctx); err != nil {
			t.Fatal(err)
		}
		if _, err := s.AuthenticateCached(ctx, secret); riskmap.ErrorCode(err) != riskmap.EUNAUTHORIZED {
			t.Errorf("password %s: the access token still works (%v)", how, err)
		}
		list, err := s.AccessTokens(ctx, u)
		if err != nil || len(list) != 1 || list[0].RevokedAt == nil {
			t.Errorf("password %s: the token is not listed as revoked: %v %+v", how, err, list)
		}
	}
}
