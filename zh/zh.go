// Package zh words the API's error messages in Chinese for the people who
// read them in the web app. The domain packages write their messages in
// English for logs, scripts and QGIS users; an API answer to a request that
// prefers Chinese (Accept-Language: zh…) carries the Chinese instead,
// wherever the catalogue has the message. A message not in it stays as it
// is, and the web app says what its error code means instead, so nothing
// English reaches the screen either way.
//
// The catalogue is keyed by the messages' format strings (as written in
// riskmap.Errorf and the packages' helpers, with their "field: " and
// "parameter NAME: " prefixes): a message matches the entry whose format
// renders it, and the values it was made of go into the Chinese in order,
// the known codes among them (roles, states, actions, fields) in words.
package zh

import (
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"riskmap"
)

// Message returns the Chinese of an English message, and whether the
// catalogue had it. A message that names its field first ("parameter
// limit: …", "properties.description: …") is worded as the field's name
// and the rest.
func Message(en string) (string, bool) {
	if m := prefixed.FindStringSubmatch(en); m != nil {
		name, ok := fieldName(m[2])
		if rest, found := whole(m[3]); ok && found {
			return name + "：" + rest, true
		}
	}
	if s, ok := whole(en); ok {
		return s, true
	}
	return en, false
}

// Error words an API error's message and details; those the catalogue
// lacks stay as they are. A message made of its details' ("a: …; b: …")
// is made again from theirs when every one of them is known.
func Error(message string, details []riskmap.Detail) (string, []riskmap.Detail) {
	out := make([]riskmap.Detail, len(details))
	parts := make([]string, 0, len(details))
	all := len(details) > 0
	for i, d := range details {
		out[i] = d
		m, ok := Message(d.Message)
		if !ok {
			all = false
			continue
		}
		out[i].Message = m
		if name, known := fieldName(d.Field); known && !strings.HasPrefix(m, name+"：") {
			m = name + "：" + m
		}
		parts = append(parts, m)
	}
	if m, ok := Message(message); ok {
		return m, out
	}
	if all {
		return strings.Join(parts, "；"), out
	}
	return message, out
}

func whole(en string) (string, bool) {
	for _, e := range compiled {
		if m := e.re.FindStringSubmatch(en); m != nil {
			return e.render(m[1:]), true
		}
	}
	if s, ok := words[en]; ok {
		return s, true
	}
	return "", false
}

// prefixed is a message that names its field or parameter first.
var prefixed = regexp.MustCompile(`^(parameter )?([A-Za-z_][A-Za-z0-9_.,\[\]]*): (.+)$`)

// index is a list field's position: attachments[2].
var index = regexp.MustCompile(`^(.+)\[(\d+)\]$`)

// fieldName is a field as people call it, if known.
func fieldName(f string) (string, bool) {
	if w, ok := words[f]; ok {
		return w, true
	}
	if m := index.FindStringSubmatch(f); m != nil {
		if w, ok := words[m[1]]; ok {
			n, _ := strconv.Atoi(m[2])
			return fmt.Sprintf("第 %d 项%s", n+1, w), true
		}
	}
	return "", false
}

type compiledEntry struct {
	re  *regexp.Regexp
	zh  string
	lit int // the length of the format's literal text: the most specific first
}

// compiled is built once from the catalogue, longest literal first, and
// never changed.
var compiled = compile(catalogue)

// verb matches a fmt verb of the formats used: %s %d %q %v and %.Nf, with
// an optional explicit argument index.
var verb = regexp.MustCompile(`%(\[\d+\])?(\.\d+)?[sdqvf]|%%`)

func compile(entries []entry) []compiledEntry {
	out := make([]compiledEntry, 0, len(entries))
	for _, e := range entries {
		var b strings.Builder
		b.WriteString("^")
		lit := 0
		rest := e.en
		for {
			loc := verb.FindStringIndex(rest)
			if loc == nil {
				b.WriteString(regexp.QuoteMeta(rest))
				lit += len(rest)
				break
			}
			b.WriteString(regexp.QuoteMeta(rest[:loc[0]]))
			lit += loc[0]
			v := rest[loc[0]:loc[1]]
			switch {
			case v == "%%":
				b.WriteString("%")
			case strings.HasSuffix(v, "q"):
				b.WriteString(`("(?:[^"\\]|\\.)*")`)
			case strings.HasSuffix(v, "d"):
				b.WriteString(`(-?\d+)`)
			case strings.HasSuffix(v, "f"):
				b.WriteString(`(-?\d+(?:\.\d+)?)`)
			default:
				b.WriteString(`(.+?)`)
			}
			rest = rest[loc[1]:]
		}
		b.WriteString("$")
		out = append(out, compiledEntry{re: regexp.MustCompile(b.String()), zh: e.zh, lit: lit})
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].lit > out[j].lit })
	return out
}

// placeholder is {1}, {2}… in the Chinese: the format's values in order.
var placeholder = regexp.MustCompile(`\{(\d)\}`)

func (e compiledEntry) render(values []string) string {
	return placeholder.ReplaceAllStringFunc(e.zh, func(p string) string {
		i, _ := strconv.Atoi(p[1 : len(p)-1])
		if i < 1 || i > len(values) {
			return p
		}
		return value(values[i-1])
	})
}

// value words one value of a message: a quoted string in Chinese quotes, a
// known code (role, state, action, field…) by its name, a list of them by
// theirs.
func value(v string) string {
	if len(v) >= 2 && v[0] == '"' && v[len(v)-1] == '"' {
		if s, err := strconv.Unquote(v); err == nil {
			if w, ok := words[s]; ok {
				return "“" + w + "”"
			}
			return "“" + s + "”"
		}
	}
	if w, ok := words[v]; ok {
		return w
	}
	if strings.Contains(v, ", ") {
		parts := strings.Split(v, ", ")
		all := true
		for i, p := range parts {
			w, ok := words[p]
			if !ok {
				all = false
				break
			}
			parts[i] = w
		}
		if all {
			return strings.Join(parts, "、")
		}
	}
	return v
}
