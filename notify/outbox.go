package notify

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
)

// The outbox is delivered by every replica: each claims one due message at
// a time (FOR UPDATE SKIP LOCKED, so two never take the same), pushing its
// next attempt past the delivery's end — a replica that dies while sending
// leaves it to be tried again then — and spacing the messages to each
// robot by Pace. A failed attempt is retried after RetryBase, doubling up
// to RetryMax; after MaxAttempts it is dead, kept with its last error for
// the office and the admin to see (and retry).

// claimed is a message claimed for delivery, with its channel.
type claimed struct {
	id, channel      int64
	kind, title      string
	body             string
	attempts         int
	chKind, chURL    string
	secret           *string
	eventKind        string
	claimedAt, until time.Time
}

// claimSQL takes the oldest due message whose robot may be sent to now.
const claimSQL = `
WITH c AS (
	SELECT o.id, ch.id AS channel FROM notification_outbox o JOIN notification_channels ch ON ch.id = o.channel_id
	 WHERE o.state = 'pending' AND o.next_attempt_at <= $1 AND ch.enabled AND ch.next_send_at <= $1
	 ORDER BY o.next_attempt_at, o.id
	 LIMIT 1
	   FOR UPDATE OF o, ch SKIP LOCKED),
o AS (
	UPDATE notification_outbox o SET attempts = o.attempts + 1, last_attempt_at = $1, next_attempt_at = $2
	  FROM c WHERE o.id = c.id
	RETURNING o.id, o.channel_id, o.kind, o.title, o.body, o.attempts),
ch AS (
	UPDATE notification_channels ch SET next_send_at = $3 FROM c WHERE ch.id = c.channel
	RETURNING ch.id, ch.kind, ch.url, ch.secret)
SELECT o.id, o.channel_id, o.kind, o.title, o.body, o.attempts, ch.kind, ch.url, ch.secret FROM o JOIN ch ON ch.id = o.channel_id`

func (s *Service) claim(ctx context.Context) (*claimed, error) {
	now := s.cfg.Now()
	c := &claimed{claimedAt: now, until: now.Add(s.cfg.Timeout + 30*time.Second)}
	err := s.pool.QueryRow(ctx, claimSQL, now, c.until, now.Add(s.cfg.Pace)).
		Scan(&c.id, &c.channel, &c.eventKind, &c.title, &c.body, &c.attempts, &c.chKind, &c.chURL, &c.secret)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("outbox: claim: %w", err)
	}
	return c, nil
}

// DeliverDue delivers the messages due now, one claim at a time (at most
// four at once, never two to one robot), until none is due; it returns how
// many were delivered and how many attempts failed.
func (s *Service) DeliverDue(ctx context.Context) (delivered, failed int, err error) {
	var mu sync.Mutex
	var wg sync.WaitGroup
	slots := make(chan struct{}, 4)
	var firstErr error
	for ctx.Err() == nil {
		c, err := s.claim(ctx)
		if err != nil {
			firstErr = err
			break
		}
		if c == nil {
			break
		}
		slots <- struct{}{}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-slots }()
			sendErr := s.send(ctx, c.chKind, c.chURL, c.secret, c.eventKind, c.id, []byte(c.body))
			if err := s.settle(context.WithoutCancel(ctx), c, sendErr); err != nil {
				s.log.Warn("outbox: record a delivery", "message", c.id, "channel", c.channel, "err", err)
			}
			mu.Lock()
			if sendErr == nil {
				delivered++
			} else {
				failed++
			}
			mu.Unlock()
		}()
	}
	wg.Wait()
	return delivered, failed, firstErr
}

// settle records an attempt's outcome.
func (s *Service) settle(ctx context.Context, c *claimed, sendErr error) error {
	now := s.cfg.Now()
	if sendErr == nil {
		_, err := s.pool.Exec(ctx, `UPDATE notification_outbox SET state = 'delivered', delivered_at = $2, last_error = NULL
			WHERE id = $1 AND state = 'pending'`, c.id, now)
		return err
	}
	msg := clip(sendErr.Error(), 500)
	s.log.Warn("outbox: delivery failed", "message", c.id, "channel", c.channel, "attempt", c.attempts, "err", msg)
	if c.attempts >= s.cfg.MaxAttempts {
		_, err := s.pool.Exec(ctx, `UPDATE notification_outbox SET state = 'dead', last_error = $2, next_attempt_at = $3
			WHERE id = $1 AND state = 'pending'`, c.id, msg, now)
		return err
	}
	_, err := s.pool.Exec(ctx, `UPDATE notification_outbox SET last_error = $2, next_attempt_at = $3 WHERE id = $1 AND state = 'pending'`,
		c.id, msg, now.Add(s.backoff(c.attempts)))
	return err
}

// backoff is the delay after the n-th failed attempt: RetryBase doubling,
// at most RetryMax.
func (s *Service) backoff(n int) time.Duration {
	d := s.cfg.RetryBase
	for i := 1; i < n && d < s.cfg.RetryMax; i++ {
		d *= 2
	}
	return min(d, s.cfg.RetryMax)
}

// RunDispatcher delivers the outbox until ctx ends, looking every Poll.
func (s *Service) RunDispatcher(ctx context.Context) {
	t := time.NewTicker(s.cfg.Poll)
	defer t.Stop()
	for {
		if _, _, err := s.DeliverDue(ctx); err != nil && ctx.Err() == nil {
			s.log.Warn("outbox", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// send makes one request to a robot and reads its answer. The error names
// what went wrong without the URL (robots keep their keys in it) or the
// secret.
func (s *Service) send(ctx context.Context, kind, rawURL string, secret *string, eventKind string, id int64, body []byte) error {
	target := rawURL
	if kind == Dingtalk && secret != nil && *secret != "" {
		var err error
		if target, err = dingtalkURL(rawURL, *secret, s.cfg.Now()); err != nil {
			return errors.New("地址无效")
		}
	}
	ctx, cancel := context.WithTimeout(ctx, s.cfg.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(body))
	if err != nil {
		return errors.New("地址无效")
	}
	req.Header.Set("Content-Type", "application/json; charset=utf-8")
	req.Header.Set("User-Agent", "riskmap-notify/1")
	if kind == Generic {
		req.Header.Set("X-Riskmap-Event", eventKind)
		req.Header.Set("X-Riskmap-Delivery", strconv.FormatInt(id, 10))
		if secret != nil {
			req.Header.Set("X-Riskmap-Signature", Signature(*secret, body))
		}
	}
	res, err := s.cfg.HTTP.Do(req)
	if err != nil {
		return fmt.Errorf("request failed: %s", withoutURL(err))
	}
	defer res.Body.Close()
	answer, _ := io.ReadAll(io.LimitReader(res.Body, 4096))
	if res.StatusCode < 200 || res.StatusCode > 299 {
		if a := clip(string(answer), 200); a != "" {
			return fmt.Errorf("HTTP %d: %s", res.StatusCode, a)
		}
		return fmt.Errorf("HTTP %d", res.StatusCode)
	}
	if kind == Wecom || kind == Dingtalk {
		// both robots answer 200 with an error code
		var r struct {
			Errcode *int   `json:"errcode"`
			Errmsg  string `json:"errmsg"`
		}
		if err := json.Unmarshal(answer, &r); err != nil || r.Errcode == nil {
			return fmt.Errorf("HTTP %d, not a robot's answer: %s", res.StatusCode, clip(string(answer), 200))
		}
		if *r.Errcode != 0 {
			return fmt.Errorf("errcode %d: %s", *r.Errcode, clip(r.Errmsg, 200))
		}
	}
	return nil
}

// withoutURL is a transport error's cause without the request URL.
func withoutURL(err error) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	if errors.Is(err, context.DeadlineExceeded) || strings.Contains(err.Error(), "Client.Timeout") {
		return "timed out"
	}
	return err.Error()
}
