// Package localdb manages the project-owned PostgreSQL+PostGIS cluster that
// riskmap runs on when no DATABASE_URL is given, so that a new user needs no
// database set-up by hand.
package localdb

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"syscall"
)

var validDBName = regexp.MustCompile(`^[a-z_][a-z0-9_]{0,62}$`)

// DefaultPort is far from PostgreSQL's 5432 so a system cluster never clashes.
const DefaultPort = 55432

// Cluster is one local cluster: where it lives and how to reach it.
type Cluster struct {
	Dir      string // root directory: data/, the log and the password file live here
	Port     int
	Database string // the database riskmap uses
	Role     string // the superuser role created by initdb
}

// Config reads the cluster settings from the environment with defaults:
// RISKMAP_PGDIR (root dir) and RISKMAP_PGPORT.
func Config() Cluster {
	c := Cluster{Dir: os.Getenv("RISKMAP_PGDIR"), Port: DefaultPort, Database: "riskmap", Role: "riskmap"}
	if c.Dir == "" {
		c.Dir = defaultDir()
	}
	if p, err := strconv.Atoi(os.Getenv("RISKMAP_PGPORT")); err == nil && p > 0 {
		c.Port = p
	}
	return c
}

func defaultDir() string {
	if os.Geteuid() == 0 {
		// PostgreSQL refuses to run as root, and root's home is closed to the
		// postgres user, so root's cluster lives in a system directory.
		return "/var/lib/riskmap/pg"
	}
	if d := os.Getenv("XDG_DATA_HOME"); d != "" {
		return filepath.Join(d, "riskmap", "pg")
	}
	home, _ := os.UserHomeDir()
	return filepath.Join(home, ".local", "share", "riskmap", "pg")
}

func (c Cluster) dataDir() string  { return filepath.Join(c.Dir, "data") }
func (c Cluster) logFile() string  { return filepath.Join(c.Dir, "postgresql.log") }
func (c Cluster) passFile() string { return filepath.Join(c.Dir, "password") }

// SocketDir is where the server puts its unix socket.
func (c Cluster) SocketDir() string { return c.Dir }

// URL is the connection string for the cluster's database over the socket.
func (c Cluster) URL() string { return c.DatabaseURL(c.Database) }

// DatabaseURL is the connection string for another database of the cluster.
func (c Cluster) DatabaseURL(db string) string {
	return fmt.Sprintf("host=%s port=%d user=%s dbname=%s sslmode=disable", c.SocketDir(), c.Port, c.Role, db)
}

// binaries finds the newest installed PostgreSQL server and checks PostGIS.
func binaries() (string, error) { return binariesIn("/") }

// BinDir is the directory of the newest installed PostgreSQL's programs
// (pg_dump, pg_restore, psql of the server's own version).
func BinDir() (string, error) { return binaries() }

// binariesIn looks under root (a test points it at a fake tree) and names
// the exact Debian package to install when something is missing.
func binariesIn(root string) (string, error) {
	dirs, _ := filepath.Glob(filepath.Join(root, "usr/lib/postgresql/*/bin/postgres"))
	if len(dirs) == 0 {
		return "", errors.New("PostgreSQL server not found: install it with `apt-get install -y postgresql-15 postgresql-15-postgis-3` (or run `make deps` as root)")
	}
	sort.Slice(dirs, func(i, j int) bool { return version(dirs[i]) > version(dirs[j]) })
	bin := filepath.Dir(dirs[0])
	v := version(dirs[0])
	if _, err := os.Stat(filepath.Join(root, fmt.Sprintf("usr/share/postgresql/%d/extension/postgis.control", v))); err != nil {
		return "", fmt.Errorf("PostGIS for PostgreSQL %d not found: install it with `apt-get install -y postgresql-%d-postgis-3` (or run `make deps` as root)", v, v)
	}
	return bin, nil
}

func version(postgresPath string) int {
	v, _ := strconv.Atoi(filepath.Base(filepath.Dir(filepath.Dir(postgresPath))))
	return v
}

// owner is the unprivileged account the server runs as: the current user,
// or postgres when we are root.
type owner struct {
	cred *syscall.Credential
	uid  int
	gid  int
}

func serverOwner() (owner, error) {
	if os.Geteuid() != 0 {
		return owner{uid: os.Geteuid(), gid: os.Getegid()}, nil
	}
	u, err := user.Lookup("postgres")
	if err != nil {
		return owner{}, errors.New("running as root needs the postgres system user, which the postgresql package creates: apt-get install -y postgresql-15")
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	return owner{cred: &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}, uid: uid, gid: gid}, nil
}

func (o owner) run(ctx context.Context, name string, args ...string) (string, error) {
	closeInherited()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: o.cred, Setpgid: true}
	cmd.Dir = "/"
	cmd.Env = append(os.Environ(), "LC_ALL=C.UTF-8")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	return out.String(), err
}

// closeInherited marks the descriptors this process inherited beyond
// stdin, stdout and stderr close-on-exec (Go opens its own so), so that the
// server pg_ctl starts, which outlives us, holds none of them: started
// under flock(1), it kept the benchmark lock (flock's fd 3) for as long as
// the cluster ran.
func closeInherited() {
	fds, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		return
	}
	for _, e := range fds {
		if fd, err := strconv.Atoi(e.Name()); err == nil && fd > 2 {
			syscall.CloseOnExec(fd)
		}
	}
}

// Running reports whether the cluster's server is up.
func (c Cluster) Running(ctx context.Context) (bool, error) {
	bin, err := binaries()
	if err != nil {
		return false, err
	}
	if _, err := os.Stat(filepath.Join(c.dataDir(), "PG_VERSION")); err != nil {
		return false, nil
	}
	o, err := serverOwner()
	if err != nil {
		return false, err
	}
	_, err = o.run(ctx, filepath.Join(bin, "pg_ctl"), "status", "-D", c.dataDir())
	return err == nil, nil
}

// Start initialises the cluster if needed, starts it if it is not running,
// and makes sure the riskmap database and the postgis extension exist.
func (c Cluster) Start(ctx context.Context) error {
	bin, err := binaries()
	if err != nil {
		return err
	}
	o, err := serverOwner()
	if err != nil {
		return err
	}
	if err := c.initOnce(ctx, bin, o); err != nil {
		return err
	}
	changed, err := c.writeSettings(o)
	if err != nil {
		return err
	}
	up, _ := c.Running(ctx)
	if up && changed {
		if out, err := o.run(ctx, filepath.Join(bin, "pg_ctl"), "reload", "-D", c.dataDir()); err != nil {
			return fmt.Errorf("reload local PostgreSQL: %v: %s", err, strings.TrimSpace(out))
		}
	}
	if !up {
		out, err := o.run(ctx, filepath.Join(bin, "pg_ctl"), "start", "-w", "-t", "60", "-D", c.dataDir(), "-l", c.logFile(),
			"-o", fmt.Sprintf("-p %d -k %s", c.Port, c.SocketDir()))
		if err != nil {
			return fmt.Errorf("start local PostgreSQL (log: %s): %v: %s", c.logFile(), err, strings.TrimSpace(out))
		}
	}
	return c.ensureDatabase(ctx, bin, o, c.Database)
}

func (c Cluster) initOnce(ctx context.Context, bin string, o owner) error {
	if _, err := os.Stat(filepath.Join(c.dataDir(), "PG_VERSION")); err == nil {
		return nil
	}
	// parents stay traversable: the server runs as another user when we are root
	if err := os.MkdirAll(filepath.Dir(c.Dir), 0o755); err != nil {
		return fmt.Errorf("create %s: %w", filepath.Dir(c.Dir), err)
	}
	if err := os.MkdirAll(c.Dir, 0o700); err != nil {
		return fmt.Errorf("create %s: %w", c.Dir, err)
	}
	if err := os.Chown(c.Dir, o.uid, o.gid); err != nil {
		return fmt.Errorf("chown %s: %w", c.Dir, err)
	}
	pw := make([]byte, 18)
	if _, err := rand.Read(pw); err != nil {
		return err
	}
	if err := os.WriteFile(c.passFile(), []byte(hex.EncodeToString(pw)+"\n"), 0o600); err != nil {
		return err
	}
	if err := os.Chown(c.passFile(), o.uid, o.gid); err != nil {
		return err
	}
	// Socket connections are trusted (the socket lives in a 0700 directory of
	// the server's owner); TCP on loopback, for QGIS, needs the password.
	out, err := o.run(ctx, filepath.Join(bin, "initdb"), "-D", c.dataDir(), "-U", c.Role, "-E", "UTF8",
		"--locale=C.UTF-8", "--auth-local=trust", "--auth-host=scram-sha-256", "--pwfile="+c.passFile())
	if err != nil {
		return fmt.Errorf("initdb %s: %v: %s", c.dataDir(), err, strings.TrimSpace(out))
	}
	conf := fmt.Sprintf("\n# riskmap local cluster\nport = %d\nunix_socket_directories = '%s'\nlisten_addresses = '127.0.0.1'\nmax_connections = 200\nshared_buffers = 256MB\n", c.Port, c.SocketDir())
	f, err := os.OpenFile(filepath.Join(c.dataDir(), "postgresql.conf"), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	defer f.Close()
	_, err = f.WriteString(conf)
	return err
}

func (c Cluster) ensureDatabase(ctx context.Context, bin string, o owner, db string) error {
	if !validDBName.MatchString(db) {
		return fmt.Errorf("database name %q: want lower-case letters, digits and _", db)
	}
	psql := filepath.Join(bin, "psql")
	args := []string{"-h", c.SocketDir(), "-p", strconv.Itoa(c.Port), "-U", c.Role, "-d", "postgres", "-v", "ON_ERROR_STOP=1", "-tAc"}
	out, err := o.run(ctx, psql, append(args, fmt.Sprintf("SELECT 1 FROM pg_database WHERE datname = '%s'", db))...)
	if err != nil {
		return fmt.Errorf("query local PostgreSQL: %v: %s", err, strings.TrimSpace(out))
	}
	if strings.TrimSpace(out) != "1" {
		if out, err := o.run(ctx, psql, append(args, fmt.Sprintf(`CREATE DATABASE "%s"`, db))...); err != nil && !strings.Contains(out, "already exists") {
			return fmt.Errorf("create database %s: %v: %s", db, err, strings.TrimSpace(out))
		}
	}
	args[7] = db
	if out, err := o.run(ctx, psql, append(args, "CREATE EXTENSION IF NOT EXISTS postgis")...); err != nil && !strings.Contains(out, "already exists") {
		return fmt.Errorf("create extension postgis in %s: %v: %s", db, err, strings.TrimSpace(out))
	}
	return nil
}

// Stop shuts the server down cleanly (fast mode: sessions are ended, data is flushed).
func (c Cluster) Stop(ctx context.Context) error {
	bin, err := binaries()
	if err != nil {
		return err
	}
	if up, _ := c.Running(ctx); !up {
		return nil
	}
	o, err := serverOwner()
	if err != nil {
		return err
	}
	out, err := o.run(ctx, filepath.Join(bin, "pg_ctl"), "stop", "-w", "-t", "60", "-m", "fast", "-D", c.dataDir())
	if err != nil {
		return fmt.Errorf("stop local PostgreSQL: %v: %s", err, strings.TrimSpace(out))
	}
	return nil
}

// Status describes the cluster for `riskmap db status`.
func (c Cluster) Status(ctx context.Context) string {
	up, err := c.Running(ctx)
	switch {
	case err != nil:
		return "unavailable: " + err.Error()
	case up:
		return fmt.Sprintf("running: data %s, port %d, socket %s\nconnect: psql \"%s\"\nQGIS/TCP: host 127.0.0.1 port %d user %s, password in %s", c.dataDir(), c.Port, c.SocketDir(), c.URL(), c.Port, c.Role, c.passFile())
	default:
		if _, err := os.Stat(filepath.Join(c.dataDir(), "PG_VERSION")); err != nil {
			return fmt.Sprintf("not initialised (data directory %s); `riskmap db start` creates it", c.dataDir())
		}
		return fmt.Sprintf("stopped: data %s", c.dataDir())
	}
}

// settings are the server settings the project manages, in riskmap.conf
// beside postgresql.conf (included from it, so ALTER SYSTEM still has the
// last word). A bulk import of a million points writes about 2.6 GB of
// WAL: with the default max_wal_size of 1 GB the server checkpoints
// several times during it, writing every page it touched again as a
// full-page image; and it writes about 1.5 GB of table, index and audit
// pages, which a small shared_buffers makes the importing backend evict
// and write out itself. shared_buffers is an eighth of the machine's
// memory, between 256 MB (what a new cluster starts with) and 2 GB; it
// takes effect at the next start.
func settings(memory uint64) string {
	const mb = 1 << 20
	buffers := min(max(memory/8, 256*mb), 2048*mb) / mb
	return fmt.Sprintf("# written by riskmap on every start: change settings with ALTER SYSTEM\n"+
		"max_wal_size = 4GB\nshared_buffers = %dMB\n", buffers)
}

// writeSettings writes riskmap.conf and includes it from postgresql.conf
// (clusters initialised before it existed get the include too); changed
// says the server must reload to see it.
func (c Cluster) writeSettings(o owner) (changed bool, err error) {
	path := filepath.Join(c.dataDir(), "riskmap.conf")
	want := settings(totalMemory())
	if old, err := os.ReadFile(path); err != nil || string(old) != want {
		// written aside and renamed: a server starting at this moment (test
		// packages start the cluster in parallel) reads the old file or the
		// new one, never half of one
		f, err := os.CreateTemp(c.dataDir(), "riskmap.conf.*") // 0600, a name of its own
		if err != nil {
			return false, err
		}
		_, err = f.WriteString(want)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err == nil {
			err = os.Chown(f.Name(), o.uid, o.gid)
		}
		if err == nil {
			err = os.Rename(f.Name(), path)
		}
		if err != nil {
			os.Remove(f.Name())
			return false, err
		}
		changed = true
	}
	confPath := filepath.Join(c.dataDir(), "postgresql.conf")
	conf, err := os.ReadFile(confPath)
	if err != nil {
		return false, err
	}
	const include = "include_if_exists = 'riskmap.conf'"
	if !strings.Contains(string(conf), include) {
		f, err := os.OpenFile(confPath, os.O_APPEND|os.O_WRONLY, 0)
		if err != nil {
			return false, err
		}
		defer f.Close()
		if _, err := f.WriteString("\n" + include + "\n"); err != nil {
			return false, err
		}
		changed = true
	}
	return changed, nil
}
