package localdb

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// A streaming standby of a local cluster, by PostgreSQL's own physical
// replication: pg_basebackup copies the primary through a replication slot
// (so the primary keeps the WAL the standby has not received), -R makes it
// a standby that follows the primary over the primary's socket, and the
// standby's sessions are read-only (hot standby). Its application_name is
// StandbyName, which the primary names in synchronous_standby_names when
// commits must wait for it (SetSynchronous). For tests and small sites on
// one machine; production uses any PostgreSQL HA setup (docs/operations.md).

// StandbyName is the standby's replication slot and application_name.
const StandbyName = "riskmap_standby"

// Standby is where c's standby lives by default: beside c's directory, on
// the next port.
func (c Cluster) Standby() Cluster {
	return Cluster{Dir: strings.TrimRight(c.Dir, "/") + "-standby", Port: c.Port + 1, Database: c.Database, Role: c.Role}
}

// StartStandby makes standby a streaming standby of the running primary c
// (once: an existing one is only started) and starts it.
func (c Cluster) StartStandby(ctx context.Context, standby Cluster) error {
	bin, o, err := tools()
	if err != nil {
		return err
	}
	if up, _ := c.Running(ctx); !up {
		return fmt.Errorf("the primary (%s) is not running: `riskmap db start` first", c.dataDir())
	}
	if _, err := os.Stat(filepath.Join(standby.dataDir(), "PG_VERSION")); err != nil {
		if err := c.baseBackup(ctx, bin, o, standby); err != nil {
			return err
		}
	}
	if up, _ := standby.Running(ctx); up {
		return nil
	}
	out, err := o.run(ctx, filepath.Join(bin, "pg_ctl"), "start", "-w", "-t", "120", "-D", standby.dataDir(), "-l", standby.logFile(),
		"-o", fmt.Sprintf("-p %d -k %s", standby.Port, standby.SocketDir()))
	if err != nil {
		return fmt.Errorf("start the standby (log: %s): %v: %s", standby.logFile(), err, strings.TrimSpace(out))
	}
	return nil
}

func (c Cluster) baseBackup(ctx context.Context, bin string, o owner, standby Cluster) error {
	if err := os.MkdirAll(filepath.Dir(standby.Dir), 0o755); err != nil {
		return err
	}
	if err := os.MkdirAll(standby.Dir, 0o700); err != nil {
		return err
	}
	if err := os.Chown(standby.Dir, o.uid, o.gid); err != nil {
		return err
	}
	if err := c.psql(ctx, bin, o, fmt.Sprintf("SELECT pg_create_physical_replication_slot('%s') WHERE NOT EXISTS (SELECT 1 FROM pg_replication_slots WHERE slot_name = '%s')", StandbyName, StandbyName)); err != nil {
		return err
	}
	conninfo := fmt.Sprintf("host=%s port=%d user=%s application_name=%s", c.SocketDir(), c.Port, c.Role, StandbyName)
	out, err := o.run(ctx, filepath.Join(bin, "pg_basebackup"), "-d", conninfo, "-D", standby.dataDir(),
		"-X", "stream", "-S", StandbyName, "-R", "-c", "fast")
	if err != nil {
		os.RemoveAll(standby.dataDir())
		return fmt.Errorf("pg_basebackup: %v: %s", err, strings.TrimSpace(out))
	}
	// the copy names the primary's port and socket: the standby has its own
	conf := fmt.Sprintf("\n# riskmap standby of %s\nport = %d\nunix_socket_directories = '%s'\nhot_standby = on\nhot_standby_feedback = on\n",
		c.dataDir(), standby.Port, standby.SocketDir())
	f, err := os.OpenFile(filepath.Join(standby.dataDir(), "postgresql.conf"), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	_, err = f.WriteString(conf)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	if pw, err := os.ReadFile(c.passFile()); err == nil {
		if err := os.WriteFile(standby.passFile(), pw, 0o600); err == nil {
			_ = os.Chown(standby.passFile(), o.uid, o.gid)
		}
	}
	return nil
}

// SetSynchronous makes the primary c's commits wait until the standby has
// its WAL (synchronous_commit = on with the standby named), or stop
// waiting: a failover then loses no acknowledged write, and while the
// standby is away, writes wait.
func (c Cluster) SetSynchronous(ctx context.Context, on bool) error {
	bin, o, err := tools()
	if err != nil {
		return err
	}
	names := "''"
	if on {
		names = "'" + StandbyName + "'"
	}
	for _, sql := range []string{"ALTER SYSTEM SET synchronous_standby_names = " + names, "ALTER SYSTEM SET synchronous_commit = on", "SELECT pg_reload_conf()"} {
		if err := c.psql(ctx, bin, o, sql); err != nil {
			return err
		}
	}
	return nil
}

// Promote turns a standby into a primary (pg_ctl promote) and waits
// until it accepts writes.
func (c Cluster) Promote(ctx context.Context) error {
	bin, o, err := tools()
	if err != nil {
		return err
	}
	if out, err := o.run(ctx, filepath.Join(bin, "pg_ctl"), "promote", "-w", "-t", "60", "-D", c.dataDir()); err != nil {
		return fmt.Errorf("promote %s: %v: %s", c.dataDir(), err, strings.TrimSpace(out))
	}
	return nil
}

// PostmasterPID is the server's process id (from postmaster.pid), for
// tests that kill it.
func (c Cluster) PostmasterPID() (int, error) {
	b, err := os.ReadFile(filepath.Join(c.dataDir(), "postmaster.pid"))
	if err != nil {
		return 0, err
	}
	line, _, _ := strings.Cut(string(b), "\n")
	return strconv.Atoi(strings.TrimSpace(line))
}

// tools are the server's programs and the account they run as.
func tools() (string, owner, error) {
	bin, err := binaries()
	if err != nil {
		return "", owner{}, err
	}
	o, err := serverOwner()
	return bin, o, err
}

// psql runs one statement in c's postgres database as the superuser.
func (c Cluster) psql(ctx context.Context, bin string, o owner, sql string) error {
	out, err := o.run(ctx, filepath.Join(bin, "psql"), "-h", c.SocketDir(), "-p", strconv.Itoa(c.Port), "-U", c.Role, "-d", "postgres",
		"-v", "ON_ERROR_STOP=1", "-tAc", sql)
	if err != nil {
		return fmt.Errorf("%s: %v: %s", sql, err, strings.TrimSpace(out))
	}
	return nil
}
