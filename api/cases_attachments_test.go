package api_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"io/fs"
	"mime"
	"mime/multipart"
	"net/textproto"
	"riskmap/blobs"
	"riskmap/cases"
	"unicode/utf8"
)

func TestEvidenceIsStoredByContentAndServedOnlyInScope(t *testing.T) {
	e := newCaseEnv(t)
	c := e.newCase("worker1", 115.2, 23.0, nil)
	// larger than the API's usual body limit (64 KiB here)
	data := append(pngBytes(t, 7), bytes.Repeat([]byte{0}, 100<<10)...)
	res, out := e.upload("worker1", c.ID, "现场.png", data)
	if res.StatusCode != 201 {
		t.Fatalf("upload: %d %s", res.StatusCode, res.Body)
	}
	if out["content_type"] != "image/png" || out["size"] != float64(len(data)) || out["sha256"] != sha256hex(data) ||
		out["url"] != "/api/v1/attachments/"+out["id"].(string) {
		t.Errorf("reply %v", out)
	}
	url := out["url"].(string)
	for _, u := range []string{"worker1", "xingang", "chengqu", "city", "planner"} {
		got := e.do("GET", url, u, nil, nil)
		if got.StatusCode != 200 || !bytes.Equal(got.Body, data) || got.Header.Get("Content-Type") != "image/png" {
			t.Errorf("%s: %d %s, %d bytes", u, got.StatusCode, got.Header.Get("Content-Type"), len(got.Body))
		}
	}
	for _, u := range []string{"worker2", "xiangzhou", "haifeng"} {
		if got := e.do("GET", url, u, nil, nil); got.StatusCode != 404 {
			t.Errorf("%s outside the case's area: %d", u, got.StatusCode)
		}
	}
	if got := e.do("GET", url, "", nil, nil); got.StatusCode != 401 {
		t.Errorf("no token: %d", got.StatusCode)
	}
	// the same content again: a second attachment, one blob
	res2, out2 := e.upload("xingang", c.ID, "again.png", data)
	if res2.StatusCode != 201 || out2["sha256"] != out["sha256"] || out2["id"] == out["id"] {
		t.Errorf("second upload: %d %v", res2.StatusCode, out2)
	}
	files := 0
	filepath.Walk(filepath.Join(e.blobs, "sha256"), func(p string, info os.FileInfo, err error) error {
		if err == nil && !info.IsDir() {
			files++
		}
		return nil
	})
	if files != 1 {
		t.Errorf("%d blob files, want 1", files)
	}
}

func sha256hex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

func TestEvidenceTypeSizeAndPermissionAreChecked(t *testing.T) {
	e := newCaseEnvWith(t, nil, cases.Config{MaxUpload: 1000})
	c := e.newCase("worker1", 115.2, 23.0, nil)
	other := e.newCase("xiangzhou", 116.2, 23.0, nil)
	before := e.caseSnapshot()
	big := append(pngBytes(t, 1), bytes.Repeat([]byte{1}, 2000)...)
	cases := []struct {
		name, user, id, file string
		data                 []byte
		status               int
		want                 string
	}{
		{"plain text", "worker1", c.ID, "a.png", []byte("hello, this is not a picture"), 422, "text/plain"},
		{"HTML named as a photo", "worker1", c.ID, "a.jpg", []byte("<html><script>alert(1)</script></html>"), 422, "text/html"},
		{"empty", "worker1", c.ID, "a.png", nil, 422, "empty"},
		{"larger than the limit", "worker1", c.ID, "big.png", big, 413, "1000 bytes"},
		{"a case in another township", "xingang", other.ID, "a.png", pngBytes(t, 1), 403, "not in your area"},
		{"a planner", "planner", c.ID, "a.png", pngBytes(t, 1), 403, "planner"},
		{"no such case (admin)", "admin", "0b6f1c52-8a3e-4d0e-9b7a-2f5e1c9d4a10", "a.png", pngBytes(t, 1), 403, "admin"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			res, _ := e.upload(tc.user, tc.id, tc.file, tc.data)
			if res.StatusCode != tc.status || !strings.Contains(string(res.Body), tc.want) {
				t.Errorf("%d %s, want %d naming %q", res.StatusCode, res.Body, tc.status, tc.want)
			}
		})
	}
	if res := e.do("POST", "/api/v1/cases/"+c.ID+"/attachments", "worker1", "x", nil, "Content-Type", "text/plain"); res.StatusCode != 400 {
		t.Errorf("not multipart: %d %s", res.StatusCode, res.Body)
	}
	if after := e.caseSnapshot(); after != before {
		t.Error("refused uploads changed the database")
	}
	// nothing was left in the blob store either, not even a temporary file
	left := []string{}
	filepath.Walk(e.blobs, func(p string, info os.FileInfo, err error) error {
		if err == nil && !info.IsDir() {
			left = append(left, p)
		}
		return nil
	})
	if len(left) != 0 {
		t.Errorf("files left in the blob store: %v", left)
	}
}

// fullStore is a blob store whose disk is full.
type fullStore struct{}

func (fullStore) Put(ctx context.Context, r io.Reader) (blobs.Info, error) {
	io.Copy(io.Discard, r)
	return blobs.Info{}, fmt.Errorf("write blob: %w: no space left on device", blobs.ErrFull)
}

func (fullStore) Open(ctx context.Context, key string) (blobs.File, error) {
	return nil, blobs.ErrNotFound
}

func TestAFullOrUnwritableBlobStoreIsReportedAndNothingIsRecorded(t *testing.T) {
	notDir := filepath.Join(t.TempDir(), "a-file")
	os.WriteFile(notDir, []byte("x"), 0o644)
	for _, tc := range []struct {
		name   string
		store  blobs.Store
		status int
		want   string
	}{
		{"full", fullStore{}, 507, "full"},
		{"unwritable", &blobs.Dir{Root: notDir}, 503, "cannot be written"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newCaseEnvWith(t, tc.store, cases.Config{})
			c := e.newCase("worker1", 115.2, 23.0, nil)
			before := e.caseSnapshot()
			res, _ := e.upload("worker1", c.ID, "a.png", pngBytes(t, 3))
			if res.StatusCode != tc.status || !strings.Contains(string(res.Body), tc.want) {
				t.Errorf("%d %s, want %d", res.StatusCode, res.Body, tc.status)
			}
			if e.caseSnapshot() != before {
				t.Error("an attachment row was written without its blob")
			}
		})
	}
}

// A file name cut in the middle of a character, or not UTF-8 at all, is
// cleaned (not a 500 after the blob was written); a refused upload writes
// no blob.
func TestAttachmentNamesAreCleanedAndRefusedUploadsWriteNoBlob(t *testing.T) {
	e := newCaseEnv(t)
	c := e.newCase("worker1", 115.2, 23.0, nil)
	blobCount := func() int {
		n := 0
		filepath.WalkDir(e.blobs, func(p string, d fs.DirEntry, err error) error {
			if err == nil && !d.IsDir() {
				n++
			}
			return nil
		})
		return n
	}
	// the two last as RFC 2231 extended values, which decode to any bytes
	for i, name := range []string{"a" + strings.Repeat("险", 70) + ".png", "*=utf-8''%E7%85%A7%FF%FE.png", "*=utf-8''%C3.png"} {
		var body bytes.Buffer
		mw := multipart.NewWriter(&body)
		h := textproto.MIMEHeader{}
		if strings.HasPrefix(name, "*=") {
			h.Set("Content-Disposition", `form-data; name="file"; filename`+name)
		} else {
			h.Set("Content-Disposition", `form-data; name="file"; filename="`+name+`"`)
		}
		fw, _ := mw.CreatePart(h)
		fw.Write(pngBytes(t, uint8(i+2)))
		mw.Close()
		var out map[string]any
		res := e.do("POST", "/api/v1/cases/"+c.ID+"/attachments", "worker1", body.Bytes(), &out, "Content-Type", mw.FormDataContentType())
		if res.StatusCode != 201 {
			t.Fatalf("%q: %d %s", name, res.StatusCode, res.Body)
		}
		dl := e.do("GET", "/api/v1/attachments/"+out["id"].(string), "worker1", nil, nil)
		_, params, _ := mime.ParseMediaType(dl.Header.Get("Content-Disposition"))
		got := params["filename"]
		// (Go's multipart reader already drops a name that is not UTF-8)
		if dl.StatusCode != 200 || !utf8.ValidString(got) || len(got) > 200 || (i == 0 && !strings.HasPrefix(got, "a险险")) {
			t.Errorf("%q: download %d, name %q", name, dl.StatusCode, got)
		}
	}
	before := blobCount()
	if res, _ := e.upload("worker1", c.ID, "notes\xff.txt", []byte("plain text, not a photo")); res.StatusCode != 422 {
		t.Fatalf("a text file: %d %s", res.StatusCode, res.Body)
	}
	if after := blobCount(); after != before {
		t.Errorf("a refused upload left %d blob(s)", after-before)
	}
}
