package blobs

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"syscall"
	"time"
)

// Dir stores blobs as files under a directory: sha256/ab/abcdef… . A blob
// is written to a temporary file in the same directory, synced, then
// renamed into place, so a reader never sees a partial file.
type Dir struct {
	Root string
}

// NewDir returns a store rooted at root, creating it if need be.
func NewDir(root string) (*Dir, error) {
	if err := os.MkdirAll(root, 0o750); err != nil {
		return nil, classify(fmt.Errorf("blob directory %s: %w", root, err))
	}
	return &Dir{Root: root}, nil
}

var keyRe = regexp.MustCompile(`^sha256/[0-9a-f]{2}/[0-9a-f]{64}$`)

func keyFor(sum string) string { return "sha256/" + sum[:2] + "/" + sum }

// Put stores the content of r.
func (d *Dir) Put(ctx context.Context, r io.Reader) (Info, error) {
	tmpDir := filepath.Join(d.Root, "tmp")
	if err := os.MkdirAll(tmpDir, 0o750); err != nil {
		return Info{}, classify(fmt.Errorf("blob store %s: %w", d.Root, err))
	}
	f, err := os.CreateTemp(tmpDir, "put-*")
	if err != nil {
		return Info{}, classify(fmt.Errorf("blob store %s: %w", d.Root, err))
	}
	tmp := f.Name()
	done := false
	defer func() {
		if !done {
			f.Close()
			os.Remove(tmp)
		}
	}()
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(f, h), ctxReader{ctx, r})
	if err != nil {
		return Info{}, classify(fmt.Errorf("write blob: %w", err))
	}
	if err := f.Sync(); err != nil {
		return Info{}, classify(fmt.Errorf("sync blob: %w", err))
	}
	if err := f.Close(); err != nil {
		return Info{}, classify(fmt.Errorf("close blob: %w", err))
	}
	sum := hex.EncodeToString(h.Sum(nil))
	info := Info{Key: keyFor(sum), SHA256: sum, Size: n}
	final := filepath.Join(d.Root, filepath.FromSlash(info.Key))
	if err := os.MkdirAll(filepath.Dir(final), 0o750); err != nil {
		return Info{}, classify(fmt.Errorf("blob store %s: %w", d.Root, err))
	}
	// Same content, same name: replacing an existing copy is harmless.
	if err := os.Rename(tmp, final); err != nil {
		return Info{}, classify(fmt.Errorf("store blob: %w", err))
	}
	done = true
	return info, nil
}

// Open opens the blob under key.
func (d *Dir) Open(ctx context.Context, key string) (File, error) {
	if !keyRe.MatchString(key) {
		return nil, fmt.Errorf("blob key %q: %w", key, ErrNotFound)
	}
	f, err := os.Open(filepath.Join(d.Root, filepath.FromSlash(key)))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("blob %s: %w", key, ErrNotFound)
	}
	if err != nil {
		return nil, classify(fmt.Errorf("open blob %s: %w", key, err))
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, classify(fmt.Errorf("stat blob %s: %w", key, err))
	}
	return &file{File: f, mod: st.ModTime()}, nil
}

type file struct {
	*os.File
	mod time.Time
}

func (f *file) ModTime() time.Time { return f.mod }

// classify marks out-of-space and not-writable errors with ErrFull and
// ErrUnavailable, keeping the cause.
func classify(err error) error {
	switch {
	case errors.Is(err, syscall.ENOSPC), errors.Is(err, syscall.EDQUOT):
		return fmt.Errorf("%w: %w", ErrFull, err)
	case errors.Is(err, syscall.EACCES), errors.Is(err, syscall.EPERM), errors.Is(err, syscall.EROFS),
		errors.Is(err, syscall.ENOTDIR), errors.Is(err, syscall.ENOENT), errors.Is(err, syscall.EEXIST):
		return fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	return err
}

// ctxReader stops a long copy when the request is cancelled.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}
