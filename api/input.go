package api

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"mime"
	"mime/multipart"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/gin-gonic/gin"

	"riskmap"
)

// Text that PostgreSQL cannot store, or that a client did not mean,
// never reaches a handler: checkInput refuses, with a 400 naming the
// parameter or JSON field, a path, query or JSON body holding a NUL
// character (\u0000, which a text column refuses) or bytes that are not
// UTF-8 (which encoding/json would silently turn into U+FFFD), and a query
// string that is not well formed. A multipart body cannot be read ahead
// (a file may be large): its handler reads each text field with formField,
// the same rule, and an uploaded file's name goes through
// cases.CleanFilename; import files are the importers' to check.

// checkInput is the middleware; every route passes it (the tile handler
// calls checkRequestText itself).
func (s *Server) checkInput() gin.HandlerFunc {
	return func(c *gin.Context) {
		if err := checkRequestText(c.Request); err != nil {
			s.fail(c, err)
			return
		}
		if err := s.checkJSONBody(c); err != nil {
			s.fail(c, err)
			return
		}
		c.Next()
	}
}

// checkRequestText refuses a path or query holding a NUL or bytes that are
// not UTF-8, naming the path or parameter, and a malformed query string.
func checkRequestText(r *http.Request) error {
	if err := checkText("path", r.URL.Path); err != nil {
		return err
	}
	if r.URL.RawQuery == "" {
		return nil
	}
	q, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return riskmap.Errorf(riskmap.EINVALID, "query string: %v", err)
	}
	for _, k := range slices.Sorted(maps.Keys(q)) {
		if err := checkText("parameter name", k); err != nil {
			return err
		}
		for _, v := range q[k] {
			if err := checkText(k, v); err != nil {
				return err
			}
		}
	}
	return nil
}

// checkText refuses a NUL character or bytes that are not UTF-8.
func checkText(field, v string) error {
	msg := ""
	switch {
	case !utf8.ValidString(v):
		msg = "not valid UTF-8 text"
	case strings.IndexByte(v, 0) >= 0:
		msg = "contains a NUL character (\\u0000), which is not allowed"
	default:
		return nil
	}
	return riskmap.Errorf(riskmap.EINVALID, "%s: %s", field, msg).
		WithDetails(riskmap.Detail{Field: field, Message: msg})
}

// checkJSONBody reads a JSON body (whatever it claims to be, unless it is
// multipart or an import upload), refuses one with a NUL or bytes that are
// not UTF-8 in it, and puts it back for the handler.
func (s *Server) checkJSONBody(c *gin.Context) error {
	r := c.Request
	if r.Body == nil || r.Body == http.NoBody || r.Method == http.MethodGet || r.Method == http.MethodHead {
		return nil
	}
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); strings.HasPrefix(mt, "multipart/") || c.FullPath() == importsRoute {
		return nil
	}
	body, err := io.ReadAll(r.Body)
	r.Body = io.NopCloser(bytes.NewReader(body))
	if err != nil {
		return err
	}
	if t := bytes.TrimLeft(body, " \t\r\n"); len(t) == 0 || (t[0] != '{' && t[0] != '[') {
		return nil // not JSON: the handler says what it wanted
	}
	return jsonBodyProblem(body)
}

// formField reads a multipart body's text field (a part that is not a
// file: a JSON document such as a proposal or a patrol, an option, a
// client id), at most max bytes, and refuses it as checkInput refuses a
// JSON body or a query value: a NUL or bytes that are not UTF-8, with a
// 400 naming the field (and, in JSON, the member: proposal.name). Every
// multipart handler reads its text fields with it.
func formField(part *multipart.Part, max int64) ([]byte, error) {
	name := part.FormName()
	if err := checkText("multipart field name", name); err != nil {
		return nil, err
	}
	b, err := io.ReadAll(io.LimitReader(part, max+1))
	if err != nil {
		return nil, riskmap.Errorf(riskmap.EINVALID, "multipart body: %v", err)
	}
	if int64(len(b)) > max {
		msg := fmt.Sprintf("longer than %d bytes", max)
		return nil, riskmap.Errorf(riskmap.ETOOLARGE, "%s: %s", name, msg).WithDetails(riskmap.Detail{Field: name, Message: msg})
	}
	if t := bytes.TrimLeft(b, " \t\r\n"); len(t) > 0 && (t[0] == '{' || t[0] == '[') {
		return b, jsonProblemIn(name, b)
	}
	return b, checkText(name, string(b))
}

// jsonBodyProblem names the field of a JSON body holding a NUL or bytes
// that are not UTF-8, if any does; a quick look first, the walk only then.
func jsonBodyProblem(body []byte) error { return jsonProblemIn("", body) }

// jsonProblemIn is jsonBodyProblem for a JSON document named root (a
// multipart field; "": the body).
func jsonProblemIn(root string, body []byte) error {
	bad := -1
	if !utf8.Valid(body) {
		for i := 0; i < len(body); {
			r, n := utf8.DecodeRune(body[i:])
			if r == utf8.RuneError && n <= 1 {
				bad = i
				break
			}
			i += n
		}
	}
	if bad < 0 && !bytes.Contains(body, []byte(`\u0000`)) {
		return nil
	}
	return jsonTextProblem(root, body, bad)
}

// jsonTextProblem walks the body's tokens to name the field holding the
// NUL (or, at byte offset bad, the bytes that are not UTF-8).
func jsonTextProblem(root string, body []byte, bad int) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	type frame struct {
		array bool
		index int
		key   string
	}
	var stack []frame
	path := func() string {
		var b strings.Builder
		for _, f := range stack {
			switch {
			case f.array:
				fmt.Fprintf(&b, "[%d]", f.index)
			case f.key != "":
				if b.Len() > 0 {
					b.WriteByte('.')
				}
				b.WriteString(f.key)
			}
		}
		switch {
		case root == "" && b.Len() == 0:
			return "body"
		case root == "" || b.Len() == 0:
			return root + b.String()
		case strings.HasPrefix(b.String(), "["):
			return root + b.String()
		}
		return root + "." + b.String()
	}
	expectKey := func() bool { return len(stack) > 0 && !stack[len(stack)-1].array && stack[len(stack)-1].key == "" }
	// after a value inside an object, the next string is a key again
	valueDone := func() {
		if len(stack) == 0 {
			return
		}
		top := &stack[len(stack)-1]
		if top.array {
			top.index++
		} else {
			top.key = ""
		}
	}
	for {
		before := dec.InputOffset()
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			break // malformed: the handler reports it in its own words
		}
		if bad >= 0 && bad >= int(before) && bad < int(dec.InputOffset()) {
			field := path()
			if s, ok := tok.(string); ok && expectKey() {
				field = strings.TrimPrefix(path()+"."+s, ".")
			}
			return checkText(field, "\xff")
		}
		switch t := tok.(type) {
		case json.Delim:
			switch t {
			case '{':
				stack = append(stack, frame{})
			case '[':
				stack = append(stack, frame{array: true})
			default:
				stack = stack[:len(stack)-1]
				valueDone()
			}
		case string:
			if expectKey() {
				if strings.IndexByte(t, 0) >= 0 {
					return checkText(strings.TrimPrefix(path()+"."+strconv.Quote(t), "."), t)
				}
				stack[len(stack)-1].key = t
				continue
			}
			if strings.IndexByte(t, 0) >= 0 {
				return checkText(path(), t)
			}
			valueDone()
		default:
			valueDone()
		}
	}
	if bad >= 0 {
		return checkText(cmp.Or(root, "body"), "\xff")
	}
	return nil // an escaped backslash before u0000: no NUL after all
}

// strictQuery refuses, with a 400 naming them, query parameters a route
// does not read, as OGC API - Features does: a misspelt filter
// (?stat=closed) silently ignored would answer with everything. Register
// it before the handler: r.GET(path, s.strictQuery("bbox", "limit"), h).
func (s *Server) strictQuery(allowed ...string) gin.HandlerFunc {
	return func(c *gin.Context) {
		var unknown []string
		for k := range c.Request.URL.Query() {
			if !slices.Contains(allowed, k) {
				unknown = append(unknown, k)
			}
		}
		if len(unknown) == 0 {
			c.Next()
			return
		}
		slices.Sort(unknown)
		e := riskmap.Errorf(riskmap.EINVALID, "unknown query parameter(s) %s; this route takes: %s",
			strings.Join(unknown, ", "), strings.Join(allowed, ", "))
		for _, k := range unknown {
			e = e.WithDetails(riskmap.Detail{Field: k, Message: "unknown parameter"})
		}
		s.fail(c, e)
	}
}
