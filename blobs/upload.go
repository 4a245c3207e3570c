package blobs

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"

	"riskmap"
)

// PhotoTypes are the evidence types accepted, decided by the content
// (http.DetectContentType), never by the name or the declared type.
func PhotoTypes() []string {
	return []string{"image/jpeg", "image/png", "image/webp", "application/pdf"}
}

// limitReader fails with ErrTooLarge once more than max bytes have been read.
type limitReader struct {
	r   io.Reader
	max int64
	n   int64
}

// ErrTooLarge: an upload went past its limit (Limit).
var ErrTooLarge = errors.New("upload too large")

func (l *limitReader) Read(p []byte) (int, error) {
	n, err := l.r.Read(p)
	l.n += int64(n)
	if l.n > l.max {
		return n, ErrTooLarge
	}
	return n, err
}

// Limit reads r and fails with ErrTooLarge past max bytes.
func Limit(r io.Reader, max int64) io.Reader { return &limitReader{r: r, max: max} }

// Sniff reads the head of an upload (form field field) and decides its
// type from the content, which must be one of allowed; it returns the type
// and a reader of the whole content, head included.
func Sniff(field string, r io.Reader, allowed []string) (string, io.Reader, error) {
	head := make([]byte, 512)
	n, err := io.ReadFull(r, head)
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
		return "", nil, fmt.Errorf("read upload: %w", err)
	}
	head = head[:n]
	if n == 0 {
		return "", nil, riskmap.Errorf(riskmap.EUNPROCESSABLE, "%s: empty", field).WithDetails(riskmap.Detail{Field: field, Message: "empty"})
	}
	ct := http.DetectContentType(head)
	if i := strings.IndexByte(ct, ';'); i >= 0 {
		ct = ct[:i]
	}
	if !slices.Contains(allowed, ct) {
		return "", nil, riskmap.Errorf(riskmap.EUNPROCESSABLE, "%s: the content is %s; allowed: %s", field, ct, strings.Join(allowed, ", ")).
			WithDetails(riskmap.Detail{Field: field, Value: ct, Message: "type not allowed"})
	}
	return ct, io.MultiReader(bytes.NewReader(head), r), nil
}

// UploadError is the error a user can act on for a failed upload of field
// (413 past max, 507 full store, 503 unwritable store), or err wrapped.
func UploadError(err error, field string, max int64) error {
	switch {
	case errors.Is(err, ErrTooLarge):
		return riskmap.Errorf(riskmap.ETOOLARGE, "%s: larger than the limit of %d bytes", field, max).
			WithDetails(riskmap.Detail{Field: field, Message: "too large"})
	case errors.Is(err, ErrFull):
		return &riskmap.Error{Code: riskmap.EINSUFFICIENTSTORAGE, Message: "the attachment store is full: tell the administrator", Err: err}
	case errors.Is(err, ErrUnavailable):
		return &riskmap.Error{Code: riskmap.EUNAVAILABLE, Message: "the attachment store cannot be written at the moment: try again later", Err: err}
	}
	return fmt.Errorf("store upload: %w", err)
}

// PutUpload stores a file a user uploaded (form field field): its type
// sniffed from the content and checked against allowed, its size capped at
// max, and answers the errors a user can act on as *riskmap.Error naming
// the field (422 type, 413 size, 507 full, 503 unwritable).
func PutUpload(ctx context.Context, s Store, field string, r io.Reader, max int64, allowed []string) (Info, string, error) {
	ct, body, err := Sniff(field, r, allowed)
	if err != nil {
		return Info{}, "", err
	}
	info, err := s.Put(ctx, Limit(body, max))
	if err != nil {
		return Info{}, "", UploadError(err, field, max)
	}
	return info, ct, nil
}
