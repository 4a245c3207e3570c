package auth

import (
	"context"
	"crypto/sha256"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgxlisten"

	"riskmap"
)

// AuthChannel is where migrations/100_tiles.sql's triggers announce a change
// to sessions, users or their scopes: anything that can make a resolved
// token resolve otherwise (logout, password change, disabled user, new
// scope). New sessions need no message.
const AuthChannel = "riskmap_auth"

// syncPrefix marks Sync's barrier among the channel's notifications.
const syncPrefix = "sync:"

// tokens remembers the users that bearer tokens resolved to, so that a map
// drawing hundreds of tiles costs one database round trip for its token,
// not one per tile. Any change announced on AuthChannel forgets every
// entry, on every replica (Listen); while those announcements may be missed
// (before Listen, or while it reconnects) it remembers nothing. An entry
// lives at most ttl, and never past its token's expiry.
type tokens struct {
	mu    sync.Mutex
	ttl   time.Duration
	max   int
	live  bool
	gen   atomic.Uint64 // bumped by every flush, under mu; read without it by Memo
	users map[[32]byte]tokenEntry
	now   func() time.Time
}

type tokenEntry struct {
	user    *riskmap.User
	expires time.Time
}

// tokenTTL and maxTokens bound the cache: an entry half a minute, ten
// thousand live tokens (more: it starts afresh).
const (
	tokenTTL  = 30 * time.Second
	maxTokens = 10000
)

func newTokens(ttl time.Duration, max int) *tokens {
	return &tokens{ttl: ttl, max: max, users: map[[32]byte]tokenEntry{}, now: time.Now}
}

// key is the token's SHA-256: the cache holds no token itself. The hash
// reads the string's bytes in place (sha256 keeps nothing of its input):
// copying them was an allocation on every tile.
func key(token string) [32]byte {
	return sha256.Sum256(unsafe.Slice(unsafe.StringData(token), len(token)))
}

// get returns the entry of the user a token resolved to, if remembered
// and not expired at now, with the generation it belongs to.
func (t *tokens) get(token string, now time.Time) (tokenEntry, uint64, bool) {
	k := key(token)
	t.mu.Lock()
	defer t.mu.Unlock()
	e, ok := t.users[k]
	if !ok || !t.live {
		return tokenEntry{}, 0, false
	}
	if now.After(e.expires) {
		delete(t.users, k)
		return tokenEntry{}, 0, false
	}
	return e, t.gen.Load(), true
}

// begin returns the generation to quote to put: taken before resolving a
// token, so that a logout committed while the token was being resolved is
// not undone by remembering the answer read before it.
func (t *tokens) begin() uint64 {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.gen.Load()
}

// put remembers that token resolved to u, unless the cache was flushed
// since gen. The entry never outlives the token itself (until).
func (t *tokens) put(token string, u *riskmap.User, gen uint64, until time.Time) {
	k := key(token)
	t.mu.Lock()
	defer t.mu.Unlock()
	if !t.live || gen != t.gen.Load() {
		return
	}
	if len(t.users) >= t.max {
		// rare (more live tokens than max): start afresh rather than track age
		t.users = map[[32]byte]tokenEntry{}
	}
	exp := t.now().Add(t.ttl)
	if until.Before(exp) {
		exp = until
	}
	t.users[k] = tokenEntry{user: u, expires: exp}
}

// flush forgets every token; live says whether to remember new ones.
func (t *tokens) flush(live bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.users = map[[32]byte]tokenEntry{}
	t.live = live
	t.gen.Add(1)
}

func (t *tokens) isLive() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.live
}

// Remembered returns the user token resolved to if AuthenticateCached
// remembers it at now (the caller's clock reading, taken once a request):
// the common case, which needs no context and allocates nothing. Not
// remembered says nothing of the token: ask AuthenticateCached.
func (s *Service) Remembered(token string, now time.Time) (*riskmap.User, bool) {
	e, _, ok := s.tokens.get(token, now)
	return e.user, ok
}

// Memo remembers the last token resolved on one client connection: a map
// asks for its tiles by the hundred over a few kept-alive connections,
// each with the same token, and the next request with that token on the
// connection is then answered without hashing it or taking the cache's
// lock. A memo answers only what AuthenticateCached would: it holds while
// the cache has not been flushed since (any change to sessions, users or
// scopes flushes it on every replica, and Sync waits for that before a
// write is answered) and not past its entry's expiry; the cache starting
// afresh for room (over maxTokens) changes no token, and ends no memo. It
// compares the whole token, so a connection that carries several users'
// tokens (a proxy's) only misses more often. It holds the token itself, as
// the connection's requests do, for as long as the connection lives.
type Memo struct{ last atomic.Pointer[memo] }

type memo struct {
	token string
	entry tokenEntry
	gen   uint64
}

// RememberedOn is Remembered for a request on the connection of m (nil:
// none), checked at now.
func (s *Service) RememberedOn(m *Memo, token string, now time.Time) (*riskmap.User, bool) {
	if m == nil {
		return s.Remembered(token, now)
	}
	if last := m.last.Load(); last != nil && last.token == token && last.gen == s.tokens.gen.Load() && !now.After(last.entry.expires) {
		return last.entry.user, true
	}
	e, gen, ok := s.tokens.get(token, now)
	if ok {
		m.last.Store(&memo{token: token, entry: e, gen: gen})
	}
	return e.user, ok
}

// AuthenticateCached is Authenticate with the answer remembered for a
// while: for the requests a map makes by the hundred (tiles). It only
// remembers while Listen follows the changes that make an answer stale; ctx
// is used only when the token has to be looked up.
func (s *Service) AuthenticateCached(ctx context.Context, token string) (*riskmap.User, error) {
	if u, ok := s.Remembered(token, s.tokens.now()); ok {
		return u, nil
	}
	gen := s.tokens.begin()
	u, until, err := s.AuthenticateUntil(ctx, token)
	if err != nil {
		return nil, err
	}
	s.tokens.put(token, u, gen, until)
	return u, nil
}

// Listen follows AuthChannel until ctx ends, reconnecting when the
// connection drops; connect opens a dedicated connection (it stays in
// LISTEN). Until the LISTEN is in place, and whenever the connection is
// lost, AuthenticateCached remembers nothing.
func (s *Service) Listen(ctx context.Context, connect func(context.Context) (*pgx.Conn, error), logger *slog.Logger) error {
	if logger == nil {
		logger = slog.Default()
	}
	l := &pgxlisten.Listener{
		Connect: func(ctx context.Context) (*pgx.Conn, error) {
			s.tokens.flush(false)
			return connect(ctx)
		},
		LogError: func(ctx context.Context, err error) {
			s.tokens.flush(false)
			if ctx.Err() == nil {
				logger.Warn("auth: change notifications interrupted; tokens are looked up every time until they resume", "err", err)
			}
		},
		ReconnectDelay: time.Second,
	}
	l.Handle(AuthChannel, authNotices{s})
	defer s.tokens.flush(false)
	err := l.Listen(ctx)
	if ctx.Err() != nil {
		return nil
	}
	return err
}

type authNotices struct{ s *Service }

func (n authNotices) HandleNotification(_ context.Context, msg *pgconn.Notification, _ *pgx.Conn) error {
	if nonce, ok := strings.CutPrefix(msg.Payload, syncPrefix); ok {
		n.s.barriers.Release(nonce)
		return nil
	}
	n.s.tokens.flush(true)
	return nil
}

// HandleBacklog runs once the channel is listened to on a new connection:
// from now on no change is missed, so the cache may remember again.
func (n authNotices) HandleBacklog(context.Context, string, *pgx.Conn) error {
	n.s.tokens.flush(true)
	return nil
}

// syncTimeout bounds how long Sync waits for its barrier.
const syncTimeout = 5 * time.Second

// Sync returns once every account change committed before it was called
// has reached this replica's token cache. The API calls it after each
// successful write (a logout, say), before answering, so that a request
// made after the answer is judged on the change. If the barrier does not
// come back in time the cache is flushed instead.
func (s *Service) Sync(ctx context.Context) error {
	if !s.tokens.isLive() {
		return nil // nothing remembered anyway
	}
	back, err := s.barriers.Wait(ctx, s.pool, AuthChannel, func(nonce string) string { return syncPrefix + nonce }, syncTimeout)
	if back {
		return nil
	}
	s.tokens.flush(s.tokens.isLive())
	if err != nil {
		return fmt.Errorf("auth: sync: %w", err)
	}
	return nil
}
