package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"riskmap"
	"riskmap/zh"
)

// statusOf is the one place where application error codes become HTTP
// statuses.
func statusOf(code string) int {
	switch code {
	case riskmap.EINVALID:
		return http.StatusBadRequest
	case riskmap.EUNPROCESSABLE:
		return http.StatusUnprocessableEntity
	case riskmap.ENOTFOUND:
		return http.StatusNotFound
	case riskmap.ECONFLICT:
		return http.StatusConflict
	case riskmap.EPRECONDITION:
		return http.StatusPreconditionFailed
	case riskmap.EUNAUTHORIZED:
		return http.StatusUnauthorized
	case riskmap.EFORBIDDEN:
		return http.StatusForbidden
	case riskmap.ETOOLARGE:
		return http.StatusRequestEntityTooLarge
	case riskmap.ETOOMANY:
		return http.StatusTooManyRequests
	case riskmap.EUNAVAILABLE:
		return http.StatusServiceUnavailable
	case riskmap.EINSUFFICIENTSTORAGE:
		return http.StatusInsufficientStorage
	}
	return http.StatusInternalServerError
}

type errorBody struct {
	Error struct {
		Code    string           `json:"code"`
		Message string           `json:"message"`
		Details []riskmap.Detail `json:"details,omitempty"`
	} `json:"error"`
}

// fail writes err as the API's JSON error and stops the handler chain.
func (s *Server) fail(c *gin.Context, err error) {
	var body *recordingBody
	if b, ok := c.Get(bodyKey); ok {
		body = b.(*recordingBody)
	}
	s.writeError(c.Writer, c.Request, c.GetString(requestIDKey), body, err)
	c.Abort()
}

// writeError writes err as the API's JSON error and returns its status and
// size; the one place an error becomes an answer, for the router's routes
// and the tile handler alike. Internal errors are logged with the request
// id and shown as "internal error". body, if known, is the request body
// as read (to tell a client's cut-off upload from a server fault).
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, requestID string, body *recordingBody, err error) (status, size int) {
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		err = riskmap.Errorf(riskmap.ETOOLARGE, "request body larger than %d bytes", mbe.Limit)
	}
	h := w.Header()
	err = s.classifyFault(r, body, h, err)
	code := riskmap.ErrorCode(err)
	status = statusOf(code)
	if status >= 500 {
		s.Logger.Error("request failed", "request_id", requestID, "method", r.Method, "path", r.URL.Path, "err", err)
	}
	var b errorBody
	b.Error.Code = code
	b.Error.Message = riskmap.ErrorMessage(err)
	b.Error.Details = riskmap.ErrorDetails(err)
	if _, jerr := json.Marshal(b); jerr != nil {
		// a value JSON cannot carry (NaN, ±Inf): name it in words instead,
		// since every error has its JSON body
		ds := make([]riskmap.Detail, len(b.Error.Details))
		for i, d := range b.Error.Details {
			if d.Value != nil {
				d.Value = fmt.Sprint(d.Value)
			}
			ds[i] = d
		}
		b.Error.Details = ds
	}
	if prefersChinese(r.Header.Get("Accept-Language")) {
		// the web app's readers: the message in Chinese where zh has it
		b.Error.Message, b.Error.Details = zh.Error(b.Error.Message, b.Error.Details)
	}
	if wait := riskmap.ErrorRetryAfter(err); wait > 0 {
		h.Set("Retry-After", strconv.Itoa(int(math.Ceil(wait.Seconds()))))
	}
	if status == http.StatusUnauthorized {
		h.Set("WWW-Authenticate", `Bearer realm="riskmap"`)
	}
	data, jerr := json.Marshal(b)
	if jerr != nil {
		data = []byte(`{"error":{"code":"internal","message":"internal error"}}`)
	}
	h.Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	n, _ := w.Write(data)
	return status, n
}

// prefersChinese reports whether an Accept-Language header puts Chinese
// first (the web app sends zh-CN; browsers in China do too).
func prefersChinese(accept string) bool {
	first, _, _ := strings.Cut(accept, ",")
	first = strings.ToLower(strings.TrimSpace(first))
	return first == "zh" || strings.HasPrefix(first, "zh-") || strings.HasPrefix(first, "zh;")
}
