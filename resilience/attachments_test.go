package resilience

import (
	"bytes"
	"context"
	"encoding/json"
	"image"
	"image/png"
	"io"
	"math/rand/v2"
	"mime/multipart"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"riskmap"
	"riskmap/auth"
)

// The attachment store on a real file system that fills up and turns
// read-only (a 1 MiB tmpfs; api/cases_attachments_test.go proves the same
// answers with a fake store): a full disk answers 507, a read-only one
// 503; the case is not half-written (no attachment row, same version, no
// file left in the store, and it still cannot be submitted without a
// photo); once space or writing comes back, the same upload works without
// a restart.
func TestAFullOrReadOnlyAttachmentDiskAnswers507Or503AndLeavesNoHalfWrittenCase(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("skipped: mounting a small tmpfs needs root; api/cases_attachments_test.go covers the 507/503 answers with a fake store")
	}
	dir := filepath.Join(t.TempDir(), "blobs")
	if err := os.MkdirAll(dir, 0o750); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", dir).CombinedOutput(); err != nil {
		t.Skipf("skipped: cannot mount a tmpfs here (%v: %s); api/cases_attachments_test.go covers the 507/503 answers with a fake store", err, out)
	}
	t.Cleanup(func() {
		if out, err := exec.Command("umount", dir).CombinedOutput(); err != nil {
			t.Logf("umount %s: %v %s", dir, err, out)
		}
	})
	remount := func(mode string) {
		t.Helper()
		if out, err := exec.Command("mount", "-o", "remount,"+mode, dir).CombinedOutput(); err != nil {
			t.Fatalf("remount %s: %v %s", mode, err, out)
		}
	}

	url, pool := scratchDB(t)
	srv := startServer(t, url, "--blob-dir", dir)
	worker, workerID := user(t, pool, srv.Base, auth.UserSpec{Username: "worker", Role: riskmap.RoleWorker, Grids: []string{"441502001001001"}})
	office, _ := user(t, pool, srv.Base, auth.UserSpec{Username: "office", Role: riskmap.RoleTownship, Areas: []string{"441502001000"}})
	// a case being rectified: the worker's next step is a photo and submit
	id := "0f1e2d3c-4b5a-4697-8877-665544332211"
	must := func(want int, path, token string, body any) {
		t.Helper()
		if status, reply := call(t, srv.Base, "POST", path, token, body); status != want {
			t.Fatalf("POST %s: %d %s, want %d", path, status, reply, want)
		}
	}
	must(201, "/api/v1/cases", worker, map[string]any{"type": "Feature", "id": id,
		"geometry":   map[string]any{"type": "Point", "coordinates": []float64{115.06, 23.25}},
		"properties": map[string]any{"grade": "general", "category": "flood", "description": "河堤渗水"}})
	steps := []struct {
		token string
		body  map[string]any
	}{
		{office, map[string]any{"action": "register", "version": 1}},
		{office, map[string]any{"action": "assign", "version": 2, "assignee": workerID, "deadline": time.Now().Add(48 * time.Hour).Format(time.RFC3339)}},
		{worker, map[string]any{"action": "start", "version": 3}},
	}
	for _, s := range steps {
		must(200, "/api/v1/cases/"+id+"/actions", s.token, s.body)
	}
	state := func() string {
		t.Helper()
		var s string
		err := pool.QueryRow(context.Background(), `SELECT c.state || ' v' || c.version || ', ' ||
			(SELECT count(*) FROM attachments a WHERE a.case_id = c.id) || ' attachments, ' ||
			(SELECT count(*) FROM case_events e WHERE e.case_id = c.id) || ' events' FROM cases c WHERE c.id = $1`, id).Scan(&s)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	before := state()
	photo := noisePNG(t, 480, 400) // about 190 KB: PNG cannot shrink noise

	// fill the disk to within 100 KB
	filler := filepath.Join(dir, "filler")
	f, err := os.Create(filler)
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := f.Write(make([]byte, 4096)); err != nil {
			break
		}
	}
	f.Close()
	if st, _ := os.Stat(filler); st != nil {
		_ = os.Truncate(filler, st.Size()-100<<10)
	}

	for _, tc := range []struct {
		name   string
		fault  func()
		mend   func()
		status int
		want   string
	}{
		{"disk full", func() {}, func() { _ = os.Remove(filler) }, 507, "full"},
		{"read-only", func() { remount("ro") }, func() { remount("rw") }, 503, "cannot be written"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.fault()
			status, body := upload(t, srv.Base, worker, id, photo)
			if status != tc.status || !strings.Contains(string(body), tc.want) {
				t.Errorf("upload: %d %s, want %d naming %q", status, body, tc.status, tc.want)
			}
			if got := state(); got != before {
				t.Errorf("the case is %s after the refused upload, was %s", got, before)
			}
			left, _ := filepath.Glob(filepath.Join(dir, "tmp", "*"))
			if len(left) > 0 {
				t.Errorf("half-written files left in the store: %v", left)
			}
			// and it cannot be submitted without its photo
			if status, body := call(t, srv.Base, "POST", "/api/v1/cases/"+id+"/actions", worker,
				map[string]any{"action": "submit", "version": 4, "note": "已整改"}); status != 422 {
				t.Errorf("submit without a photo: %d %s, want 422", status, body)
			}
			tc.mend()
			status, body = upload(t, srv.Base, worker, id, photo)
			if status != 201 {
				t.Fatalf("upload once mended: %d %s", status, body)
			}
			var att struct{ ID string }
			_ = json.Unmarshal(body, &att)
			if _, err := os.Stat(filepath.Join(dir, "sha256")); err != nil || att.ID == "" {
				t.Errorf("the mended upload stored nothing: %v %s", err, body)
			}
			before = state()
		})
	}
}

func upload(t *testing.T, base, token, caseID string, data []byte) (int, []byte) {
	t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	part, _ := mw.CreateFormFile("file", "整改照片.png")
	_, _ = part.Write(data)
	_ = mw.Close()
	req, _ := http.NewRequest("POST", base+"/api/v1/cases/"+caseID+"/attachments", &body)
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	res, err := (&http.Client{Timeout: 30 * time.Second}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, b
}

// noisePNG is a w × h PNG of random grey: incompressible, so its size is
// about w × h bytes.
func noisePNG(t *testing.T, w, h int) []byte {
	t.Helper()
	img := image.NewGray(image.Rect(0, 0, w, h))
	r := rand.New(rand.NewPCG(1, 2))
	for i := range img.Pix {
		img.Pix[i] = byte(r.IntN(256))
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}
