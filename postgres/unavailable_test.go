package postgres

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"riskmap"
)

func TestUnavailableTellsTheDatabaseBeingAwayFromOtherErrors(t *testing.T) {
	// a port nothing listens on: the connect fails at once
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().(*net.TCPAddr)
	l.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, connectErr := pgconn.Connect(ctx, fmt.Sprintf("host=127.0.0.1 port=%d user=x dbname=x sslmode=disable", addr.Port))
	if connectErr == nil {
		t.Fatal("connected to a closed port")
	}
	for _, tc := range []struct {
		name string
		err  error
		want bool
	}{
		{"connection refused", fmt.Errorf("authenticate: %w", connectErr), true},
		{"server shutting down (57P01)", &pgconn.PgError{Code: "57P01"}, true},
		{"server starting up (57P03)", fmt.Errorf("q: %w", &pgconn.PgError{Code: "57P03"}), true},
		{"connection failure (08006)", &pgconn.PgError{Code: "08006"}, true},
		{"too many connections (53300)", &pgconn.PgError{Code: "53300"}, true},
		{"connection dropped under a query", fmt.Errorf("list: %w", io.ErrUnexpectedEOF), true},
		{"connection already closed", fmt.Errorf("x: %w", pgconn.ErrConnClosed), true},
		{"socket reset", &net.OpError{Op: "read", Net: "tcp", Err: errors.New("connection reset by peer")}, true},
		{"unique violation", &pgconn.PgError{Code: "23505"}, false},
		{"trigger refusal", &pgconn.PgError{Code: "RM001"}, false},
		{"client went away", fmt.Errorf("q: %w", context.Canceled), false},
		{"a plain bug", errors.New("nil map"), false},
		{"nil", nil, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := Unavailable(tc.err); got != tc.want {
				t.Errorf("Unavailable(%v) = %v, want %v", tc.err, got, tc.want)
			}
			if tc.want && riskmap.ErrorCode(Translate(tc.err)) != riskmap.EUNAVAILABLE {
				t.Errorf("Translate(%v) = %v, want code %s", tc.err, Translate(tc.err), riskmap.EUNAVAILABLE)
			}
		})
	}
}
