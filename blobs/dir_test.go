package blobs_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"

	"riskmap/blobs"
)

func TestDirStoresByContentHash(t *testing.T) {
	ctx := context.Background()
	d, err := blobs.NewDir(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	data := []byte("证据照片的字节")
	sum := sha256.Sum256(data)
	info, err := d.Put(ctx, bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	if info.SHA256 != hex.EncodeToString(sum[:]) || info.Size != int64(len(data)) || info.Key != "sha256/"+info.SHA256[:2]+"/"+info.SHA256 {
		t.Errorf("info %+v", info)
	}
	again, err := d.Put(ctx, bytes.NewReader(data))
	if err != nil || again != info {
		t.Errorf("second put: %+v %v", again, err)
	}
	f, err := d.Open(ctx, info.Key)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(f)
	f.Close()
	if !bytes.Equal(got, data) {
		t.Errorf("read back %q", got)
	}
	for _, key := range []string{"sha256/00/" + hex.EncodeToString(make([]byte, 32)), "../../etc/passwd", "sha256/ab/zz"} {
		if _, err := d.Open(ctx, key); !errors.Is(err, blobs.ErrNotFound) {
			t.Errorf("open %q: %v", key, err)
		}
	}
}

type failingReader struct{ n int }

func (r *failingReader) Read(p []byte) (int, error) {
	if r.n > 0 {
		r.n--
		return copy(p, "partial"), nil
	}
	return 0, errors.New("connection reset")
}

func TestAFailedPutLeavesNothingBehind(t *testing.T) {
	root := t.TempDir()
	d, _ := blobs.NewDir(root)
	if _, err := d.Put(context.Background(), &failingReader{n: 3}); err == nil {
		t.Fatal("put of a broken stream succeeded")
	}
	var files []string
	filepath.Walk(root, func(p string, info os.FileInfo, err error) error {
		if err == nil && !info.IsDir() {
			files = append(files, p)
		}
		return nil
	})
	if len(files) != 0 {
		t.Errorf("left behind: %v", files)
	}
}

func TestAnUnwritableDirIsUnavailable(t *testing.T) {
	file := filepath.Join(t.TempDir(), "file")
	os.WriteFile(file, nil, 0o644)
	if _, err := blobs.NewDir(filepath.Join(file, "sub")); !errors.Is(err, blobs.ErrUnavailable) {
		t.Errorf("NewDir under a file: %v", err)
	}
	d := &blobs.Dir{Root: file}
	if _, err := d.Put(context.Background(), bytes.NewReader([]byte("x"))); !errors.Is(err, blobs.ErrUnavailable) {
		t.Errorf("put: %v", err)
	}
}
