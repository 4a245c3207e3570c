package notify

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Channel kinds and the bodies they are sent, after the robots' published
// formats (checked against the published examples in robots_test.go):
//   - wecom, the 企业微信 group robot: POST the webhook URL (its key in the
//     query) {"msgtype":"markdown","markdown":{"content":…}}, content at
//     most 4096 bytes of UTF-8; answers {"errcode":0,"errmsg":"ok"};
//   - dingtalk, the 钉钉 custom robot: {"msgtype":"markdown","markdown":
//     {"title":…,"text":…},"at":{…}}; with 加签, the URL also carries
//     timestamp (ms) and sign = Base64(HMAC-SHA256(secret,
//     timestamp+"\n"+secret)), URL-encoded; answers errcode 0 too;
//   - generic: a JSON document of our own (below), signed in the header
//     X-Riskmap-Signature: sha256=<hex HMAC-SHA256 of the body with the
//     channel's secret>; any 2xx is delivered.
const (
	Wecom    = "wecom"
	Dingtalk = "dingtalk"
	Generic  = "generic"
)

// ChannelKinds lists the channel kinds.
func ChannelKinds() []string { return []string{Wecom, Dingtalk, Generic} }

// maxMarkdown keeps a robot's markdown under the 4096 bytes 企业微信 takes.
const maxMarkdown = 3800

// render is the request body of m for a channel of kind.
func render(kind string, m message) (string, error) {
	var v any
	switch kind {
	case Wecom:
		v = map[string]any{"msgtype": "markdown", "markdown": map[string]string{"content": markdown(m, "\n", "> ")}}
	case Dingtalk:
		v = map[string]any{"msgtype": "markdown",
			"markdown": map[string]string{"title": clip(m.Title, 60), "text": markdown(m, "\n\n", "> ")},
			"at":       map[string]any{"atMobiles": []string{}, "atUserIds": []string{}, "isAtAll": false}}
	case Generic:
		v = genericBody(m)
	default:
		return "", fmt.Errorf("notify: unknown channel kind %q", kind)
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return "", err
	}
	return strings.TrimRight(b.String(), "\n"), nil
}

// markdown writes m in the markdown both robots read: a bold title, the
// facts quoted, the list numbered, the link last; nl is the robot's line
// break (钉钉 wants a blank line).
func markdown(m message, nl, quote string) string {
	var b strings.Builder
	b.WriteString("**" + mdEscape(m.Title) + "**")
	for _, l := range m.Lines {
		b.WriteString(nl + quote + mdEscape(l))
	}
	if len(m.Items) > 1 {
		for i, it := range m.Items {
			line := fmt.Sprintf("%s%d. %s", nl, i+1, mdEscape(itemLine(it)))
			if it.URL != "" {
				line += " [查看](" + it.URL + ")"
			}
			if b.Len()+len(line) > maxMarkdown-200 {
				m.More += len(m.Items) - i
				break
			}
			b.WriteString(line)
		}
		if m.More > 0 {
			fmt.Fprintf(&b, "%s另有%d项未列出", nl, m.More)
		}
	}
	if m.Link != "" {
		label := "查看详情"
		if len(m.Items) == 1 && m.Items[0].CaseID != "" {
			label = "查看案件"
		} else if len(m.Items) > 1 || m.Kind == "digest" {
			label = "打开案件看板"
		}
		b.WriteString(nl + "[" + label + "](" + m.Link + ")")
	}
	return b.String()
}

// itemLine is one line of a summary.
func itemLine(it item) string {
	if it.CaseID == "" {
		if it.Body != "" {
			return it.Title + "：" + it.Body
		}
		return it.Title
	}
	s := it.CategoryName
	if it.Grade == "major" {
		s += "（重大）"
	}
	g := it.GridName
	if g == "" {
		g = it.GridCode
	}
	s += " · " + g
	if it.Deadline != nil {
		s += " · 期限" + it.Deadline.In(shanghai).Format("01-02 15:04")
	}
	return s + "：" + it.Description
}

// mdEscape keeps text from being read as markup (links, emphasis, tags).
func mdEscape(s string) string {
	return strings.NewReplacer("*", "＊", "[", "［", "]", "］", "<", "＜", ">", "＞", "`", "'", "\n", " ").Replace(s)
}

// genericBody is the generic webhook's document.
func genericBody(m message) map[string]any {
	items := m.Items
	if items == nil {
		items = []item{}
	}
	lines := append([]string{m.Title}, m.Lines...)
	doc := map[string]any{
		"kind": m.Kind, "label": kindLabel(m.Kind), "title": m.Title, "text": strings.Join(lines, "\n"),
		"url": m.Link, "items": items, "more": m.More, "created_at": m.At.UTC().Format(time.RFC3339),
	}
	if m.Level > 0 {
		doc["level"] = m.Level
	}
	return doc
}

// dingtalkSign is 钉钉's 加签: Base64(HMAC-SHA256(secret, timestamp+"\n"+
// secret)) for the timestamp in milliseconds.
func dingtalkSign(secret string, ms int64) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(strconv.FormatInt(ms, 10) + "\n" + secret))
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

// dingtalkURL adds the timestamp and signature to a 钉钉 webhook URL.
func dingtalkURL(raw, secret string, at time.Time) (string, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return "", err
	}
	ms := at.UnixMilli()
	q := u.Query()
	q.Set("timestamp", strconv.FormatInt(ms, 10))
	q.Set("sign", dingtalkSign(secret, ms))
	u.RawQuery = q.Encode()
	return u.String(), nil
}

// Signature is the generic webhook's X-Riskmap-Signature header for body:
// "sha256=" and the hex HMAC-SHA256 of the body with the secret.
func Signature(secret string, body []byte) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write(body)
	return "sha256=" + hex.EncodeToString(mac.Sum(nil))
}
