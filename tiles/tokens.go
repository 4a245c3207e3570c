package tiles

import (
	"crypto/sha256"
	"sync"
	"time"

	"riskmap"
)

// Tokens remembers the users that bearer tokens resolved to, so a map
// drawing hundreds of tiles costs one database round trip for its token,
// not one per tile. Any change to sessions, users or their scopes (logout,
// password change, disabled user, new scope) flushes it on every replica
// through NOTIFY riskmap_auth (migrations/100_tiles.sql); while change
// notifications may be missed (the listener is reconnecting) it remembers
// nothing. An entry lives at most TTL, and never past its token's expiry.
type Tokens struct {
	mu    sync.Mutex
	ttl   time.Duration
	max   int
	live  bool
	gen   uint64 // bumped by every flush
	users map[[32]byte]tokenEntry
	now   func() time.Time
}

type tokenEntry struct {
	user    *riskmap.User
	expires time.Time
}

func newTokens(ttl time.Duration, max int) *Tokens {
	return &Tokens{ttl: ttl, max: max, users: map[[32]byte]tokenEntry{}, now: time.Now}
}

// Get returns the user a token resolved to, if remembered.
func (t *Tokens) Get(token string) (*riskmap.User, bool) {
	if t == nil || t.ttl <= 0 {
		return nil, false
	}
	k := sha256.Sum256([]byte(token))
	t.mu.Lock()
	defer t.mu.Unlock()
	e, ok := t.users[k]
	if !ok || !t.live {
		return nil, false
	}
	if t.now().After(e.expires) {
		delete(t.users, k)
		return nil, false
	}
	return e.user, true
}

// Begin returns the generation to quote to Put: take it before resolving a
// token, so a logout committed while the token was being resolved is not
// undone by remembering the answer read before it.
func (t *Tokens) Begin() uint64 {
	if t == nil {
		return 0
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.gen
}

// Put remembers that token resolved to u, unless the cache was flushed
// since gen. The entry never outlives the token itself (until).
func (t *Tokens) Put(token string, u *riskmap.User, gen uint64, until time.Time) {
	if t == nil || t.ttl <= 0 {
		return
	}
	k := sha256.Sum256([]byte(token))
	t.mu.Lock()
	defer t.mu.Unlock()
	if !t.live || gen != t.gen {
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
func (t *Tokens) flush(live bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.users = map[[32]byte]tokenEntry{}
	t.live = live
	t.gen++
}
