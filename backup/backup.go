// Package backup dumps and restores riskmap: the database with pg_dump's
// custom format, and the attachment store as a copy of its files.
//
// Order matters for consistency while the service runs: the dump is taken
// first, then the blobs are copied. An attachment's blob is written before
// the row that points at it commits (cases.Store.Attach), so every row in
// the dump has its blob on disk by the time the copy starts.
package backup

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// Manifest describes a backup directory.
type Manifest struct {
	CreatedAt time.Time         `json:"created_at"`
	Dump      string            `json:"dump"`  // file name of the pg_dump archive
	Blobs     map[string]string `json:"blobs"` // relative path -> sha256
}

const (
	dumpName     = "riskmap.pgdump"
	blobsName    = "blobs"
	manifestName = "manifest.json"
)

// Backup writes dbURL's dump and a copy of blobDir into outDir (created;
// it must be empty or absent). bin is the PostgreSQL programs' directory.
func Backup(ctx context.Context, bin, dbURL, blobDir, outDir string) (Manifest, error) {
	m := Manifest{CreatedAt: time.Now().UTC(), Dump: dumpName, Blobs: map[string]string{}}
	if entries, err := os.ReadDir(outDir); err == nil && len(entries) > 0 {
		return m, fmt.Errorf("backup: %s is not empty", outDir)
	}
	if err := os.MkdirAll(outDir, 0o700); err != nil {
		return m, fmt.Errorf("backup: %w", err)
	}
	cmd := exec.CommandContext(ctx, filepath.Join(bin, "pg_dump"), "--format=custom", "--no-owner",
		"--file="+filepath.Join(outDir, dumpName), "--dbname="+dbURL)
	if out, err := cmd.CombinedOutput(); err != nil {
		return m, fmt.Errorf("pg_dump: %v: %s", err, strings.TrimSpace(string(out)))
	}
	if blobDir != "" {
		if err := copyTree(blobDir, filepath.Join(outDir, blobsName), m.Blobs); err != nil {
			return m, fmt.Errorf("backup blobs: %w", err)
		}
	}
	b, _ := json.MarshalIndent(m, "", "  ")
	if err := os.WriteFile(filepath.Join(outDir, manifestName), b, 0o600); err != nil {
		return m, fmt.Errorf("backup: %w", err)
	}
	return m, nil
}

// Restore loads a backup into dbURL (an empty database, or one holding an
// earlier copy of the same schema, which is replaced) in one transaction,
// and copies the blobs into blobDir, checking each against the manifest.
func Restore(ctx context.Context, bin, dbURL, blobDir, fromDir string) (Manifest, error) {
	var m Manifest
	b, err := os.ReadFile(filepath.Join(fromDir, manifestName))
	if err != nil {
		return m, fmt.Errorf("restore: read manifest: %w", err)
	}
	if err := json.Unmarshal(b, &m); err != nil {
		return m, fmt.Errorf("restore: manifest: %w", err)
	}
	cmd := exec.CommandContext(ctx, filepath.Join(bin, "pg_restore"), "--clean", "--if-exists", "--no-owner",
		"--exit-on-error", "--single-transaction", "--dbname="+dbURL, filepath.Join(fromDir, m.Dump))
	if out, err := cmd.CombinedOutput(); err != nil {
		return m, fmt.Errorf("pg_restore: %v: %s", err, strings.TrimSpace(string(out)))
	}
	if blobDir != "" && len(m.Blobs) > 0 {
		got := map[string]string{}
		if err := copyTree(filepath.Join(fromDir, blobsName), blobDir, got); err != nil {
			return m, fmt.Errorf("restore blobs: %w", err)
		}
		for p, sum := range m.Blobs {
			if got[p] != sum {
				return m, fmt.Errorf("restore blobs: %s has sha256 %q, the manifest says %q", p, got[p], sum)
			}
		}
	}
	return m, nil
}

// copyTree copies regular files from src to dst, recording each file's
// sha256 by relative path. Existing identical files are kept.
func copyTree(src, dst string, sums map[string]string) error {
	var paths []string
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if os.IsNotExist(err) && p == src {
				return filepath.SkipDir
			}
			return err
		}
		if d.Type().IsRegular() && !strings.HasPrefix(d.Name(), ".") {
			paths = append(paths, p)
		}
		return nil
	})
	if err != nil {
		return err
	}
	sort.Strings(paths)
	for _, p := range paths {
		rel, _ := filepath.Rel(src, p)
		sum, err := copyFile(p, filepath.Join(dst, rel))
		if err != nil {
			return err
		}
		sums[filepath.ToSlash(rel)] = sum
	}
	return nil
}

func copyFile(src, dst string) (string, error) {
	in, err := os.Open(src)
	if err != nil {
		return "", err
	}
	defer in.Close()
	if err := os.MkdirAll(filepath.Dir(dst), 0o750); err != nil {
		return "", err
	}
	tmp := dst + ".part"
	out, err := os.OpenFile(tmp, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o640)
	if err != nil {
		return "", err
	}
	h := sha256.New()
	w := bufio.NewWriter(io.MultiWriter(out, h))
	if _, err := io.Copy(w, in); err != nil {
		out.Close()
		return "", err
	}
	if err := w.Flush(); err != nil {
		out.Close()
		return "", err
	}
	if err := out.Sync(); err != nil {
		out.Close()
		return "", err
	}
	if err := out.Close(); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), os.Rename(tmp, dst)
}
