package tiles

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgxlisten"
)

// Channel is where the migration's triggers announce changes to the layer
// tables.
const Channel = "riskmap_tiles"

// notice is a riskmap_tiles payload (see migrations/100_tiles.sql), or a
// barrier sent by Sync.
type notice struct {
	Layer   string              `json:"t"`
	All     bool                `json:"all"`
	Changes [][]json.RawMessage `json:"c"` // [id, old box, new box]
	Sync    string              `json:"sync"`
}

// Listen follows the change notifications of every writer of the database
// (this replica, others, QGIS) until ctx ends, reconnecting when the
// connection drops. connect opens a dedicated connection (not one from the
// pool: it stays in LISTEN). Until the first LISTEN is in place, and
// whenever the connection is lost, the cache is flushed and bypassed, so
// no change can be missed; it serves again once listening resumes.
func (s *Service) Listen(ctx context.Context, connect func(context.Context) (*pgx.Conn, error)) error {
	l := &pgxlisten.Listener{
		Connect: func(ctx context.Context) (*pgx.Conn, error) {
			s.setLive(false)
			return connect(ctx)
		},
		LogError: func(ctx context.Context, err error) {
			s.setLive(false)
			if ctx.Err() == nil {
				s.logger.Warn("tiles: change notifications interrupted; cache bypassed until they resume", "err", err)
			}
		},
		ReconnectDelay: time.Second,
	}
	l.Handle(Channel, handler{notify: s.handleTiles, backlog: func() { s.setLive(true) }, change: s.noteChange})
	defer s.setLive(false)
	return l.Listen(ctx)
}

type handler struct {
	notify  func(payload string)
	backlog func()
	// change, when set, runs first, on the listening connection
	change func(ctx context.Context, conn *pgx.Conn)
}

func (h handler) HandleNotification(ctx context.Context, n *pgconn.Notification, conn *pgx.Conn) error {
	if h.change != nil {
		h.change(ctx, conn)
	}
	h.notify(n.Payload)
	return nil
}

// HandleBacklog runs once the channel is listened to on a new connection.
// (changes made while away were not heard: the standby must have
// replayed at least up to now)
func (h handler) HandleBacklog(ctx context.Context, _ string, conn *pgx.Conn) error {
	if h.change != nil {
		h.change(ctx, conn)
	}
	h.backlog()
	return nil
}

func (s *Service) setLive(live bool) {
	// flush before going live: anything cached before may have missed changes
	s.cache.flush(live)
	for _, f := range s.followers {
		f.Following(live)
	}
	s.live.Store(live)
}

// Live reports whether change notifications are being followed (and so
// whether the cache serves).
func (s *Service) Live() bool { return s.live.Load() }

func (s *Service) handleTiles(payload string) {
	var n notice
	if err := json.Unmarshal([]byte(payload), &n); err != nil {
		// an unreadable change could be any change
		s.logger.Error("tiles: unreadable change notification; dropping every cached tile", "payload", payload, "err", err)
		s.cache.flush(true)
		for _, f := range s.followers {
			f.Following(true)
		}
		return
	}
	if n.Sync != "" {
		s.barriers.Release(n.Sync)
		return
	}
	for _, f := range s.followers {
		f.TablesChanged(n.Layer)
	}
	mask := s.maskFor(n.Layer)
	if mask == 0 {
		return
	}
	if n.All {
		s.cache.invalidate(mask, []rect{{-worldHalf, -worldHalf, worldHalf, worldHalf}})
		return
	}
	boxes := make([]rect, 0, 2*len(n.Changes))
	for _, c := range n.Changes {
		for i := 1; i < len(c) && i < 3; i++ {
			var b []float64
			if json.Unmarshal(c[i], &b) == nil && len(b) == 4 {
				boxes = append(boxes, rect{b[0], b[1], b[2], b[3]})
			}
		}
	}
	s.cache.invalidate(mask, boxes)
}

// maskFor is the set of layer trees a change to table affects: the layers
// depending on it and the layer of them all.
func (s *Service) maskFor(table string) uint64 {
	var m uint64
	for i, l := range s.layers {
		if l.dependsOn(table) {
			m |= 1 << i
		}
	}
	if m != 0 {
		m |= 1 << len(s.layers)
	}
	return m
}

// syncTimeout bounds how long Sync waits for its barrier.
const syncTimeout = 5 * time.Second

// Sync returns once every change committed before it was called has been
// applied to this replica's cache. The API calls it after each successful
// write, before answering, so a tile asked for after a write was answered
// shows the write. It sends a barrier notification and waits for the
// listener to see it: notifications arrive in commit order. If the barrier
// does not come back in time the cache is flushed instead.
func (s *Service) Sync(ctx context.Context) error {
	if !s.Live() {
		return nil // the cache is bypassed anyway
	}
	back, err := s.barriers.Wait(ctx, s.pool, Channel, func(nonce string) string {
		payload, _ := json.Marshal(notice{Sync: nonce})
		return string(payload)
	}, syncTimeout)
	if back {
		return nil
	}
	if err == nil && ctx.Err() == nil {
		s.logger.Warn("tiles: sync barrier did not return in time; flushing the cache")
	}
	s.cache.flush(s.Live())
	for _, f := range s.followers {
		f.Following(s.Live())
	}
	if err != nil {
		return fmt.Errorf("tiles: sync: %w", err)
	}
	return nil
}
