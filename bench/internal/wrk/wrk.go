// Package wrk drives HTTP load at a server with wrk (Debian's package): two
// threads, a Lua script cycling through a list of paths with the request
// headers given, and the figures read back from wrk's report. The feature
// list and tile benchmarks share it.
package wrk

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Result is one measurement.
type Result struct {
	Rate     float64 // requests per second
	P50, P99 time.Duration
	N        int           // requests answered
	Errors   int           // non-2xx/3xx answers, plus one if wrk saw socket errors
	Bytes    float64       // bytes read per request (headers included)
	CPU      time.Duration // wrk's own CPU
}

// Available says whether wrk is installed.
func Available() bool {
	_, err := exec.LookPath("wrk")
	return err == nil
}

// script cycles through the paths of BENCH_PATHS with the headers of
// BENCH_HEADERS (name: value lines); the two threads start half the list
// apart.
const script = `
local counter = 0
function setup(thread)
  thread:set("tid", counter)
  counter = counter + 1
end
function init(args)
  paths = {}
  for line in io.lines(os.getenv("BENCH_PATHS")) do paths[#paths + 1] = line end
  headers = {}
  for line in io.lines(os.getenv("BENCH_HEADERS")) do
    local name, value = line:match("^([^:]+):%s*(.*)$")
    if name then headers[name] = value end
  end
  i = math.floor(tid * #paths / 2)
end
function request()
  i = i % #paths + 1
  return wrk.format("GET", paths[i], headers)
end
`

var (
	rate     = regexp.MustCompile(`Requests/sec:\s+([0-9.]+)`)
	pct      = regexp.MustCompile(`(?m)^\s+(50|99)%\s+([0-9.]+)(us|ms|s)\s*$`)
	count    = regexp.MustCompile(`(\d+) requests in [0-9.]+\w+, ([0-9.]+)([KMG]?B) read`)
	non2xx   = regexp.MustCompile(`Non-2xx or 3xx responses: (\d+)`)
	sockErrs = regexp.MustCompile(`Socket errors: .*`)
)

// Run runs wrk -t2 with conns connections for d against base, cycling
// through paths with headers (in a stable order), its files in dir.
func Run(ctx context.Context, dir, base string, paths []string, headers map[string]string, conns int, d time.Duration) (Result, error) {
	scriptFile := filepath.Join(dir, "wrk.lua")
	list := filepath.Join(dir, "wrk-paths.txt")
	hdrs := filepath.Join(dir, "wrk-headers.txt")
	names := make([]string, 0, len(headers))
	for k := range headers {
		names = append(names, k)
	}
	sort.Strings(names)
	var hb strings.Builder
	for _, k := range names {
		fmt.Fprintf(&hb, "%s: %s\n", k, headers[k])
	}
	for f, body := range map[string]string{scriptFile: script, list: strings.Join(paths, "\n") + "\n", hdrs: hb.String()} {
		if err := os.WriteFile(f, []byte(body), 0o644); err != nil {
			return Result{}, err
		}
	}
	// wrk's default timeout (2 s) counts a slow answer (an old build's page
	// of 1,000 features under load) as a socket error: wait up to 30 s
	cmd := exec.CommandContext(ctx, "wrk", "-t2", "-c"+strconv.Itoa(conns), "-d"+strconv.Itoa(max(1, int(d.Seconds())))+"s", "--timeout", "30s",
		"--latency", "-s", scriptFile, base)
	cmd.Env = append(os.Environ(), "BENCH_PATHS="+list, "BENCH_HEADERS="+hdrs)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return Result{}, fmt.Errorf("wrk: %w\n%s", err, out)
	}
	s := string(out)
	m := rate.FindStringSubmatch(s)
	if m == nil {
		return Result{}, fmt.Errorf("wrk: no Requests/sec in\n%s", s)
	}
	var r Result
	r.Rate, _ = strconv.ParseFloat(m[1], 64)
	r.CPU = cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
	if m := count.FindStringSubmatch(s); m != nil {
		r.N, _ = strconv.Atoi(m[1])
		v, _ := strconv.ParseFloat(m[2], 64)
		v *= map[string]float64{"B": 1, "KB": 1 << 10, "MB": 1 << 20, "GB": 1 << 30}[m[3]]
		if r.N > 0 {
			r.Bytes = v / float64(r.N)
		}
	}
	for _, p := range pct.FindAllStringSubmatch(s, -1) {
		v, _ := strconv.ParseFloat(p[2], 64)
		dur := time.Duration(v * map[string]float64{"us": 1e3, "ms": 1e6, "s": 1e9}[p[3]])
		if p[1] == "50" {
			r.P50 = dur
		} else {
			r.P99 = dur
		}
	}
	if m := non2xx.FindStringSubmatch(s); m != nil {
		r.Errors, _ = strconv.Atoi(m[1])
	}
	if m := sockErrs.FindString(s); m != "" {
		r.Errors++
		fmt.Fprintln(os.Stderr, "wrk:", m)
	}
	return r, nil
}

// Median is the result with the median rate.
func Median(rs []Result) Result {
	s := append([]Result(nil), rs...)
	sort.Slice(s, func(i, j int) bool { return s[i].Rate < s[j].Rate })
	return s[len(s)/2]
}
