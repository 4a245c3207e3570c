package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"riskmap/api"
	"riskmap/notify"
)

// notifyFlags configure notifications: the job's interval and lease, the
// reminders, the live feed's replay window, the robots' delivery.
type notifyFlags struct {
	allowPrivate bool
	interval     time.Duration
	lease        time.Duration
	batch        int
	remindHour   int
	feedWindow   time.Duration
	attempts     int
	retry        time.Duration
	timeout      time.Duration
	job          bool
}

func (f *notifyFlags) register(fs *flag.FlagSet) {
	d := notify.DefaultConfig()
	fs.DurationVar(&f.interval, "notify-interval", d.Interval, "how often the reminder and escalation job runs (once per interval across all replicas)")
	fs.DurationVar(&f.lease, "notify-lease", d.Lease, "how long a replica running the job holds it without renewing (a replica that dies lets it lapse after this)")
	fs.IntVar(&f.batch, "notify-batch", d.Batch, "cases the job handles per transaction")
	fs.IntVar(&f.remindHour, "remind-hour", d.RemindHour, "hour of the day (Asia/Shanghai) from which deadline reminders are sent")
	fs.DurationVar(&f.feedWindow, "feed-window", d.FeedWindow, "how long the live feed's events are kept for clients reconnecting with Last-Event-ID")
	fs.IntVar(&f.attempts, "webhook-attempts", d.MaxAttempts, "attempts to deliver a robot message before it is dead")
	fs.DurationVar(&f.retry, "webhook-retry", d.RetryBase, "delay before the first retry of a robot message (doubling, at most an hour)")
	fs.DurationVar(&f.timeout, "webhook-timeout", d.Timeout, "timeout of one request to a robot")
	fs.BoolVar(&f.allowPrivate, "notify-allow-private", os.Getenv("RISKMAP_NOTIFY_ALLOW_PRIVATE") == "true",
		"let robot webhooks be reached on loopback, private and link-local addresses, e.g. an intranet robot gateway (env RISKMAP_NOTIFY_ALLOW_PRIVATE=true; default: public addresses only, so a channel cannot make the server call the intranet)")
	fs.BoolVar(&f.job, "notify-job", true, "take part in running the job and delivering robot messages (false: this replica only serves)")
}

// wire gives the server its notification service (after the cases are
// wired) and starts the job and the outbox delivery, until ctx ends.
// Robot messages link to the app at public (--public-url; the listen
// address when unset).
func (f *notifyFlags) wire(ctx context.Context, logger *slog.Logger, pool *pgxpool.Pool, srv *api.Server, public, addr string) error {
	if f.interval <= 0 || f.lease <= 0 || f.batch <= 0 || f.feedWindow <= 0 || f.attempts <= 0 || f.retry <= 0 || f.timeout <= 0 {
		return fmt.Errorf("--notify-interval, --notify-lease, --notify-batch, --feed-window, --webhook-attempts, --webhook-retry and --webhook-timeout must be positive")
	}
	if f.remindHour < 1 || f.remindHour > 23 {
		return fmt.Errorf("--remind-hour: want 1 to 23, got %d", f.remindHour)
	}
	if public == "" {
		public = api.ListenURL(addr)
	}
	srv.Notify = notify.New(pool, srv.Cases, notify.Config{
		PublicURL: public, Interval: f.interval, Lease: f.lease, Batch: f.batch, RemindHour: f.remindHour,
		FeedWindow: f.feedWindow, MaxAttempts: f.attempts, RetryBase: f.retry, Timeout: f.timeout, Logger: logger,
		AllowPrivate: f.allowPrivate,
	})
	if f.job {
		go srv.Notify.RunJob(ctx)
		go srv.Notify.RunDispatcher(ctx)
	}
	logger.Info("notifications", "public_url", public, "interval", f.interval, "job", f.job)
	return nil
}
