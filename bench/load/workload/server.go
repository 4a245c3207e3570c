package workload

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"time"

	benchdata "riskmap/bench/data"
)

// Build builds the riskmap binary into dir and returns its path.
func Build(ctx context.Context, dir string) (string, error) {
	root, err := benchdata.Root()
	if err != nil {
		return "", err
	}
	bin := filepath.Join(dir, "riskmap")
	cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, "./cmd/riskmap")
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build ./cmd/riskmap: %w\n%s", err, out)
	}
	return bin, nil
}

// Server is a `riskmap serve` process on a loopback port of its own.
type Server struct {
	Base string // http://127.0.0.1:PORT
	Log  string // its log file
	cmd  *exec.Cmd
	done chan struct{}
	err  error // how it exited, once done is closed
}

// FreeAddr is a loopback address nothing listens on at the moment.
func FreeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return l.Addr().String(), nil
}

// Start runs `bin serve` against databaseURL with args (after --addr),
// logging to logPath, and waits until /healthz answers 200.
func Start(ctx context.Context, bin, databaseURL, logPath string, args ...string) (*Server, error) {
	addr, err := FreeAddr()
	if err != nil {
		return nil, err
	}
	return StartAt(ctx, bin, databaseURL, logPath, addr, args...)
}

// StartAt is Start on a given address.
func StartAt(ctx context.Context, bin, databaseURL, logPath, addr string, args ...string) (*Server, error) {
	logf, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, append([]string{"serve", "--addr", addr}, args...)...)
	cmd.Env = append(os.Environ(), "DATABASE_URL="+databaseURL)
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		logf.Close()
		return nil, fmt.Errorf("start riskmap serve: %w", err)
	}
	s := &Server{Base: "http://" + addr, Log: logPath, cmd: cmd, done: make(chan struct{})}
	go func() {
		s.err = cmd.Wait()
		logf.Close()
		close(s.done)
	}()
	deadline := time.Now().Add(2 * time.Minute)
	for time.Now().Before(deadline) {
		select {
		case <-s.done:
			return nil, fmt.Errorf("riskmap serve exited at start-up (%v); log: %s", s.err, tail(logPath))
		case <-ctx.Done():
			s.Kill()
			return nil, ctx.Err()
		default:
		}
		res, err := http.Get(s.Base + "/healthz")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == 200 {
				return s, nil
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	s.Kill()
	return nil, fmt.Errorf("riskmap serve did not answer /healthz on %s; log: %s", addr, tail(logPath))
}

// Pid is the process id.
func (s *Server) Pid() int { return s.cmd.Process.Pid }

// Running reports whether the process is still alive.
func (s *Server) Running() bool {
	select {
	case <-s.done:
		return false
	default:
		return true
	}
}

// Stop sends SIGTERM (graceful shutdown) and waits up to timeout; then it
// kills the process. It returns how the process exited.
func (s *Server) Stop(timeout time.Duration) error {
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.done:
		return s.err
	case <-time.After(timeout):
		s.Kill()
		return fmt.Errorf("riskmap serve did not stop within %s of SIGTERM; killed", timeout)
	}
}

// Kill sends SIGKILL and waits for the process to end.
func (s *Server) Kill() {
	_ = s.cmd.Process.Signal(syscall.SIGKILL)
	<-s.done
}

// Signal sends sig to the process.
func (s *Server) Signal(sig os.Signal) error { return s.cmd.Process.Signal(sig) }

// Wait waits for the process to exit and returns how it did.
func (s *Server) Wait() error {
	<-s.done
	return s.err
}

// Done is closed when the process has exited.
func (s *Server) Done() <-chan struct{} { return s.done }

// tail is the end of a log file, for error messages.
func tail(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return err.Error()
	}
	if len(b) > 3000 {
		b = b[len(b)-3000:]
	}
	return string(b)
}

// Tail is the end of the server's log.
func (s *Server) Tail() string { return tail(s.Log) }
