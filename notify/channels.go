package notify

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"riskmap"
	"riskmap/postgres"
)

// Channel is an office's robot as the API shows it: never its secret, and
// its URL with the robot's key masked.
type Channel struct {
	ID        int64       `json:"id"`
	Area      string      `json:"area"`
	AreaName  string      `json:"area_name"`
	Level     string      `json:"level"`
	Kind      string      `json:"kind"`
	Name      string      `json:"name"`
	URL       string      `json:"url"`
	SecretSet bool        `json:"secret_set"`
	Kinds     []string    `json:"kinds"`
	DigestAt  *string     `json:"digest_at"`
	Enabled   bool        `json:"enabled"`
	Version   int         `json:"version"`
	CreatedAt time.Time   `json:"created_at"`
	UpdatedAt time.Time   `json:"updated_at"`
	Outbox    OutboxStats `json:"outbox"`
	LastTest  *TestResult `json:"last_test"`
}

// OutboxStats sums up a channel's deliveries.
type OutboxStats struct {
	Pending         int        `json:"pending"`
	Delivered       int        `json:"delivered"`
	Dead            int        `json:"dead"`
	LastError       *string    `json:"last_error"`
	LastFailedAt    *time.Time `json:"last_failed_at"`
	LastDeliveredAt *time.Time `json:"last_delivered_at"`
}

// TestResult is the outcome of a test message.
type TestResult struct {
	At    time.Time `json:"at"`
	OK    bool      `json:"ok"`
	Error *string   `json:"error"`
}

// ChannelInput is a channel as sent to create or change one; nil fields
// are not sent (PATCH leaves them as they are).
type ChannelInput struct {
	ID       *int64    `json:"id"`
	Area     *string   `json:"area"`
	Kind     *string   `json:"kind"`
	Name     *string   `json:"name"`
	URL      *string   `json:"url"`
	Secret   *string   `json:"secret"`
	Kinds    *[]string `json:"kinds"`
	DigestAt *string   `json:"digest_at"`
	Enabled  *bool     `json:"enabled"`
}

// ParseChannel reads a channel from a JSON body; a field it does not know
// is refused (400) rather than ignored.
func ParseChannel(body []byte) (*ChannelInput, error) {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	var in ChannelInput
	if err := dec.Decode(&in); err != nil {
		msg := err.Error()
		if f, ok := strings.CutPrefix(msg, "json: unknown field "); ok {
			f = strings.Trim(f, `"`)
			return nil, riskmap.Errorf(riskmap.EINVALID, "unknown field %q; a channel has area, kind, name, url, secret, kinds, digest_at, enabled", f).
				WithDetails(riskmap.Detail{Field: f, Message: "unknown field"})
		}
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			return nil, riskmap.Errorf(riskmap.EINVALID, "%s: wrong type (%s)", te.Field, te.Value).
				WithDetails(riskmap.Detail{Field: te.Field, Message: "wrong type"})
		}
		return nil, riskmap.Errorf(riskmap.EINVALID, "want a JSON object: %v", err)
	}
	if dec.Decode(&struct{}{}) != io.EOF {
		return nil, riskmap.Errorf(riskmap.EINVALID, "want one JSON object")
	}
	return &in, nil
}

// mayManage: admins everywhere, offices (township, county, city) within
// their areas; nobody else.
func mayManage(u *riskmap.User, area string) bool {
	return office(u) && u.Scope().Contains(area)
}

func office(u *riskmap.User) bool {
	return u.Role == riskmap.RoleAdmin || u.Role == riskmap.RoleTownship || u.Role == riskmap.RoleCounty || u.Role == riskmap.RoleCity
}

// managesChannels refuses the roles that never manage channels.
func managesChannels(u *riskmap.User) error {
	if !office(u) {
		return riskmap.Errorf(riskmap.EFORBIDDEN, "role %s does not manage notification channels", u.Role)
	}
	return nil
}

// changeChannel runs fn in an audited transaction with the channel
// locked, once it is one of the user's areas and version (when given) is
// its own.
func (s *Service) changeChannel(ctx context.Context, u *riskmap.User, id int64, version *int, fn func(tx pgx.Tx) error) error {
	if err := managesChannels(u); err != nil {
		return err
	}
	return translate(postgres.BeginAudited(riskmap.NewContextWithUser(ctx, u), s.pool, func(tx pgx.Tx) error {
		where, args := channelScope(u, 2)
		var v int
		err := tx.QueryRow(ctx, `SELECT ch.version FROM notification_channels ch WHERE ch.id = $1 AND `+where+` FOR UPDATE`,
			append([]any{id}, args...)...).Scan(&v)
		if errors.Is(err, pgx.ErrNoRows) {
			return riskmap.Errorf(riskmap.ENOTFOUND, "notification channel %d not found in your areas", id)
		}
		if err != nil {
			return err
		}
		if version != nil && *version != v {
			return riskmap.Errorf(riskmap.EPRECONDITION, "channel %d is at version %d, not %d: reload it", id, v, *version)
		}
		return fn(tx)
	}))
}

// channelScope keeps channels (alias ch) to the user's areas; $next.
func channelScope(u *riskmap.User, next int) (string, []any) {
	return u.Scope().SQL("ch.area_code", next)
}

const channelSQL = `SELECT ch.id, ch.area_code, coalesce(a.name, ''), ch.level, ch.kind, ch.name, ch.url, ch.secret IS NOT NULL, ch.kinds,
	to_char(ch.digest_at, 'HH24:MI'), ch.enabled, ch.version, ch.created_at, ch.updated_at, ch.last_test_at, ch.last_test_ok, ch.last_test_error,
	(SELECT count(*) FROM notification_outbox o WHERE o.channel_id = ch.id AND o.state = 'pending'),
	(SELECT count(*) FROM notification_outbox o WHERE o.channel_id = ch.id AND o.state = 'delivered'),
	(SELECT count(*) FROM notification_outbox o WHERE o.channel_id = ch.id AND o.state = 'dead'),
	f.last_error, f.last_attempt_at,
	(SELECT max(o.delivered_at) FROM notification_outbox o WHERE o.channel_id = ch.id AND o.state = 'delivered')
  FROM notification_channels ch
  LEFT JOIN areas a ON a.code = ch.area_code
  LEFT JOIN LATERAL (SELECT o.last_error, o.last_attempt_at FROM notification_outbox o
	WHERE o.channel_id = ch.id AND o.last_error IS NOT NULL ORDER BY o.last_attempt_at DESC NULLS LAST LIMIT 1) f ON true`

func scanChannel(row pgx.Row) (Channel, error) {
	var c Channel
	var testAt *time.Time
	var testOK *bool
	var testErr *string
	err := row.Scan(&c.ID, &c.Area, &c.AreaName, &c.Level, &c.Kind, &c.Name, &c.URL, &c.SecretSet, &c.Kinds, &c.DigestAt, &c.Enabled,
		&c.Version, &c.CreatedAt, &c.UpdatedAt, &testAt, &testOK, &testErr,
		&c.Outbox.Pending, &c.Outbox.Delivered, &c.Outbox.Dead, &c.Outbox.LastError, &c.Outbox.LastFailedAt, &c.Outbox.LastDeliveredAt)
	if err != nil {
		return c, err
	}
	c.URL = MaskURL(c.URL)
	if c.Kinds == nil {
		c.Kinds = []string{}
	}
	if testAt != nil {
		c.LastTest = &TestResult{At: *testAt, OK: testOK != nil && *testOK, Error: testErr}
	}
	return c, nil
}

// Channels lists the channels of the user's areas.
func (s *Service) Channels(ctx context.Context, u *riskmap.User) ([]Channel, error) {
	if err := managesChannels(u); err != nil {
		return nil, err
	}
	where, args := channelScope(u, 1)
	rows, err := s.pool.Query(ctx, channelSQL+" WHERE "+where+" ORDER BY ch.area_code, ch.id", args...)
	if err != nil {
		return nil, fmt.Errorf("channels: %w", err)
	}
	defer rows.Close()
	out := []Channel{}
	for rows.Next() {
		c, err := scanChannel(rows)
		if err != nil {
			return nil, fmt.Errorf("channels: %w", err)
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// Channel returns one channel of the user's areas.
func (s *Service) Channel(ctx context.Context, u *riskmap.User, id int64) (Channel, error) {
	return s.channel(ctx, s.pool, u, id)
}

func (s *Service) channel(ctx context.Context, db rowQuerier, u *riskmap.User, id int64) (Channel, error) {
	if err := managesChannels(u); err != nil {
		return Channel{}, err
	}
	where, args := channelScope(u, 2)
	c, err := scanChannel(db.QueryRow(ctx, channelSQL+" WHERE ch.id = $1 AND "+where, append([]any{id}, args...)...))
	if errors.Is(err, pgx.ErrNoRows) {
		return Channel{}, riskmap.Errorf(riskmap.ENOTFOUND, "notification channel %d not found in your areas", id)
	}
	if err != nil {
		return Channel{}, fmt.Errorf("channel %d: %w", id, err)
	}
	return c, nil
}

var hhmm = regexp.MustCompile(`^([01][0-9]|2[0-3]):[0-5][0-9]$`)

// check validates a channel as it would stand (kind, url, secret and so
// on), naming every field that is wrong.
func checkChannel(kind, name, rawURL string, secret *string, kinds []string, digestAt *string) []riskmap.Detail {
	var bad []riskmap.Detail
	add := func(field string, v any, format string, args ...any) {
		bad = append(bad, riskmap.Detail{Field: field, Value: v, Message: fmt.Sprintf(format, args...)})
	}
	if !slices.Contains(ChannelKinds(), kind) {
		add("kind", kind, "want wecom (企业微信群机器人), dingtalk (钉钉机器人) or generic (JSON webhook)")
	}
	if strings.TrimSpace(name) == "" || len([]rune(name)) > 100 {
		add("name", name, "want a name of 1 to 100 characters")
	}
	if u, err := url.Parse(rawURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || len(rawURL) > 2000 {
		add("url", nil, "want the robot's http(s) webhook address")
	} else if u.User != nil {
		add("url", nil, "an address with a user name or password is not taken")
	}
	switch kind {
	case Wecom:
		if secret != nil && *secret != "" {
			add("secret", nil, "企业微信 group robots have no secret: their key is in the url")
		}
	case Generic:
		if secret == nil || len(*secret) < 16 {
			add("secret", nil, "a generic webhook needs a secret of at least 16 characters to sign its messages")
		}
	}
	if secret != nil && len(*secret) > 500 {
		add("secret", nil, "at most 500 characters")
	}
	for i, k := range kinds {
		if !isKind(k) {
			add(fmt.Sprintf("kinds[%d]", i), k, "not a kind of notification (%s)", strings.Join(KindNames(), ", "))
		}
	}
	if digestAt != nil && *digestAt != "" && !hhmm.MatchString(*digestAt) {
		add("digest_at", *digestAt, "want a time of day HH:MM (Asia/Shanghai), or empty for no digest")
	}
	return bad
}

func unprocessable(bad []riskmap.Detail) error {
	return riskmap.Errorf(riskmap.EUNPROCESSABLE, "%s: %s", bad[0].Field, bad[0].Message).WithDetails(bad...)
}

// areaLevel is the level of an office's area that may have a channel.
func areaLevel(ctx context.Context, db rowQuerier, area string) (string, error) {
	var level string
	err := db.QueryRow(ctx, "SELECT level FROM areas WHERE code = $1", area).Scan(&level)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", riskmap.Errorf(riskmap.EUNPROCESSABLE, "area: no area %s", area).WithDetails(riskmap.Detail{Field: "area", Value: area, Message: "no such area"})
	}
	if err != nil {
		return "", err
	}
	if level == "village" {
		return "", riskmap.Errorf(riskmap.EUNPROCESSABLE, "area: %s is a village: channels belong to the offices of townships, counties and the city", area).
			WithDetails(riskmap.Detail{Field: "area", Value: area, Message: "not an office's area"})
	}
	return level, nil
}

// digestDay is the day a channel's digest was last sent, as it must be
// stored when the digest time is set: today if that time has passed, so
// that the first digest goes at the next such time, not at once.
func (s *Service) digestDay(digestAt *string) *time.Time {
	if digestAt == nil || *digestAt == "" {
		return nil
	}
	now := s.cfg.Now().In(shanghai)
	if now.Format("15:04") >= *digestAt {
		d := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
		return &d
	}
	return nil
}

func nullTime(s *string) *string {
	if s == nil || *s == "" {
		return nil
	}
	return s
}

// CreateChannel adds a channel to an area the user manages.
func (s *Service) CreateChannel(ctx context.Context, u *riskmap.User, in *ChannelInput) (Channel, error) {
	if err := managesChannels(u); err != nil {
		return Channel{}, err
	}
	var bad []riskmap.Detail
	for _, f := range []struct {
		name string
		set  bool
	}{{"area", in.Area != nil}, {"kind", in.Kind != nil}, {"url", in.URL != nil}} {
		if !f.set {
			bad = append(bad, riskmap.Detail{Field: f.name, Message: "required"})
		}
	}
	if in.ID != nil {
		bad = append(bad, riskmap.Detail{Field: "id", Message: "made by the server"})
	}
	if len(bad) > 0 {
		return Channel{}, unprocessable(bad)
	}
	if !mayManage(u, *in.Area) {
		return Channel{}, riskmap.Errorf(riskmap.EFORBIDDEN, "area %s is not one you manage", *in.Area)
	}
	name := ""
	if in.Name != nil {
		name = strings.TrimSpace(*in.Name)
	}
	var kinds []string
	if in.Kinds != nil {
		kinds = *in.Kinds
	}
	var id int64
	err := postgres.BeginAudited(riskmap.NewContextWithUser(ctx, u), s.pool, func(tx pgx.Tx) error {
		level, err := areaLevel(ctx, tx, *in.Area)
		if err != nil {
			return err
		}
		if name == "" {
			name = map[string]string{Wecom: "企业微信群", Dingtalk: "钉钉群", Generic: "Webhook"}[*in.Kind]
		}
		if bad := checkChannel(*in.Kind, name, *in.URL, in.Secret, kinds, in.DigestAt); len(bad) > 0 {
			return unprocessable(bad)
		}
		if kinds == nil {
			kinds = []string{}
		}
		var secret *string
		if in.Secret != nil && *in.Secret != "" {
			secret = in.Secret
		}
		enabled := in.Enabled == nil || *in.Enabled
		return tx.QueryRow(ctx, `INSERT INTO notification_channels (area_code, level, kind, name, url, secret, kinds, digest_at, last_digest_on,
				enabled, created_by)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8::time, $9::date, $10, $11) RETURNING id`,
			*in.Area, level, *in.Kind, name, strings.TrimSpace(*in.URL), secret, kinds, nullTime(in.DigestAt), s.digestDay(in.DigestAt),
			enabled, u.ID).Scan(&id)
	})
	if err != nil {
		return Channel{}, translate(err)
	}
	return s.Channel(ctx, u, id)
}

// UpdateChannel changes what in sets; version, when given, must be the
// channel's (else 412).
func (s *Service) UpdateChannel(ctx context.Context, u *riskmap.User, id int64, in *ChannelInput, version *int) (Channel, error) {
	err := s.changeChannel(ctx, u, id, version, func(tx pgx.Tx) error {
		var area, kind, name, rawURL string
		var secret, digestAt *string
		var kinds []string
		err := tx.QueryRow(ctx, `SELECT area_code, kind, name, url, secret, kinds, to_char(digest_at, 'HH24:MI')
			FROM notification_channels WHERE id = $1`, id).Scan(&area, &kind, &name, &rawURL, &secret, &kinds, &digestAt)
		if err != nil {
			return err
		}
		if in.ID != nil && *in.ID != id {
			return unprocessable([]riskmap.Detail{{Field: "id", Value: *in.ID, Message: "is not the channel changed"}})
		}
		if in.Kind != nil && *in.Kind != kind {
			return unprocessable([]riskmap.Detail{{Field: "kind", Value: *in.Kind, Message: "a channel's kind cannot change: make a new channel"}})
		}
		level := ""
		if in.Area != nil && *in.Area != area {
			if !mayManage(u, *in.Area) {
				return riskmap.Errorf(riskmap.EFORBIDDEN, "area %s is not one you manage", *in.Area)
			}
			if level, err = areaLevel(ctx, tx, *in.Area); err != nil {
				return err
			}
			area = *in.Area
		}
		if in.Name != nil {
			name = strings.TrimSpace(*in.Name)
		}
		if in.URL != nil {
			rawURL = strings.TrimSpace(*in.URL)
		}
		if in.Secret != nil {
			secret = in.Secret
			if *secret == "" {
				secret = nil
			}
		}
		if in.Kinds != nil {
			kinds = *in.Kinds
		}
		if in.DigestAt != nil {
			digestAt = in.DigestAt
		}
		if bad := checkChannel(kind, name, rawURL, secret, kinds, digestAt); len(bad) > 0 {
			return unprocessable(bad)
		}
		if kinds == nil {
			kinds = []string{}
		}
		_, err = tx.Exec(ctx, `UPDATE notification_channels SET area_code = $2, level = coalesce(nullif($3, ''), level), name = $4, url = $5,
				secret = $6, kinds = $7, digest_at = $8::time, enabled = coalesce($9, enabled),
				last_digest_on = CASE WHEN $10 THEN $11::date ELSE last_digest_on END
			WHERE id = $1`, id, area, level, name, rawURL, secret, kinds, nullTime(digestAt), in.Enabled,
			in.DigestAt != nil, s.digestDay(digestAt))
		return err
	})
	if err != nil {
		return Channel{}, err
	}
	return s.Channel(ctx, u, id)
}

// DeleteChannel removes a channel and its undelivered messages.
func (s *Service) DeleteChannel(ctx context.Context, u *riskmap.User, id int64, version *int) error {
	return s.changeChannel(ctx, u, id, version, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `DELETE FROM notification_channels WHERE id = $1`, id)
		return err
	})
}

func translate(err error) error {
	if err == nil {
		return nil
	}
	var e *riskmap.Error
	if errors.As(err, &e) {
		return e
	}
	return postgres.Translate(err)
}

// TestChannel sends a test message to the channel now (not through the
// outbox) and records the outcome.
func (s *Service) TestChannel(ctx context.Context, u *riskmap.User, id int64) (TestResult, error) {
	c, err := s.Channel(ctx, u, id)
	if err != nil {
		return TestResult{}, err
	}
	var rawURL string
	var secret *string
	if err := s.pool.QueryRow(ctx, `SELECT url, secret FROM notification_channels WHERE id = $1`, id).Scan(&rawURL, &secret); err != nil {
		return TestResult{}, fmt.Errorf("channel %d: %w", id, err)
	}
	now := s.cfg.Now()
	m := message{Kind: "test", Title: "测试消息：" + c.AreaName + "「" + c.Name + "」已接通应急风险一张图",
		Lines: []string{"这是应急风险一张图发出的测试消息，收到即表示配置正确。", "发送人：" + u.Name(),
			"发送时间：" + now.In(shanghai).Format("2006-01-02 15:04")},
		Link: s.cfg.PublicURL + "/", At: now}
	body, err := render(c.Kind, m)
	if err != nil {
		return TestResult{}, err
	}
	res := TestResult{At: now, OK: true}
	if err := s.send(ctx, c.Kind, rawURL, secret, "test", 0, []byte(body)); err != nil {
		msg := clip(err.Error(), 500)
		res.OK, res.Error = false, &msg
	}
	if _, err := s.pool.Exec(ctx, `UPDATE notification_channels SET last_test_at = $2, last_test_ok = $3, last_test_error = $4 WHERE id = $1`,
		id, res.At, res.OK, res.Error); err != nil {
		return TestResult{}, fmt.Errorf("channel %d: %w", id, err)
	}
	return res, nil
}

// MaskURL shows where a robot's address goes without its key: the values
// of the query (企业微信 key, 钉钉 access_token) and long path segments
// keep their first four characters.
func MaskURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return ""
	}
	mask := func(v string) string {
		if len(v) <= 4 {
			return "****"
		}
		return v[:4] + "****"
	}
	segs := strings.Split(u.Path, "/")
	for i, p := range segs {
		if len(p) >= 16 {
			segs[i] = mask(p)
		}
	}
	out := u.Scheme + "://" + u.Host + strings.Join(segs, "/")
	if u.RawQuery != "" {
		var parts []string
		for _, kv := range strings.Split(u.RawQuery, "&") {
			k, v, _ := strings.Cut(kv, "=")
			parts = append(parts, k+"="+mask(v))
		}
		out += "?" + strings.Join(parts, "&")
	}
	return out
}
