// Package blobs keeps opaque files (evidence photos, documents) under
// content-derived keys: the key is the SHA-256 of the bytes, so writing the
// same content twice is harmless and a blob, once its key is known, never
// changes.
package blobs

import (
	"context"
	"errors"
	"io"
	"time"
)

// Info describes a stored blob.
type Info struct {
	Key    string // where the store keeps it; derived from SHA256
	SHA256 string // lower-case hex
	Size   int64
}

// File is an open blob, readable and seekable (for HTTP range requests).
type File interface {
	io.ReadSeekCloser
	ModTime() time.Time
}

// Store keeps blobs. Put reads r to the end and stores it only once the
// whole content has arrived: a failed or cut-off Put leaves nothing behind
// under a key.
type Store interface {
	Put(ctx context.Context, r io.Reader) (Info, error)
	Open(ctx context.Context, key string) (File, error)
}

// Errors a Store reports, wrapped with context; callers test with errors.Is.
var (
	// ErrFull: the store has no room left.
	ErrFull = errors.New("blob store is full")
	// ErrUnavailable: the store cannot be written or read at the moment
	// (missing, read-only, permissions).
	ErrUnavailable = errors.New("blob store is unavailable")
	// ErrNotFound: no blob under that key.
	ErrNotFound = errors.New("blob not found")
)
