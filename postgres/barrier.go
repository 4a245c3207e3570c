package postgres

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
)

// Barriers let a replica wait until its LISTEN connection has seen every
// notification committed before a moment: Wait sends a marker on the
// channel and returns when the listener hands it back to Release.
// Notifications are delivered in commit order, so by then every change
// committed before the marker has been seen. The caches that follow
// change notifications use it to answer a write only once a read after
// the answer will see the write.
type Barriers struct {
	mu      sync.Mutex
	waiting map[string]chan struct{}
}

// NewBarriers returns an empty set of barriers.
func NewBarriers() *Barriers { return &Barriers{waiting: map[string]chan struct{}{}} }

// Execer runs a statement (a pool or a connection).
type Execer interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
}

// Wait notifies channel with payload(nonce) and waits up to timeout for
// Release(nonce). It reports whether the marker came back; an error means
// it could not be sent.
func (b *Barriers) Wait(ctx context.Context, db Execer, channel string, payload func(nonce string) string, timeout time.Duration) (bool, error) {
	buf := make([]byte, 12)
	_, _ = rand.Read(buf)
	nonce := hex.EncodeToString(buf)
	ch := make(chan struct{})
	b.mu.Lock()
	b.waiting[nonce] = ch
	b.mu.Unlock()
	defer func() {
		b.mu.Lock()
		delete(b.waiting, nonce)
		b.mu.Unlock()
	}()
	if _, err := db.Exec(ctx, "SELECT pg_notify($1, $2)", channel, payload(nonce)); err != nil {
		return false, fmt.Errorf("barrier on %s: %w", channel, err)
	}
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case <-ch:
		return true, nil
	case <-t.C:
	case <-ctx.Done():
	}
	return false, nil
}

// Release wakes the Wait whose marker carried nonce, if any is waiting.
func (b *Barriers) Release(nonce string) {
	b.mu.Lock()
	ch := b.waiting[nonce]
	delete(b.waiting, nonce)
	b.mu.Unlock()
	if ch != nil {
		close(ch)
	}
}
