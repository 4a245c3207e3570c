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

// limitReader fails once more than max bytes have been read.
type limitReader struct {
	r   io.Reader
	max int64
	n   int64
}

var errTooLarge = errors.New("upload too large")

func (l *limitReader) Read(p []byte) (int, error) {
	n, err := l.r.Read(p)
	l.n += int64(n)
	if l.n > l.max {
		return n, errTooLarge
	}
	return n, err
}

// PutUpload stores a file a user uploaded (form field field): its type
// sniffed from the content and checked against allowed, its size capped at
// max, and answers the errors a user can act on as *riskmap.Error naming
// the field (422 type, 413 size, 507 full, 503 unwritable).
func PutUpload(ctx context.Context, s Store, field string, r io.Reader, max int64, allowed []string) (Info, string, error) {
	head := make([]byte, 512)
	n, err := io.ReadFull(r, head)
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
		return Info{}, "", fmt.Errorf("read upload: %w", err)
	}
	head = head[:n]
	if n == 0 {
		return Info{}, "", riskmap.Errorf(riskmap.EUNPROCESSABLE, "%s: empty", field).WithDetails(riskmap.Detail{Field: field, Message: "empty"})
	}
	ct := http.DetectContentType(head)
	if i := strings.IndexByte(ct, ';'); i >= 0 {
		ct = ct[:i]
	}
	if !slices.Contains(allowed, ct) {
		return Info{}, "", riskmap.Errorf(riskmap.EUNPROCESSABLE, "%s: the content is %s; allowed: %s", field, ct, strings.Join(allowed, ", ")).
			WithDetails(riskmap.Detail{Field: field, Value: ct, Message: "type not allowed"})
	}
	info, err := s.Put(ctx, &limitReader{r: io.MultiReader(bytes.NewReader(head), r), max: max})
	switch {
	case errors.Is(err, errTooLarge):
		return Info{}, "", riskmap.Errorf(riskmap.ETOOLARGE, "%s: larger than the limit of %d bytes", field, max).
			WithDetails(riskmap.Detail{Field: field, Message: "too large"})
	case errors.Is(err, ErrFull):
		return Info{}, "", &riskmap.Error{Code: riskmap.EINSUFFICIENTSTORAGE, Message: "the attachment store is full: tell the administrator", Err: err}
	case errors.Is(err, ErrUnavailable):
		return Info{}, "", &riskmap.Error{Code: riskmap.EUNAVAILABLE, Message: "the attachment store cannot be written at the moment: try again later", Err: err}
	case err != nil:
		return Info{}, "", fmt.Errorf("store upload: %w", err)
	}
	return info, ct, nil
}
