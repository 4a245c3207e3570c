package postgres_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"riskmap/internal/dbtest"
	"riskmap/postgres"
)

func TestBarrierReturnsOnceTheListenerSawEverythingBefore(t *testing.T) {
	pool := dbtest.New(t, dbtest.Empty)
	ctx := context.Background()
	conn, err := pgx.ConnectConfig(ctx, pool.Config().ConnConfig.Copy())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "LISTEN barrier_test"); err != nil {
		t.Fatal(err)
	}
	b := postgres.NewBarriers()
	// the listener: records what it sees and hands markers back
	seen := make(chan []string, 1)
	listenCtx, stop := context.WithCancel(ctx)
	go func() {
		var got []string
		for {
			n, err := conn.WaitForNotification(listenCtx)
			if err != nil {
				seen <- got
				return
			}
			if nonce, ok := strings.CutPrefix(n.Payload, "mark:"); ok {
				got = append(got, "mark")
				b.Release(nonce)
				continue
			}
			got = append(got, n.Payload)
		}
	}()
	// a change committed before the barrier is seen before it returns
	if _, err := pool.Exec(ctx, "SELECT pg_notify('barrier_test', 'change')"); err != nil {
		t.Fatal(err)
	}
	back, err := b.Wait(ctx, pool, "barrier_test", func(n string) string { return "mark:" + n }, 5*time.Second)
	if err != nil || !back {
		t.Fatalf("wait: %v, came back %v", err, back)
	}
	stop()
	if got := <-seen; len(got) != 2 || got[0] != "change" || got[1] != "mark" {
		t.Errorf("listener saw %v, want the change, then the marker", got)
	}
	// nobody listening: it gives up after the timeout, saying so
	start := time.Now()
	back, err = b.Wait(ctx, pool, "barrier_test", func(n string) string { return "mark:" + n }, 200*time.Millisecond)
	if err != nil || back || time.Since(start) < 200*time.Millisecond {
		t.Errorf("without a listener: %v, came back %v after %v", err, back, time.Since(start))
	}
}
