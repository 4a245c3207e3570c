package api

import (
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"regexp"
	"strings"
)

// Absolute URLs (TileJSON tiles, the map style's sources, OGC self and
// next links) are built from one place, baseURL, since a client follows
// them with its credentials (GDAL sends its auth header to whatever host a
// next link names). They never come from what any client says about the
// host, in this order:
//
//  1. the configured public base URL (--public-url), when set: the address
//     users reach the service by;
//  2. X-Forwarded-Host and X-Forwarded-Proto, only from a trusted proxy
//     (--trusted-proxies);
//  3. the request's own Host when it names this machine (localhost,
//     127.0.0.0/8, ::1): the demo and local use;
//  4. otherwise the listen address (DefaultBaseURL), with a warning at start
//     that --public-url should be set.

// hostPort is what a Host or X-Forwarded-Host may hold: a name or address
// and an optional port, nothing that could carry a path or credentials.
var hostPort = regexp.MustCompile(`^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+)(:[0-9]{1,5})?$`)

// CheckPublicURL says whether u can be the public base URL: absolute http
// or https, no query, fragment or credentials.
func CheckPublicURL(u string) error {
	p, err := url.Parse(u)
	if err != nil {
		return err
	}
	if (p.Scheme != "http" && p.Scheme != "https") || p.Host == "" || p.User != nil || p.RawQuery != "" || p.Fragment != "" {
		return errPublicURL
	}
	return nil
}

type publicURLError struct{}

func (publicURLError) Error() string {
	return "want an absolute http(s) URL without query or credentials, e.g. https://riskmap.example.gov.cn"
}

var errPublicURL = publicURLError{}

// ListenURL is the base URL a server listening on addr is reached by on
// this machine: a wildcard address becomes localhost.
func ListenURL(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "http://localhost"
	}
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		host = "localhost"
	}
	return "http://" + net.JoinHostPort(host, port)
}

// baseURL is the absolute address of the server for links in an answer to r.
func (s *Server) baseURL(r *http.Request) string {
	if s.PublicURL != "" {
		return strings.TrimRight(s.PublicURL, "/")
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	if s.fromTrustedProxy(r) {
		if p := r.Header.Get("X-Forwarded-Proto"); p == "http" || p == "https" {
			scheme = p
		}
		if h := r.Header.Get("X-Forwarded-Host"); hostPort.MatchString(h) {
			return scheme + "://" + h
		}
	}
	if hostPort.MatchString(r.Host) && loopbackHost(r.Host) {
		return scheme + "://" + r.Host
	}
	if s.DefaultBaseURL != "" {
		return strings.TrimRight(s.DefaultBaseURL, "/")
	}
	return "http://localhost"
}

// loopbackHost reports whether a Host header names this machine.
func loopbackHost(h string) bool {
	host := h
	if hh, _, err := net.SplitHostPort(h); err == nil {
		host = hh
	}
	host = strings.Trim(host, "[]")
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip, err := netip.ParseAddr(host)
	return err == nil && ip.IsLoopback()
}

// fromTrustedProxy reports whether the request came straight from one of
// the configured proxies.
func (s *Server) fromTrustedProxy(r *http.Request) bool {
	if len(s.TrustedProxies) == 0 {
		return false
	}
	host, _, err := net.SplitHostPort(strings.TrimSpace(r.RemoteAddr))
	if err != nil {
		return false
	}
	ip, err := netip.ParseAddr(host)
	if err != nil {
		return false
	}
	ip = ip.Unmap()
	for _, p := range s.TrustedProxies {
		if pre, err := netip.ParsePrefix(p); err == nil && pre.Contains(ip) {
			return true
		}
		if a, err := netip.ParseAddr(p); err == nil && a.Unmap() == ip {
			return true
		}
	}
	return false
}
