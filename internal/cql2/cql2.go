// Package cql2 parses the Basic CQL2 subset of OGC's Common Query Language
// in its text encoding (OGC 21-065): comparisons of a property with a
// literal (= <> < > <= >=), IS [NOT] NULL, AND, OR, NOT and parentheses.
// Literals are 'strings' (” escapes a quote), numbers, TRUE and FALSE,
// DATE('…') and TIMESTAMP('…'). It only parses: the caller decides which
// properties exist and turns the tree into SQL with parameters.
package cql2

import (
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode"
)

// Kind of a literal.
type Kind int

const (
	String Kind = iota
	Number
	Boolean
	Date
	Timestamp
)

// Literal is a constant of the expression.
type Literal struct {
	Kind Kind
	Text string    // String
	Num  float64   // Number
	Bool bool      // Boolean
	Time time.Time // Date, Timestamp
}

// Expr is a node of the tree: exactly one of its forms is set.
type Expr struct {
	// And, Or: two or more operands; Not: one.
	And, Or []*Expr
	Not     *Expr
	// Comparison: Property Op Value (a literal on the left is turned
	// around, 3 > x becoming x < 3).
	Property string
	Op       string // = <> < > <= >=, or "IS NULL", "IS NOT NULL"
	Value    Literal
}

// Error is a syntax error at a byte offset of the text.
type Error struct {
	Pos int
	Msg string
}

func (e *Error) Error() string { return fmt.Sprintf("at character %d: %s", e.Pos+1, e.Msg) }

// MaxLength bounds the text, MaxDepth its nesting.
const (
	MaxLength = 4000
	MaxDepth  = 20
)

// Parse reads a Basic CQL2 text expression.
func Parse(text string) (*Expr, error) {
	if len(text) > MaxLength {
		return nil, &Error{0, fmt.Sprintf("longer than %d characters", MaxLength)}
	}
	toks, err := lex(text)
	if err != nil {
		return nil, err
	}
	p := &parser{toks: toks}
	e, err := p.or(0)
	if err != nil {
		return nil, err
	}
	if t := p.peek(); t.kind != tEOF {
		return nil, &Error{t.pos, fmt.Sprintf("unexpected %q", t.text)}
	}
	return e, nil
}

type tokKind int

const (
	tEOF tokKind = iota
	tIdent
	tString
	tNumber
	tOp
	tLParen
	tRParen
)

type token struct {
	kind tokKind
	text string
	pos  int
}

func lex(s string) ([]token, error) {
	var out []token
	i := 0
	for i < len(s) {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
		case c == '(':
			out = append(out, token{tLParen, "(", i})
			i++
		case c == ')':
			out = append(out, token{tRParen, ")", i})
			i++
		case c == '\'':
			var b strings.Builder
			j := i + 1
			for {
				if j >= len(s) {
					return nil, &Error{i, "a string is not closed"}
				}
				if s[j] == '\'' {
					if j+1 < len(s) && s[j+1] == '\'' {
						b.WriteByte('\'')
						j += 2
						continue
					}
					break
				}
				b.WriteByte(s[j])
				j++
			}
			out = append(out, token{tString, b.String(), i})
			i = j + 1
		case c == '"':
			j := strings.IndexByte(s[i+1:], '"')
			if j < 0 {
				return nil, &Error{i, "a quoted property name is not closed"}
			}
			out = append(out, token{tIdent, s[i+1 : i+1+j], i})
			i += j + 2
		case c == '=':
			out = append(out, token{tOp, "=", i})
			i++
		case c == '<' || c == '>':
			op := string(c)
			if i+1 < len(s) && (s[i+1] == '=' || (c == '<' && s[i+1] == '>')) {
				op += string(s[i+1])
			}
			out = append(out, token{tOp, op, i})
			i += len(op)
		case c == '-' || c == '+' || c == '.' || (c >= '0' && c <= '9'):
			j := i + 1
			for j < len(s) && (s[j] >= '0' && s[j] <= '9' || s[j] == '.' || s[j] == 'e' || s[j] == 'E' ||
				((s[j] == '-' || s[j] == '+') && (s[j-1] == 'e' || s[j-1] == 'E'))) {
				j++
			}
			out = append(out, token{tNumber, s[i:j], i})
			i = j
		default:
			r := rune(c)
			if !(unicode.IsLetter(r) || c == '_' || c >= 0x80) {
				return nil, &Error{i, fmt.Sprintf("unexpected %q", string(c))}
			}
			j := i
			for j < len(s) && (s[j] == '_' || s[j] == '.' || s[j] == ':' || s[j] >= 0x80 ||
				unicode.IsLetter(rune(s[j])) || unicode.IsDigit(rune(s[j]))) {
				j++
			}
			out = append(out, token{tIdent, s[i:j], i})
			i = j
		}
	}
	return append(out, token{tEOF, "", len(s)}), nil
}

type parser struct {
	toks []token
	i    int
}

func (p *parser) peek() token { return p.toks[p.i] }
func (p *parser) next() token { t := p.toks[p.i]; p.i++; return t }

func (p *parser) keyword(words ...string) bool {
	for k, w := range words {
		t := p.toks[min(p.i+k, len(p.toks)-1)]
		if t.kind != tIdent || !strings.EqualFold(t.text, w) {
			return false
		}
	}
	p.i += len(words)
	return true
}

func (p *parser) or(depth int) (*Expr, error) {
	if depth > MaxDepth {
		return nil, &Error{p.peek().pos, fmt.Sprintf("nested more than %d deep", MaxDepth)}
	}
	e, err := p.and(depth)
	if err != nil {
		return nil, err
	}
	ops := []*Expr{e}
	for p.keyword("OR") {
		e, err := p.and(depth)
		if err != nil {
			return nil, err
		}
		ops = append(ops, e)
	}
	if len(ops) == 1 {
		return ops[0], nil
	}
	return &Expr{Or: ops}, nil
}

func (p *parser) and(depth int) (*Expr, error) {
	e, err := p.not(depth)
	if err != nil {
		return nil, err
	}
	ops := []*Expr{e}
	for p.keyword("AND") {
		e, err := p.not(depth)
		if err != nil {
			return nil, err
		}
		ops = append(ops, e)
	}
	if len(ops) == 1 {
		return ops[0], nil
	}
	return &Expr{And: ops}, nil
}

func (p *parser) not(depth int) (*Expr, error) {
	if p.keyword("NOT") {
		e, err := p.not(depth + 1)
		if err != nil {
			return nil, err
		}
		return &Expr{Not: e}, nil
	}
	if p.peek().kind == tLParen {
		p.next()
		e, err := p.or(depth + 1)
		if err != nil {
			return nil, err
		}
		if t := p.next(); t.kind != tRParen {
			return nil, &Error{t.pos, "want )"}
		}
		return e, nil
	}
	return p.predicate()
}

var flip = map[string]string{"=": "=", "<>": "<>", "<": ">", ">": "<", "<=": ">=", ">=": "<="}

func (p *parser) predicate() (*Expr, error) {
	start := p.peek()
	leftProp, left, err := p.operand()
	if err != nil {
		return nil, err
	}
	if p.keyword("IS", "NOT", "NULL") || p.keyword("IS", "NULL") {
		if leftProp == "" {
			return nil, &Error{start.pos, "IS NULL needs a property name on its left"}
		}
		op := "IS NULL"
		if strings.EqualFold(p.toks[p.i-2].text, "NOT") {
			op = "IS NOT NULL"
		}
		return &Expr{Property: leftProp, Op: op}, nil
	}
	opTok := p.next()
	if opTok.kind != tOp {
		return nil, &Error{opTok.pos, fmt.Sprintf("want a comparison (= <> < > <= >=) or IS NULL, got %q", opTok.text)}
	}
	if _, ok := flip[opTok.text]; !ok {
		return nil, &Error{opTok.pos, fmt.Sprintf("unknown operator %q", opTok.text)}
	}
	rightTok := p.peek()
	rightProp, right, err := p.operand()
	if err != nil {
		return nil, err
	}
	switch {
	case leftProp != "" && rightProp == "":
		return &Expr{Property: leftProp, Op: opTok.text, Value: right}, nil
	case leftProp == "" && rightProp != "":
		return &Expr{Property: rightProp, Op: flip[opTok.text], Value: left}, nil
	case leftProp != "":
		return nil, &Error{rightTok.pos, "comparing two properties is not supported: compare a property with a literal"}
	}
	return nil, &Error{start.pos, "a comparison needs a property name on one side"}
}

// operand reads a property name (returned as prop) or a literal.
func (p *parser) operand() (prop string, lit Literal, err error) {
	t := p.next()
	switch t.kind {
	case tString:
		return "", Literal{Kind: String, Text: t.text}, nil
	case tNumber:
		x, err := strconv.ParseFloat(t.text, 64)
		if err != nil {
			return "", lit, &Error{t.pos, fmt.Sprintf("%q is not a number", t.text)}
		}
		return "", Literal{Kind: Number, Num: x}, nil
	case tIdent:
		switch strings.ToUpper(t.text) {
		case "TRUE", "FALSE":
			return "", Literal{Kind: Boolean, Bool: strings.EqualFold(t.text, "TRUE")}, nil
		case "DATE", "TIMESTAMP":
			if p.peek().kind != tLParen {
				break
			}
			p.next()
			s := p.next()
			if s.kind != tString || p.next().kind != tRParen {
				return "", lit, &Error{s.pos, fmt.Sprintf("want %s('…')", strings.ToUpper(t.text))}
			}
			if strings.EqualFold(t.text, "DATE") {
				d, err := time.Parse(time.DateOnly, s.text)
				if err != nil {
					return "", lit, &Error{s.pos, fmt.Sprintf("DATE(%q): want YYYY-MM-DD", s.text)}
				}
				return "", Literal{Kind: Date, Time: d}, nil
			}
			ts, err := time.Parse(time.RFC3339Nano, s.text)
			if err != nil {
				return "", lit, &Error{s.pos, fmt.Sprintf("TIMESTAMP(%q): want RFC 3339, e.g. 2026-01-02T08:00:00Z", s.text)}
			}
			return "", Literal{Kind: Timestamp, Time: ts}, nil
		case "AND", "OR", "NOT", "IS", "NULL":
			return "", lit, &Error{t.pos, fmt.Sprintf("unexpected %s", strings.ToUpper(t.text))}
		}
		return t.text, lit, nil
	case tEOF:
		return "", lit, &Error{t.pos, "the expression ends too soon"}
	}
	return "", lit, &Error{t.pos, fmt.Sprintf("unexpected %q", t.text)}
}
