package postgres

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgxlisten"

	"riskmap"
)

// Reads runs read-only queries on a hot standby when it is fresh enough,
// else on the primary. The freshness rule, the invariant everything here
// keeps: a read through Reads sees every change this replica made or heard
// of before the read began, as a read on the primary would. The standby
// answers only once it has replayed the primary's WAL up to the position
// read after the latest such change (the watermark):
//
//   - after each of this replica's own writes (Wrote: the API calls it
//     before answering a write, so a client's next read shows its write);
//   - for a user's reads, after that user's latest write through any
//     replica: Wrote also stores the position for the user (table
//     user_write_positions), which comes back with the token on every
//     request (riskmap.User.Wrote, in the read's context), so users see
//     their own writes whichever replica answers next;
//   - after each change notification heard (Listen, on the data channels;
//     a cache that follows its own notifications calls Heard before it drops
//     entries, so it is never refilled from a standby behind the change). A
//     notification arrives after its commit, so the position read then is
//     past the change.
//
// Otherwise the primary answers: the standby behind (after waiting up to
// Options.MaxWait for it to catch up), away (it is tried again after
// retryAfter, so a standby that is down costs nothing but the fallback), or
// the watermark unknown (not listening yet, or reconnecting: changes may
// have gone unheard). Reads that must see a write wherever it was made (the
// token check, a report's replay, the case reloaded after an action,
// version checks inside write transactions) do not use Reads at all: they
// run on the primary, in the write's transaction or before it.
//
// Without a standby, Reads is its primary pool.
type Reads struct {
	primary *pgxpool.Pool
	name    string
	st      *readState
	counts  *ReadCounts
}

// readState is what every view of one Reads shares (For).
type readState struct {
	standby *pgxpool.Pool
	maxWait time.Duration
	logger  *slog.Logger

	seen    atomic.Uint64 // the watermark
	live    atomic.Bool   // Listen follows the channels: seen is known
	pending atomic.Int32  // notifications heard whose position is being read
	// downUntil (unix ns): the standby failed; the primary answers until then
	downUntil atomic.Int64
	// distrustUntil (unix ns): a write's position could not be read; the
	// primary answers until then
	distrustUntil atomic.Int64
	// replayed: the replay position last read on each standby connection (a
	// lower bound: replay only moves on), so a fresh one is not asked again
	replayed sync.Map // *pgconn.PgConn → LSN
	nReplay  atomic.Int64

	mu     sync.Mutex
	counts map[string]*ReadCounts
}

// ReadCounts count where the reads of one user of Reads went.
type ReadCounts struct {
	Standby atomic.Uint64 // answered by the standby
	Behind  atomic.Uint64 // by the primary: the standby had not replayed the watermark
	Away    atomic.Uint64 // by the primary: the standby failed or is resting after a failure
	Unknown atomic.Uint64 // by the primary: the watermark was unknown
}

// LSN is a position in the primary's write-ahead log.
type LSN uint64

// unknownLSN is no position a standby can reach.
const unknownLSN = LSN(math.MaxUint64)

// retryAfter is how long the standby rests after a failure; standbyTimeout
// bounds acquiring a standby connection and asking its position (a
// standby frozen or unreachable must not hold up a read).
const (
	retryAfter     = 5 * time.Second
	standbyTimeout = time.Second
)

// ReadOptions configure NewReads.
type ReadOptions struct {
	// Standby is a hot standby's pool (OpenStandby); nil: every read on
	// the primary.
	Standby *pgxpool.Pool
	// MaxWait is how long a read waits for a standby behind the watermark
	// to catch up before the primary answers it (0: it does not wait).
	MaxWait time.Duration
	Logger  *slog.Logger
}

// NewReads returns reads over primary and opts.Standby. Until Listen has
// begun, the primary answers every read.
func NewReads(primary *pgxpool.Pool, opts ReadOptions) *Reads {
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	st := &readState{standby: opts.Standby, maxWait: opts.MaxWait, logger: opts.Logger, counts: map[string]*ReadCounts{}}
	st.seen.Store(0)
	return &Reads{primary: primary, name: "", st: st, counts: st.countsOf("")}
}

// PrimaryReads is reads with no standby: the pool itself.
func PrimaryReads(pool *pgxpool.Pool) *Reads { return NewReads(pool, ReadOptions{}) }

// For is a view of r for one user (named in its counts) whose fallback is
// primary (nil: r's): the tiles fall back to their own pool.
func (r *Reads) For(name string, primary *pgxpool.Pool) *Reads {
	if primary == nil {
		primary = r.primary
	}
	return &Reads{primary: primary, name: name, st: r.st, counts: r.st.countsOf(name)}
}

func (st *readState) countsOf(name string) *ReadCounts {
	st.mu.Lock()
	defer st.mu.Unlock()
	c := st.counts[name]
	if c == nil {
		c = &ReadCounts{}
		st.counts[name] = c
	}
	return c
}

// Counts returns the counts of every user of r by name.
func (r *Reads) Counts() map[string]*ReadCounts {
	r.st.mu.Lock()
	defer r.st.mu.Unlock()
	out := make(map[string]*ReadCounts, len(r.st.counts))
	for k, v := range r.st.counts {
		out[k] = v
	}
	return out
}

// HasStandby reports whether a standby is configured.
func (r *Reads) HasStandby() bool { return r.st.standby != nil }

// Primary is the pool reads fall back to.
func (r *Reads) Primary() *pgxpool.Pool { return r.primary }

// lsnSQL reads a server's position as a number: the primary's current
// one, a standby's last replayed (a server out of recovery is a primary:
// the standby promoted, fresh by definition).
const lsnSQL = `SELECT (CASE WHEN pg_is_in_recovery() THEN coalesce(pg_last_wal_replay_lsn(), '0/0') ELSE pg_current_wal_lsn() END - '0/0'::pg_lsn)::int8`

// Rower runs a one-row query (a pool, a connection, a transaction).
type Rower interface {
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

func position(ctx context.Context, q Rower) (LSN, error) {
	var n int64
	if err := q.QueryRow(ctx, lsnSQL).Scan(&n); err != nil {
		return 0, fmt.Errorf("wal position: %w", err)
	}
	return LSN(n), nil
}

// raise moves the watermark up to lsn.
func (st *readState) raise(lsn LSN) {
	for {
		old := st.seen.Load()
		if uint64(lsn) <= old || st.seen.CompareAndSwap(old, uint64(lsn)) {
			return
		}
	}
}

// Heard raises the watermark to the primary's position read on q, the
// connection a change notification arrived on. A cache that follows
// notifications calls it before dropping what the change met; if it fails,
// the cache must not trust a refill (drop everything, or stop serving).
func (r *Reads) Heard(ctx context.Context, q Rower) error {
	if r.st.standby == nil {
		return nil
	}
	lsn, err := position(ctx, q)
	if err != nil {
		return err
	}
	r.st.raise(lsn)
	return nil
}

// Wrote raises the watermark past this replica's latest write, and stores
// the position for the user in ctx (riskmap.User) so that any replica
// holds that user's reads to it: call it after a write commits, before
// answering it. If the primary's position cannot be read, the primary
// answers every read for retryAfter.
func (r *Reads) Wrote(ctx context.Context) error {
	if r.st.standby == nil {
		return nil
	}
	lsn, err := position(ctx, r.primary)
	if err != nil {
		r.st.distrustUntil.Store(time.Now().Add(retryAfter).UnixNano())
		return err
	}
	r.st.raise(lsn)
	if u := riskmap.UserFromContext(ctx); u != nil && u.ID > 0 {
		u.Wrote = max(u.Wrote, uint64(lsn))
		if _, err := r.primary.Exec(ctx, `INSERT INTO user_write_positions (user_id, lsn) VALUES ($1, '0/0'::pg_lsn + $2::numeric)
			ON CONFLICT (user_id) DO UPDATE SET lsn = greatest(user_write_positions.lsn, excluded.lsn)`, u.ID, int64(lsn)); err != nil {
			// other replicas would not hold this user's reads to the write
			r.st.distrustUntil.Store(time.Now().Add(retryAfter).UnixNano())
			return fmt.Errorf("reads: the user's write position: %w", err)
		}
	}
	return nil
}

// need is the position a read in ctx must see, or unknownLSN.
func (r *Reads) need(ctx context.Context) LSN {
	st := r.st
	if !st.live.Load() || st.pending.Load() > 0 || time.Now().UnixNano() < st.distrustUntil.Load() {
		return unknownLSN
	}
	need := LSN(st.seen.Load())
	if u := riskmap.UserFromContext(ctx); u != nil {
		need = max(need, LSN(u.Wrote))
	}
	return need
}

// Listen follows channels (those of every change the reads served here
// depend on) until ctx ends, reconnecting when the connection drops; while
// it does not listen, the primary answers every read. connect opens a
// dedicated connection to the primary.
func (r *Reads) Listen(ctx context.Context, connect func(context.Context) (*pgx.Conn, error), channels ...string) error {
	st := r.st
	if st.standby == nil {
		<-ctx.Done()
		return nil
	}
	if len(channels) == 0 {
		return errors.New("reads: listen: no channels")
	}
	listening := 0
	l := &pgxlisten.Listener{
		Connect: func(ctx context.Context) (*pgx.Conn, error) {
			listening = 0
			st.live.Store(false)
			return connect(ctx)
		},
		LogError: func(ctx context.Context, err error) {
			st.live.Store(false)
			if ctx.Err() == nil {
				st.logger.Warn("reads: change notifications interrupted; reads on the primary until they resume", "err", err)
			}
		},
		ReconnectDelay: time.Second,
	}
	h := readListener{r: r, ready: func(ctx context.Context, conn *pgx.Conn) error {
		if listening++; listening < len(channels) {
			return nil
		}
		// changes made while away were not heard: the standby must
		// have replayed at least what the primary has now. A watermark
		// past that came from another server (the one before a
		// failover): start again from this one's.
		lsn, err := position(ctx, conn)
		if err != nil {
			return err
		}
		if LSN(st.seen.Load()) > lsn {
			st.seen.Store(uint64(lsn))
		} else {
			st.raise(lsn)
		}
		st.live.Store(true)
		return nil
	}}
	for _, ch := range channels {
		l.Handle(ch, h)
	}
	defer st.live.Store(false)
	err := l.Listen(ctx)
	if ctx.Err() != nil {
		return nil
	}
	return err
}

type readListener struct {
	r     *Reads
	ready func(context.Context, *pgx.Conn) error
}

func (h readListener) HandleNotification(ctx context.Context, _ *pgconn.Notification, conn *pgx.Conn) error {
	// until the position is read, the change is heard but not placed:
	// reads go to the primary
	st := h.r.st
	st.pending.Add(1)
	defer st.pending.Add(-1)
	lsn, err := position(ctx, conn)
	if err != nil {
		return h.fail(ctx, conn, err)
	}
	st.raise(lsn)
	return nil
}

func (h readListener) HandleBacklog(ctx context.Context, _ string, conn *pgx.Conn) error {
	if err := h.ready(ctx, conn); err != nil {
		return h.fail(ctx, conn, err)
	}
	return nil
}

// fail stops trusting the watermark and drops the connection, so that
// Listen connects and listens again (and trusts it again once it has).
func (h readListener) fail(ctx context.Context, conn *pgx.Conn, err error) error {
	h.r.st.live.Store(false)
	_ = conn.Close(ctx)
	return err
}

// standby returns a standby connection that has replayed the watermark,
// or nil: then the primary answers. It never fails: a standby fault is a
// fallback.
func (r *Reads) standby(ctx context.Context) *pgxpool.Conn {
	st := r.st
	if st.standby == nil {
		return nil
	}
	need := r.need(ctx)
	if need == unknownLSN {
		r.counts.Unknown.Add(1)
		return nil
	}
	if time.Now().UnixNano() < st.downUntil.Load() {
		r.counts.Away.Add(1)
		return nil
	}
	sctx, cancel := context.WithTimeout(ctx, standbyTimeout)
	defer cancel()
	conn, err := st.standby.Acquire(sctx)
	if err != nil {
		r.away(ctx, err)
		return nil
	}
	deadline := time.Now().Add(st.maxWait)
	for {
		at, err := st.replayedOn(sctx, conn, need)
		if err != nil {
			conn.Release()
			r.away(ctx, err)
			return nil
		}
		if at >= need {
			r.counts.Standby.Add(1)
			return conn
		}
		if !time.Now().Before(deadline) {
			conn.Release()
			r.counts.Behind.Add(1)
			return nil
		}
		time.Sleep(min(2*time.Millisecond, time.Until(deadline)))
	}
}

// replayedOn is how far conn's server has replayed, read again only when
// what was last read on it is not enough.
func (st *readState) replayedOn(ctx context.Context, conn *pgxpool.Conn, need LSN) (LSN, error) {
	key := conn.Conn().PgConn()
	if v, ok := st.replayed.Load(key); ok && v.(LSN) >= need {
		return v.(LSN), nil
	}
	lsn, err := position(ctx, conn)
	if err != nil {
		st.replayed.Delete(key)
		return 0, err
	}
	if _, loaded := st.replayed.Swap(key, lsn); !loaded && st.nReplay.Add(1) > 1000 {
		// connections come and go: forget them all now and then
		st.replayed.Clear()
		st.nReplay.Store(0)
	}
	return lsn, nil
}

// away notes a standby fault: the primary answers for retryAfter.
func (r *Reads) away(ctx context.Context, err error) {
	r.counts.Away.Add(1)
	if ctx.Err() != nil {
		return // the request ended: not the standby's fault
	}
	st := r.st
	if st.downUntil.Swap(time.Now().Add(retryAfter).UnixNano()) < time.Now().UnixNano() {
		st.logger.Warn("reads: the standby failed; reads on the primary", "retry_in", retryAfter, "err", err)
	}
}

// retryOnPrimary reports whether a read the standby failed may be run
// again on the primary: the standby went away, or cancelled it because
// replay needed what it read (a recovery conflict). A read has no effects,
// so running it twice is harmless.
func retryOnPrimary(ctx context.Context, err error) bool {
	if err == nil || ctx.Err() != nil || errors.Is(err, pgx.ErrNoRows) {
		return false
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) && pe.Code == "40001" { // conflict with recovery
		return true
	}
	return Unavailable(err)
}

// Query runs a read-only query (see Reads). Close the rows.
func (r *Reads) Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error) {
	if conn := r.standby(ctx); conn != nil {
		rows, err := conn.Query(ctx, sql, args...)
		if err == nil {
			return &standbyRows{Rows: rows, conn: conn, r: r, ctx: ctx, sql: sql, args: args}, nil
		}
		conn.Release()
		if !retryOnPrimary(ctx, err) {
			return nil, err
		}
		r.away(ctx, err)
	}
	return r.primary.Query(ctx, sql, args...)
}

// QueryRow runs a read-only query for one row (see Reads).
func (r *Reads) QueryRow(ctx context.Context, sql string, args ...any) pgx.Row {
	if conn := r.standby(ctx); conn != nil {
		return &standbyRow{r: r, ctx: ctx, conn: conn, sql: sql, args: args}
	}
	return r.primary.QueryRow(ctx, sql, args...)
}

// BeginTx begins a read-only transaction (see Reads): a snapshot for
// several reads that must agree. A standby cannot run a serializable one:
// the primary does.
func (r *Reads) BeginTx(ctx context.Context, opts pgx.TxOptions) (pgx.Tx, error) {
	if opts.IsoLevel != pgx.Serializable {
		if conn := r.standby(ctx); conn != nil {
			tx, err := conn.BeginTx(ctx, opts)
			if err == nil {
				return &standbyTx{Tx: tx, conn: conn}, nil
			}
			conn.Release()
			if !retryOnPrimary(ctx, err) {
				return nil, err
			}
			r.away(ctx, err)
		}
	}
	return r.primary.BeginTx(ctx, opts)
}

// Begin begins a read-only transaction with the default options.
func (r *Reads) Begin(ctx context.Context) (pgx.Tx, error) {
	return r.BeginTx(ctx, pgx.TxOptions{AccessMode: pgx.ReadOnly})
}

// PoolOf is the pool of tx's server (a transaction begun by BeginTx), for
// a second connection that imports its snapshot.
func (r *Reads) PoolOf(tx pgx.Tx) *pgxpool.Pool {
	if _, ok := tx.(*standbyTx); ok {
		return r.st.standby
	}
	return r.primary
}

// standbyRows gives the connection back when the rows are closed. If the
// standby fails the query before its first row (pgx reports most failures
// there, not from Query), it runs again on the primary.
type standbyRows struct {
	pgx.Rows
	conn    *pgxpool.Conn
	once    sync.Once
	started bool

	r    *Reads
	ctx  context.Context
	sql  string
	args []any
}

func (s *standbyRows) Close() {
	s.Rows.Close()
	s.once.Do(s.conn.Release)
}

func (s *standbyRows) Next() bool {
	if s.Rows.Next() {
		s.started = true
		return true
	}
	s.Close()
	if err := s.Rows.Err(); !s.started && retryOnPrimary(s.ctx, err) {
		s.started = true
		s.r.away(s.ctx, err)
		rows, qerr := s.r.primary.Query(s.ctx, s.sql, s.args...)
		if qerr != nil {
			s.Rows = errRows{rows, qerr}
			return false
		}
		s.Rows = rows
		return s.Rows.Next()
	}
	return false
}

// errRows are rows that failed before their first.
type errRows struct {
	pgx.Rows
	err error
}

func (e errRows) Err() error { return e.err }

func (e errRows) Next() bool { return false }

func (e errRows) Close() {
	if e.Rows != nil {
		e.Rows.Close()
	}
}

// standbyRow runs its query when scanned, on the standby, and again on
// the primary if the standby failed it.
type standbyRow struct {
	r    *Reads
	ctx  context.Context
	conn *pgxpool.Conn
	sql  string
	args []any
}

func (s *standbyRow) Scan(dest ...any) error {
	err := s.conn.QueryRow(s.ctx, s.sql, s.args...).Scan(dest...)
	s.conn.Release()
	if retryOnPrimary(s.ctx, err) {
		s.r.away(s.ctx, err)
		return s.r.primary.QueryRow(s.ctx, s.sql, s.args...).Scan(dest...)
	}
	return err
}

// standbyTx gives the connection back when the transaction ends.
type standbyTx struct {
	pgx.Tx
	conn *pgxpool.Conn
	once sync.Once
}

func (t *standbyTx) Commit(ctx context.Context) error {
	err := t.Tx.Commit(ctx)
	t.once.Do(t.conn.Release)
	return err
}

func (t *standbyTx) Rollback(ctx context.Context) error {
	err := t.Tx.Rollback(ctx)
	t.once.Do(t.conn.Release)
	return err
}
