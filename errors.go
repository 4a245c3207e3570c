// Package riskmap holds the domain's shared vocabulary: the error type that
// every layer returns and the API maps to an HTTP status in one place
// (errors.go), the acting user (user.go), roles (roles.go) and the scope a
// user may see with the one rule that turns it into SQL (scope.go).
package riskmap

import (
	"errors"
	"fmt"
	"time"
)

// Error codes. Each maps to exactly one HTTP status in api/errors.go.
const (
	EINVALID       = "invalid"             // malformed request: 400
	EUNPROCESSABLE = "unprocessable"       // well-formed but breaks a rule: 422
	ENOTFOUND      = "not_found"           // 404
	ECONFLICT      = "conflict"            // illegal state change or duplicate: 409
	EPRECONDITION  = "precondition_failed" // stale If-Match: 412
	EUNAUTHORIZED  = "unauthorized"        // 401
	EFORBIDDEN     = "forbidden"           // 403
	ETOOLARGE      = "too_large"           // 413
	ETOOMANY       = "too_many_requests"   // 429
	EUNAVAILABLE   = "unavailable"         // 503
	EINTERNAL      = "internal"            // 500
)

// EINSUFFICIENTSTORAGE: the server has no room left to keep what was sent
// (the attachment store is full): 507.
const EINSUFFICIENTSTORAGE = "insufficient_storage"

// Detail names one problem precisely: the field (a JSON path or column),
// the row of an import, the offending value.
type Detail struct {
	Field   string `json:"field,omitempty"`
	Row     int    `json:"row,omitempty"`
	Value   any    `json:"value,omitempty"`
	Message string `json:"message"`
}

// Error is the application error. Message is safe to show to users; Err, if
// set, is the underlying cause for logs.
type Error struct {
	Code    string
	Message string
	Details []Detail
	Err     error
	// RetryAfter, when set, says how long the client should wait before
	// trying again (429, 503: the Retry-After header).
	RetryAfter time.Duration
}

func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%s: %s: %v", e.Code, e.Message, e.Err)
	}
	return fmt.Sprintf("%s: %s", e.Code, e.Message)
}

func (e *Error) Unwrap() error { return e.Err }

// Errorf returns an *Error with the given code and formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// WithDetails returns e with details appended.
func (e *Error) WithDetails(d ...Detail) *Error {
	e.Details = append(e.Details, d...)
	return e
}

// WithRetryAfter returns e saying how long to wait before trying again.
func (e *Error) WithRetryAfter(d time.Duration) *Error {
	e.RetryAfter = d
	return e
}

// ErrorRetryAfter returns how long err says to wait, or 0.
func ErrorRetryAfter(err error) time.Duration {
	var e *Error
	if errors.As(err, &e) {
		return e.RetryAfter
	}
	return 0
}

// ErrorCode returns the code of the first *Error in err's chain, or EINTERNAL.
func ErrorCode(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	if err == nil {
		return ""
	}
	return EINTERNAL
}

// ErrorMessage returns the user-facing message of err, hiding internals.
func ErrorMessage(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Message
	}
	return "internal error"
}

// ErrorDetails returns the details of the first *Error in err's chain.
func ErrorDetails(err error) []Detail {
	var e *Error
	if errors.As(err, &e) {
		return e.Details
	}
	return nil
}
