package notify

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"syscall"
	"time"
)

// Robots are reached only on public addresses (OWASP SSRF prevention,
// ASVS 12.6.1): an office may type any URL into a channel, and the test
// button sends to it at once, so without this rule the server could be
// made to call itself, the database port, the cloud's metadata service or
// anything else on the intranet, and answer with what it heard. The check
// runs when the connection is made, on the address actually dialled, so
// a name that resolves to an inner address (or changes to one: DNS
// rebinding) is refused too. Sites whose robots sit behind an intranet
// gateway set Config.AllowPrivate (serve --notify-allow-private).

// errNotPublic is what a refused address reads as (no more detail: the
// message reaches the office's screen).
var errNotPublic = errors.New("the robot's address is not a public internet address (loopback, private, link-local and the like are refused; see --notify-allow-private)")

// publicOnly is a net.Dialer Control that refuses non-public addresses.
func publicOnly(_, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("robot address %q: %w", address, err)
	}
	if !isPublic(ap.Addr()) {
		return errNotPublic
	}
	return nil
}

// isPublic reports whether a is a global unicast address outside the
// private, shared (CGNAT), documentation and benchmarking ranges.
func isPublic(a netip.Addr) bool {
	a = a.Unmap()
	if !a.IsGlobalUnicast() || a.IsPrivate() || a.IsLoopback() || a.IsLinkLocalUnicast() {
		return false
	}
	for _, p := range notPublic {
		if p.Contains(a) {
			return false
		}
	}
	return true
}

var notPublic = []netip.Prefix{
	netip.MustParsePrefix("0.0.0.0/8"),
	netip.MustParsePrefix("100.64.0.0/10"), // shared address space (CGNAT)
	netip.MustParsePrefix("192.0.0.0/24"),
	netip.MustParsePrefix("192.0.2.0/24"),
	netip.MustParsePrefix("198.18.0.0/15"),
	netip.MustParsePrefix("198.51.100.0/24"),
	netip.MustParsePrefix("203.0.113.0/24"),
	netip.MustParsePrefix("240.0.0.0/4"),
	netip.MustParsePrefix("64:ff9b::/96"), // NAT64 of any IPv4 address
	netip.MustParsePrefix("2001:db8::/32"),
}

// robotClient is the default client for robot messages: redirects are
// refused, not followed (the answer that counts is the robot's own), and
// unless allowPrivate only public addresses are dialled, through no proxy
// (a proxy would dial for us, unchecked).
func robotClient(timeout time.Duration, allowPrivate bool) *http.Client {
	d := &net.Dialer{Timeout: timeout}
	t := http.DefaultTransport.(*http.Transport).Clone()
	if !allowPrivate {
		d.Control = publicOnly
		t.Proxy = nil
	}
	t.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		return d.DialContext(ctx, network, addr)
	}
	return &http.Client{Timeout: timeout, Transport: t,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}
