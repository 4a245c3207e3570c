package localdb

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/jackc/pgx/v5"
)

func TestMissingServerOrPostGISNamesThePackageToInstall(t *testing.T) {
	cases := []struct {
		name  string
		files []string
		want  string
	}{
		{"no server at all", nil, "apt-get install -y postgresql-15 postgresql-15-postgis-3"},
		{"server 16 without PostGIS", []string{"usr/lib/postgresql/16/bin/postgres"}, "apt-get install -y postgresql-16-postgis-3"},
		{"newest server is the one checked", []string{"usr/lib/postgresql/13/bin/postgres", "usr/lib/postgresql/15/bin/postgres",
			"usr/share/postgresql/13/extension/postgis.control"}, "apt-get install -y postgresql-15-postgis-3"},
		{"server and PostGIS present", []string{"usr/lib/postgresql/15/bin/postgres", "usr/share/postgresql/15/extension/postgis.control"}, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			root := t.TempDir()
			for _, f := range c.files {
				p := filepath.Join(root, f)
				if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(p, nil, 0o755); err != nil {
					t.Fatal(err)
				}
			}
			bin, err := binariesIn(root)
			if c.want == "" {
				if err != nil || !strings.HasSuffix(bin, "15/bin") {
					t.Fatalf("got %q, %v", bin, err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %v, want it to say %q", err, c.want)
			}
		})
	}
}

// A cluster of its own in a fresh directory on its own port: initialised
// once, started with PostGIS available, stopped cleanly, started again.
func TestClusterInitialisesStartsAndStopsCleanly(t *testing.T) {
	ctx := context.Background()
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	// not t.TempDir(): as root the server runs as postgres, which must be
	// able to reach the directory
	base := filepath.Join(os.TempDir(), "riskmap-localdb-test-"+hex.EncodeToString(b))
	if err := os.MkdirAll(base, 0o755); err != nil {
		t.Fatal(err)
	}
	c := Cluster{Dir: filepath.Join(base, "pg"), Port: 56000 + int(b[0])%500, Database: "riskmap", Role: "riskmap"}
	t.Cleanup(func() {
		_ = c.Stop(context.Background())
		_ = os.RemoveAll(base)
	})
	if s := c.Status(ctx); !strings.HasPrefix(s, "not initialised") {
		t.Fatalf("status before start: %q", s)
	}
	for round := 1; round <= 2; round++ {
		if err := c.Start(ctx); err != nil {
			t.Fatalf("start %d: %v", round, err)
		}
		if s := c.Status(ctx); !strings.HasPrefix(s, "running") {
			t.Fatalf("status after start %d: %q", round, s)
		}
		conn, err := pgx.Connect(ctx, c.URL())
		if err != nil {
			t.Fatalf("connect %d: %v", round, err)
		}
		var v string
		err = conn.QueryRow(ctx, "SELECT postgis_lib_version()").Scan(&v)
		conn.Close(ctx)
		if err != nil || v == "" {
			t.Fatalf("postgis in round %d: %q %v", round, v, err)
		}
		if err := c.Stop(ctx); err != nil {
			t.Fatalf("stop %d: %v", round, err)
		}
		if s := c.Status(ctx); !strings.HasPrefix(s, "stopped") {
			t.Fatalf("status after stop %d: %q", round, s)
		}
	}
}

// A server started under flock(1) must not hold the lock: nothing pg_ctl
// starts inherits a descriptor of ours beyond stdin, stdout and stderr.
func TestWhatTheClusterRunsInheritsNoDescriptorOfOurs(t *testing.T) {
	lock := filepath.Join(t.TempDir(), "lock")
	// as flock(1) hands it on: a descriptor without close-on-exec
	fd, err := syscall.Open(lock, syscall.O_CREAT|syscall.O_RDWR, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	defer syscall.Close(fd)
	o, err := serverOwner()
	if err != nil {
		t.Skip(err) // no postgres user: nothing of the cluster can run here
	}
	out, err := o.run(context.Background(), "/bin/sh", "-c", "ls -l /proc/self/fd/")
	if err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	if strings.Contains(out, lock) {
		t.Fatalf("the child holds %s:\n%s", lock, out)
	}
}
