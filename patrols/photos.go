package patrols

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"

	"riskmap"
	"riskmap/blobs"
	"riskmap/cases"
)

// PhotoTypes are the photo types a patrol takes, decided by the content
// (http.DetectContentType), never by the name or the declared type.
func PhotoTypes() []string { return []string{"image/jpeg", "image/png", "image/webp"} }

// Photo is one photo of a patrol, spooled to a temporary file while the
// request is read: every check passes before anything is stored, so a
// refused patrol leaves no photo behind.
type Photo struct {
	Filename    string
	ContentType string
	SHA256      string
	Size        int64
	path        string
	stored      blobs.Info
}

// Photos are the photos of one request. Close removes the spooled files.
type Photos struct {
	max   int64
	limit int
	list  []Photo
}

// NewPhotos starts the photos of one request.
func (s *Store) NewPhotos() *Photos {
	return &Photos{max: s.cfg.MaxPhoto, limit: s.cfg.MaxPhotos}
}

// List returns the photos added so far.
func (p *Photos) List() []Photo { return p.list }

// Add spools one photo. The field named in errors is file[i], i counting
// from 0 in the order sent.
func (p *Photos) Add(filename string, r io.Reader) error {
	field := fmt.Sprintf("file[%d]", len(p.list))
	if len(p.list) >= p.limit {
		return riskmap.Errorf(riskmap.EUNPROCESSABLE, "%s: at most %d photos per patrol", field, p.limit).
			WithDetails(riskmap.Detail{Field: field, Message: "too many photos"})
	}
	ct, body, err := blobs.Sniff(field, r, PhotoTypes())
	if err != nil {
		return err
	}
	f, err := os.CreateTemp("", "riskmap-patrol-*")
	if err != nil {
		return fmt.Errorf("spool photo: %w", err)
	}
	ph := Photo{Filename: cases.CleanFilename(filename), ContentType: ct, path: f.Name()}
	p.list = append(p.list, ph) // registered first, so Close removes it whatever happens
	h := sha256.New()
	size, err := io.Copy(io.MultiWriter(f, h), blobs.Limit(body, p.max))
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if errors.Is(err, blobs.ErrTooLarge) {
		return blobs.UploadError(err, field, p.max)
	}
	if err != nil {
		return riskmap.Errorf(riskmap.EINVALID, "%s: reading the upload: %v", field, err)
	}
	last := &p.list[len(p.list)-1]
	last.Size, last.SHA256 = size, hex.EncodeToString(h.Sum(nil))
	return nil
}

// Close removes the spooled files.
func (p *Photos) Close() error {
	var first error
	for _, ph := range p.list {
		if err := os.Remove(ph.path); err != nil && !errors.Is(err, os.ErrNotExist) && first == nil {
			first = err
		}
	}
	return first
}

// store puts each photo in the blob store (under its content hash, so a
// resend or a retry after a failed transaction writes nothing new).
func (p *Photos) store(ctx context.Context, b blobs.Store) error {
	for i := range p.list {
		ph := &p.list[i]
		f, err := os.Open(ph.path)
		if err != nil {
			return fmt.Errorf("photo %d: %w", i, err)
		}
		info, err := b.Put(ctx, f)
		f.Close()
		if err != nil {
			return blobs.UploadError(err, fmt.Sprintf("file[%d]", i), ph.Size)
		}
		if info.SHA256 != ph.SHA256 {
			return fmt.Errorf("photo %d: stored %s, read %s", i, info.SHA256, ph.SHA256)
		}
		ph.stored = info
	}
	return nil
}

func photoSums(photos []Photo) []string {
	out := make([]string, len(photos))
	for i, p := range photos {
		out[i] = p.ContentType + ":" + p.SHA256
	}
	return out
}
