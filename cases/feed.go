package cases

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgxlisten"

	"riskmap"
)

// Channel is the PostgreSQL NOTIFY channel the live feed's events are
// announced on, at commit, numbered in commit order and stored for replay
// (riskmap_feed_publish, migration 590): case changes, and notifications
// and inbox changes for one user.
const Channel = "riskmap_cases"

// Kinds of feed events besides case changes; each is for one user only.
const (
	KindCase         = "case"
	KindNotification = "notification" // a new notification in the user's inbox
	KindInbox        = "inbox"        // the user read notifications: the unread count
	// KindFeature: a statement changed a feature layer (migration 574);
	// for the users whose scope holds one of its Places (or all users).
	KindFeature = "feature"
)

// authChannel is where account and session changes are announced
// (migrations/100_tiles.sql): a logout, a disabled user, a new password,
// role or scope. Subscribers then check their token again.
const authChannel = "riskmap_auth"

// Change is one announced event of the live feed. Seq is its number (the
// SSE id: numbers follow commit order, 0 when unknown). A case change
// (Kind "" or "case") is described by the fields below; any other kind is
// for the user UserID alone and carries its payload in Data.
type Change struct {
	Seq    int64           `json:"-"`
	Kind   string          `json:"-"`
	UserID *int64          `json:"-"`
	Data   json.RawMessage `json:"-"`
	// Places and All say whom a feature change concerns: grid or area
	// codes, or everyone.
	Places []string `json:"-"`
	All    bool     `json:"-"`

	ID               string    `json:"id"`
	State            string    `json:"state"`
	Version          int       `json:"version"`
	Action           *string   `json:"action"`
	GridCode         string    `json:"grid_code"`
	TownshipCode     string    `json:"township_code"`
	CountyCode       string    `json:"county_code"`
	Assignee         *int64    `json:"assignee"`
	PreviousGridCode *string   `json:"previous_grid_code,omitempty"`
	PreviousAssignee *int64    `json:"previous_assignee,omitempty"`
	At               time.Time `json:"at"`
}

// Event is the SSE event name of the change.
func (c Change) Event() string {
	if c.Kind == "" {
		return KindCase
	}
	return c.Kind
}

// Payload is the SSE data of the change.
func (c Change) Payload() []byte {
	if c.Event() != KindCase {
		return c.Data
	}
	b, _ := json.Marshal(c)
	return b
}

// VisibleTo reports whether u may see the change: the case lies (or lay,
// before a move) in the user's scope, or is (or was) assigned to the user;
// an event for one user only to that user.
func (c Change) VisibleTo(u *riskmap.User) bool {
	if c.Event() == KindFeature {
		s := u.Scope()
		return c.All || slices.ContainsFunc(c.Places, func(code string) bool {
			if len(code) == 15 {
				return s.Contains(code)
			}
			return s.Overlaps(code)
		})
	}
	if c.Event() != KindCase {
		return c.UserID != nil && *c.UserID == u.ID
	}
	s := u.Scope()
	if s.Contains(c.GridCode) || (c.PreviousGridCode != nil && s.Contains(*c.PreviousGridCode)) {
		return true
	}
	return (c.Assignee != nil && *c.Assignee == u.ID) || (c.PreviousAssignee != nil && *c.PreviousAssignee == u.ID)
}

// Feed fans the database's case notifications out to subscribers in this
// process. Every replica runs its own Feed on its own LISTEN connection, so
// a change made through any replica reaches the subscribers of all.
type Feed struct {
	connect func(ctx context.Context) (*pgx.Conn, error)
	pool    *pgxpool.Pool
	logger  *slog.Logger

	mu        sync.Mutex
	subs      map[*Subscription]struct{}
	lastSeq   int64  // the last numbered event published
	timeline  string // the primary's WAL timeline when it last listened
	listening bool
	heard     int
	stopped   bool
	ready     chan struct{}
	readyOnce sync.Once
}

// Subscription receives the changes a user may see. Resync is signalled
// when notifications may have been missed (the listening connection was
// re-established); Lost is closed when the subscriber fell too far behind
// and was dropped. Either way the client should reload. Recheck is
// signalled when an account or session changed anywhere (or may have,
// unheard): the subscriber's token must be checked again, and the stream
// ended if it no longer holds.
type Subscription struct {
	C       <-chan Change
	Resync  <-chan struct{}
	Lost    <-chan struct{}
	Recheck <-chan struct{}
	user    *riskmap.User
	c       chan Change
	resync  chan struct{}
	lost    chan struct{}
	recheck chan struct{}
}

// subscriberBuffer is how many changes a subscriber may lag behind.
const subscriberBuffer = 256

// NewFeed returns a feed listening through its own connection to the
// pool's database; logger may be nil.
func NewFeed(pool *pgxpool.Pool, logger *slog.Logger) *Feed {
	if logger == nil {
		logger = slog.Default()
	}
	cfg := pool.Config().ConnConfig
	return &Feed{
		connect: func(ctx context.Context) (*pgx.Conn, error) { return pgx.ConnectConfig(ctx, cfg.Copy()) },
		pool:    pool,
		logger:  logger,
		subs:    map[*Subscription]struct{}{},
		ready:   make(chan struct{}),
	}
}

// Ready is closed once the feed listens.
func (f *Feed) Ready() <-chan struct{} { return f.ready }

// Run listens until ctx ends, reconnecting after connection loss.
func (f *Feed) Run(ctx context.Context) error {
	l := &pgxlisten.Listener{
		Connect: func(ctx context.Context) (*pgx.Conn, error) {
			f.mu.Lock()
			f.heard = 0 // channels listened to on the new connection
			f.mu.Unlock()
			return f.connect(ctx)
		},
		ReconnectDelay: 2 * time.Second,
		LogError: func(ctx context.Context, err error) {
			if ctx.Err() == nil {
				f.logger.Warn("case feed", "err", err)
			}
		},
	}
	l.Handle(Channel, f)
	l.Handle(authChannel, authHandler{f})
	err := l.Listen(ctx)
	f.closeAll()
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return nil
	}
	return err
}

// HandleBacklog runs each time the listener (re)connects, after LISTEN,
// once per channel: once both are listened to, the first time the feed
// becomes ready; afterwards the events committed while it was not
// listening are published from the stored feed, or, when they cannot all
// be read or the server is another history (a standby promoted: a new WAL
// timeline), subscribers are told to resynchronise.
func (f *Feed) HandleBacklog(ctx context.Context, channel string, conn *pgx.Conn) error {
	f.mu.Lock()
	if f.heard++; f.heard < 2 {
		f.mu.Unlock()
		return nil
	}
	again := f.listening
	f.listening = true
	last := f.lastSeq
	before := f.timeline
	f.mu.Unlock()
	timeline, err := walTimeline(ctx, conn)
	if err != nil {
		f.logger.Warn("case feed: the server's timeline", "err", err)
	}
	f.mu.Lock()
	f.timeline = timeline
	f.mu.Unlock()
	if again && (err != nil || timeline != before) {
		// a standby was promoted (a new timeline): events delivered
		// from the old primary may never have reached it, and its store
		// is another history (whose numbers may repeat those lost): the
		// numbering starts again from its store, and subscribers reload
		var top int64
		if err := conn.QueryRow(ctx, "SELECT coalesce(max(id), 0) FROM feed_events").Scan(&top); err != nil {
			f.logger.Warn("case feed: the new server's last event", "err", err)
		}
		f.mu.Lock()
		f.lastSeq = top
		f.mu.Unlock()
		f.resyncAll()
	} else if again {
		// the events committed while the feed was not listening, from the
		// store (those heard now too are published once, by number)
		missed, ok, err := readStored(ctx, conn, last, maxBacklog)
		if err != nil {
			f.logger.Warn("case feed: read the events missed while reconnecting", "err", err)
		}
		if ok && err == nil {
			for _, c := range missed {
				f.Publish(c)
			}
		} else {
			f.resyncAll()
		}
	}
	f.readyOnce.Do(func() { close(f.ready) })
	return nil
}

// resyncAll tells every subscriber to reload.
func (f *Feed) resyncAll() {
	f.mu.Lock()
	defer f.mu.Unlock()
	for s := range f.subs {
		select {
		case s.resync <- struct{}{}:
		default:
		}
	}
}

// walTimeline is the server's WAL timeline (the first 8 hex digits of its
// current WAL file's name), which a promotion moves on: the same timeline
// after a reconnect is the same history, replayable from the store.
func walTimeline(ctx context.Context, conn *pgx.Conn) (string, error) {
	var name string
	if err := conn.QueryRow(ctx, "SELECT pg_walfile_name(pg_current_wal_lsn())").Scan(&name); err != nil {
		return "", fmt.Errorf("wal timeline: %w", err)
	}
	return name[:min(8, len(name))], nil
}

// maxBacklog is the most events a reconnecting feed publishes from the
// store; beyond that its subscribers reload instead.
const maxBacklog = 5000

// HandleNotification passes a change to the subscribers who may see it.
func (f *Feed) HandleNotification(ctx context.Context, n *pgconn.Notification, conn *pgx.Conn) error {
	c, err := ParseChange([]byte(n.Payload))
	if err != nil {
		return err
	}
	f.Publish(c)
	return nil
}

// ParseChange reads an event as NOTIFY carries it (and feed_events stores
// it, with seq and kind added).
func ParseChange(payload []byte) (Change, error) {
	var head struct {
		Seq    int64           `json:"seq"`
		Kind   string          `json:"kind"`
		UserID *int64          `json:"user_id"`
		Data   json.RawMessage `json:"data"`
		Places []string        `json:"places"`
		All    bool            `json:"all"`
	}
	if err := json.Unmarshal(payload, &head); err != nil {
		return Change{}, fmt.Errorf("feed event: %w", err)
	}
	var c Change
	if head.Kind == "" || head.Kind == KindCase {
		if err := json.Unmarshal(payload, &c); err != nil {
			return Change{}, fmt.Errorf("feed event: %w", err)
		}
	}
	c.Seq, c.Kind, c.UserID, c.Data = head.Seq, head.Kind, head.UserID, head.Data
	c.Places, c.All = head.Places, head.All
	return c, nil
}

// authHandler hears account and session changes: every subscriber checks
// its token again, and so after a reconnect, when changes went unheard.
type authHandler struct{ f *Feed }

func (h authHandler) HandleNotification(context.Context, *pgconn.Notification, *pgx.Conn) error {
	h.f.RecheckAll()
	return nil
}

func (h authHandler) HandleBacklog(ctx context.Context, channel string, conn *pgx.Conn) error {
	h.f.RecheckAll()
	return h.f.HandleBacklog(ctx, channel, conn)
}

// RecheckAll asks every subscriber to check its token again.
func (f *Feed) RecheckAll() {
	f.mu.Lock()
	defer f.mu.Unlock()
	for s := range f.subs {
		select {
		case s.recheck <- struct{}{}:
		default:
		}
	}
}

// SetUser replaces the user a subscription filters changes for (after its
// token was checked again).
func (f *Feed) SetUser(s *Subscription, u *riskmap.User) {
	f.mu.Lock()
	s.user = u
	f.mu.Unlock()
}

// Publish hands a change to the subscribers who may see it; one too far
// behind is dropped rather than allowed to hold up the others. A numbered
// event already published (heard again after a reconnection) is not.
func (f *Feed) Publish(c Change) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if c.Seq != 0 {
		if c.Seq <= f.lastSeq {
			return
		}
		f.lastSeq = c.Seq
	}
	for s := range f.subs {
		if !c.VisibleTo(s.user) {
			continue
		}
		select {
		case s.c <- c:
		default:
			delete(f.subs, s)
			close(s.lost)
		}
	}
}

// Subscribe starts delivering the changes u may see. Once the feed has
// stopped, the subscription comes back already lost.
func (f *Feed) Subscribe(u *riskmap.User) *Subscription {
	s := &Subscription{user: u, c: make(chan Change, subscriberBuffer), resync: make(chan struct{}, 1), lost: make(chan struct{}),
		recheck: make(chan struct{}, 1)}
	s.C, s.Resync, s.Lost, s.Recheck = s.c, s.resync, s.lost, s.recheck
	f.mu.Lock()
	if f.stopped {
		close(s.lost)
	} else {
		f.subs[s] = struct{}{}
	}
	f.mu.Unlock()
	return s
}

// closeAll ends every subscription when the feed stops (server shutdown),
// so open streams finish instead of holding the shutdown up.
func (f *Feed) closeAll() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.stopped = true
	for s := range f.subs {
		delete(f.subs, s)
		close(s.lost)
	}
}

// Unsubscribe stops delivery.
func (f *Feed) Unsubscribe(s *Subscription) {
	f.mu.Lock()
	delete(f.subs, s)
	f.mu.Unlock()
}

// Subscribers counts the current subscribers.
func (f *Feed) Subscribers() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.subs)
}
