// Package notify tells people what the closed loop needs of them: the
// inbox of each user (assigned to you, returned, deadline tomorrow and
// today, overdue, escalated, waiting for your check, rejected, reported in
// your area, and what other domains raise), the offices' group-chat robots
// (企业微信, 钉钉, or a generic signed webhook) fed through an outbox
// written in the same transaction as the event, and the job that escalates
// overdue cases and sends reminders and daily digests, once per interval
// across all replicas.
//
// Who hears of each kind is data (notification_rules: audiences per kind,
// overridable per area; kinds.go), and nobody hears of a case outside
// their scope. Every writer is idempotent: a restart, a second replica or
// a repeated call tells no one twice.
package notify

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"riskmap/cases"
)

// Config holds the settings; zero values take DefaultConfig's.
type Config struct {
	// PublicURL is the web app's address as people reach it, for the links
	// in robot messages (e.g. https://riskmap.example.gov.cn).
	PublicURL string
	// Interval between runs of the job (reminders, escalation, digests).
	Interval time.Duration
	// Lease: a replica running the job holds it this long, renewing it
	// while it runs; a replica that dies lets it lapse after this long.
	Lease time.Duration
	// Batch is how many cases the job handles per transaction.
	Batch int
	// RemindHour: deadline reminders are sent from this hour of the day
	// (Asia/Shanghai) on, not at night (1–23).
	RemindHour int
	// FeedWindow is how long the live feed's events are kept for replay.
	FeedWindow time.Duration
	// Outbox delivery: attempts before a message is dead, the first retry
	// delay (doubling up to RetryMax), the timeout of one request, the
	// least time between two messages to one robot (they take about 20 a
	// minute), how often each replica looks for messages due.
	MaxAttempts int
	RetryBase   time.Duration
	RetryMax    time.Duration
	Timeout     time.Duration
	Pace        time.Duration
	Poll        time.Duration
	// Now is the clock (tests fix it); default time.Now.
	Now func() time.Time
	// Holder names this replica in the job's lease (default host:pid:random).
	Holder string
	// HTTP sends the robot messages (default a client with Timeout that
	// dials only public addresses: dial.go).
	HTTP *http.Client
	// AllowPrivate lets robots be reached on loopback, private and
	// link-local addresses (an intranet gateway); default false.
	AllowPrivate bool
	Logger       *slog.Logger
}

// DefaultConfig returns the defaults.
func DefaultConfig() Config {
	return Config{
		PublicURL:   "http://127.0.0.1:8080",
		Interval:    time.Minute,
		Lease:       30 * time.Second,
		Batch:       500,
		RemindHour:  8,
		FeedWindow:  24 * time.Hour,
		MaxAttempts: 8,
		RetryBase:   30 * time.Second,
		RetryMax:    time.Hour,
		Timeout:     10 * time.Second,
		Pace:        3 * time.Second,
		Poll:        time.Second,
		Now:         time.Now,
	}
}

// Service is the notifications domain: the inbox, the channels and their
// outbox, and the job. It implements cases.Notifier.
type Service struct {
	pool  *pgxpool.Pool
	cases *cases.Store
	cfg   Config
	log   *slog.Logger
}

// New returns the service; cs is the case store whose events it is told
// of (it calls cs.NotifyWith) and whose overdue cases the job escalates.
func New(pool *pgxpool.Pool, cs *cases.Store, cfg Config) *Service {
	d := DefaultConfig()
	if cfg.PublicURL == "" {
		cfg.PublicURL = d.PublicURL
	}
	cfg.PublicURL = strings.TrimRight(cfg.PublicURL, "/")
	for _, x := range []struct{ v, def *time.Duration }{{&cfg.Interval, &d.Interval}, {&cfg.Lease, &d.Lease},
		{&cfg.FeedWindow, &d.FeedWindow}, {&cfg.RetryBase, &d.RetryBase}, {&cfg.RetryMax, &d.RetryMax},
		{&cfg.Timeout, &d.Timeout}, {&cfg.Pace, &d.Pace}, {&cfg.Poll, &d.Poll}} {
		if *x.v <= 0 {
			*x.v = *x.def
		}
	}
	if cfg.Batch <= 0 {
		cfg.Batch = d.Batch
	}
	if cfg.MaxAttempts <= 0 {
		cfg.MaxAttempts = d.MaxAttempts
	}
	if cfg.RemindHour <= 0 || cfg.RemindHour > 23 {
		cfg.RemindHour = d.RemindHour
	}
	if cfg.Now == nil {
		cfg.Now = d.Now
	}
	if cfg.Holder == "" {
		host, _ := os.Hostname()
		b := make([]byte, 4)
		_, _ = rand.Read(b)
		cfg.Holder = fmt.Sprintf("%s:%d:%s", host, os.Getpid(), hex.EncodeToString(b))
	}
	if cfg.HTTP == nil {
		cfg.HTTP = robotClient(cfg.Timeout, cfg.AllowPrivate)
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	s := &Service{pool: pool, cases: cs, cfg: cfg, log: cfg.Logger}
	if cs != nil {
		cs.NotifyWith(s)
	}
	return s
}

// Config returns the settings in force.
func (s *Service) Config() Config { return s.cfg }

// shanghai is the calendar of deadlines and reminders (UTC+8, no DST).
var shanghai = cases.Shanghai()
