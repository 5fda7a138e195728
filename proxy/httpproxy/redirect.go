package httpproxy

import (
	"strconv"
	"strings"

	"github.com/sidewire/sidewire/proxy/config"
)

// routeRedirect is a compiled config.HTTPRedirect.
type routeRedirect struct {
	scheme, host  string
	port          string // ":1234", or "" to keep the request's
	path          string
	prefixRewrite string
	hasRewrite    bool
	// matched is how much of the request's path a prefix rewrite
	// replaces: the route's prefix length; -1 for an exact path route
	// (the whole path without the query).
	matched    int
	stripQuery bool
	status     int
}

func compileRedirect(rd *config.HTTPRedirect, m *config.HTTPRouteMatch) *routeRedirect {
	out := &routeRedirect{scheme: rd.Scheme, host: rd.Host, path: rd.Path, prefixRewrite: rd.PrefixRewrite,
		hasRewrite: rd.PrefixRewrite != "", stripQuery: rd.StripQuery, status: rd.Status}
	if rd.Port != 0 {
		out.port = ":" + strconv.FormatUint(uint64(rd.Port), 10)
	}
	if out.status == 0 {
		out.status = 301
	}
	switch m.PathKind {
	case config.PathPrefix, config.PathSeparatedPrefix:
		out.matched = len(m.Path)
	case config.PathExact:
		out.matched = -1
	default:
		out.hasRewrite = false
	}
	return out
}

// location builds the Location header as Envoy does: the scheme, host,
// port and path of the redirect where given, the request's otherwise.
// proto is the request's x-forwarded-proto (its scheme), which decides
// whether the request's default port is dropped on a scheme change.
func (rd *routeRedirect) location(q *reqView, proto string) string {
	scheme := rd.scheme
	if scheme == "" {
		scheme = proto
	}
	host := rd.host
	if host == "" {
		host = redirectHost(q.authority, proto, scheme, rd.port != "")
	}
	return scheme + "://" + host + rd.port + rd.newPath(q)
}

// redirectHost returns the request's host for the Location: its port is
// dropped when the redirect sets a port, or when the scheme changes and
// the port is the old scheme's default.
func redirectHost(host, proto, scheme string, newPort bool) string {
	bare := stripPort(host)
	if bare == host {
		return host
	}
	port := host[len(bare):]
	remove := newPort
	if scheme != proto {
		remove = remove || proto == "https" && port == ":443" || proto == "http" && port == ":80"
	}
	if remove {
		return bare
	}
	return host
}

// newPath returns the redirect's path and query.
func (rd *routeRedirect) newPath(q *reqView) string {
	switch {
	case rd.path != "":
		if strings.Contains(rd.path, "?") || rd.stripQuery || q.query == "" {
			return rd.path
		}
		return rd.path + "?" + q.query
	case rd.hasRewrite:
		p := q.path
		n := rd.matched
		if n < 0 || n > len(p) {
			n = len(q.pathOnly)
		}
		p = rd.prefixRewrite + p[n:]
		if rd.stripQuery {
			p, _, _ = strings.Cut(p, "?")
		}
		return p
	case rd.stripQuery:
		return q.pathOnly
	}
	return q.path
}

// directReply is a compiled config.HTTPDirectResponse.
type directReply struct {
	status    int
	body      string
	bodyBytes []byte
	length    string
}

func compileDirect(d *config.HTTPDirectResponse) *directReply {
	return &directReply{status: d.Status, body: d.Body, bodyBytes: []byte(d.Body), length: strconv.Itoa(len(d.Body))}
}
