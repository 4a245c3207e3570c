package main

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"riskmap/auth"
	"riskmap/internal/dbtest"
	"riskmap/postgres"
)

func TestUserAddCreatesThenUpdatesAnAccount(t *testing.T) {
	url := dbtest.Clone(t, dbtest.Demo)
	t.Setenv("DATABASE_URL", url)
	ctx := context.Background()
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	add := func(pw string, args ...string) error {
		return runUser(ctx, logger, append([]string{"add"}, args...), strings.NewReader(pw+"\n"))
	}
	if err := add("first-password", "--username", "duty", "--role", "township", "--area", "441502001000", "--password-stdin"); err != nil {
		t.Fatalf("create: %v", err)
	}
	if err := add("second-password", "--username", "duty", "--role", "county", "--area", "441502000000", "--password-stdin"); err != nil {
		t.Fatalf("update: %v", err)
	}
	pool, err := postgres.Open(ctx, url, 2)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	svc := auth.NewService(pool, time.Hour, auth.NewLimiter(5, time.Minute))
	if _, _, _, err := svc.Login(ctx, "duty", "first-password", "127.0.0.1"); err == nil {
		t.Error("the old password still works")
	}
	_, _, u, err := svc.Login(ctx, "duty", "second-password", "127.0.0.1")
	if err != nil || u.Role != "county" || len(u.Areas) != 1 || u.Areas[0] != "441502000000" {
		t.Fatalf("login after update: %+v %v", u, err)
	}
	for _, bad := range [][]string{
		{"--username", "w", "--role", "worker", "--area", "441502000000", "--password-stdin"},
		{"--username", "x", "--role", "township", "--password-stdin"},
		{"--username", "y", "--role", "mayor", "--area", "441502000000", "--password-stdin"},
		{"--username", "z", "--role", "township", "--area", "441599999000", "--password-stdin"},
	} {
		if err := add("some-password", bad...); err == nil {
			t.Errorf("%v: accepted", bad)
		}
	}
}
