package patrols

import (
	"context"
	"encoding/json"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgxlisten"

	"riskmap/internal/lru"
)

// The due lists are read far more often than they change: a worker opens
// the 巡查 view and the phone asks again as the worker walks, while the
// points of a scope change only with a patrol or an edit, and their state
// only with the day. So each list (per scope, day and filters) is made once
// from the database and kept, and every kept list is dropped at any change
// to a risk point: the riskmap_tiles notification every writer's commit
// sends (a patrol sets its point's last_inspection), from this replica or
// another, QGIS or psql; this replica's own patrols drop them at once. A
// list made while a change arrived is not kept. The day is part of the key,
// so a list of yesterday is never served today. While the notifications
// cannot be heard (before Listen, or with the connection lost) nothing is
// kept.

// dueKey names a kept list.
type dueKey struct {
	scope   string // riskmap.Scope fingerprint
	today   string
	area    string
	overdue bool
	within  int
}

// dueItem is one point of a list: its Feature (without distance_m, which
// depends on where the asker stands) and its place.
type dueItem struct {
	doc      []byte
	lon, lat float64
}

// dueCache is an LRU of lists bounded by bytes.
type dueCache struct {
	mu    sync.Mutex
	live  bool
	gen   uint64
	lists *lru.Cache[dueKey, []dueItem]
}

func newDueCache(maxBytes int) *dueCache {
	return &dueCache{lists: lru.New[dueKey, []dueItem](maxBytes)}
}

// begin returns the generation a list about to be made must quote to keep it.
func (c *dueCache) begin() uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.gen
}

func (c *dueCache) get(k dueKey) ([]dueItem, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.live {
		return nil, false
	}
	return c.lists.Get(k)
}

// put keeps a list made at generation gen, unless something changed since.
func (c *dueCache) put(k dueKey, items []dueItem, gen uint64) {
	size := 256
	for _, it := range items {
		size += len(it.doc) + 32
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.live && gen == c.gen {
		c.lists.Put(k, items, size)
	}
}

// drop forgets every list (a risk point changed); live says whether lists
// may be kept afterwards.
func (c *dueCache) drop(live bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	c.lists.Clear()
	c.live = live
}

func (c *dueCache) changed() {
	c.mu.Lock()
	live := c.live
	c.mu.Unlock()
	c.drop(live)
}

// tilesChannel is the channel every change to a layer table is announced
// on (migrations/100_tiles.sql): {"t": layer, ...}.
const tilesChannel = "riskmap_tiles"

// Listen follows the change notifications of every writer until ctx ends,
// reconnecting when the connection drops (connect opens a dedicated
// connection); the kept due lists live only while it listens.
func (s *Store) Listen(ctx context.Context, connect func(context.Context) (*pgx.Conn, error)) error {
	l := &pgxlisten.Listener{
		Connect: connect,
		LogError: func(context.Context, error) {
			s.due.drop(false)
		},
		ReconnectDelay: time.Second,
	}
	l.Handle(tilesChannel, dueHandler{s.due})
	defer s.due.drop(false)
	return l.Listen(ctx)
}

type dueHandler struct{ c *dueCache }

func (h dueHandler) HandleNotification(_ context.Context, n *pgconn.Notification, _ *pgx.Conn) error {
	var p struct {
		Layer string `json:"t"`
	}
	if json.Unmarshal([]byte(n.Payload), &p) != nil || p.Layer == "risk_points" {
		h.c.changed()
	}
	return nil
}

// HandleBacklog runs once the channel is listened to (again): what changed
// meanwhile is unknown, so the lists start afresh, kept from now on.
func (h dueHandler) HandleBacklog(context.Context, string, *pgx.Conn) error {
	h.c.drop(true)
	return nil
}

// Live reports whether due lists are being kept (the notifications are
// heard).
func (s *Store) Live() bool {
	s.due.mu.Lock()
	defer s.due.mu.Unlock()
	return s.due.live
}

// DueVersion names the state every kept due list was made from: it changes
// whenever they are dropped (a risk point changed on any replica); ok is
// false while nothing may be kept. An answer made from a list and kept
// elsewhere (the API's encoded answers) is valid while the version holds
// and the day (DueToday) is the same.
func (s *Store) DueVersion() (version uint64, ok bool) {
	s.due.mu.Lock()
	defer s.due.mu.Unlock()
	return s.due.gen, s.due.live
}

// DueToday is the day the due lists are judged on now (UTC+8, the store's
// clock).
func (s *Store) DueToday() string { return Today(s.cfg.Now()).Format("2006-01-02") }
