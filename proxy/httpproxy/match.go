package httpproxy

import (
	"net/http"
	"net/textproto"
	"regexp"
	"strconv"
	"strings"

	"github.com/sidewire/sidewire/proxy/config"
)

// reqView is what route matching reads from a request. The strings alias
// the request; building it allocates nothing.
type reqView struct {
	method    string
	authority string // lower case
	// path is the :path header as received: escaped path and query.
	path string
	// pathOnly is path without the query string, query the part after
	// '?' ("" without one).
	pathOnly, query string
	scheme          string // "http" or "https"
	header          http.Header
	grpc            bool
}

// stringMatcher is a compiled config.StringMatch.
type stringMatcher struct {
	kind   config.StringMatchKind
	value  string
	ignore bool
	re     *regexp.Regexp // MatchRegex; nil when it did not compile (never matches)
}

func newStringMatcher(m config.StringMatch) (*stringMatcher, error) {
	sm := &stringMatcher{kind: m.Kind, value: m.Value, ignore: m.IgnoreCase}
	if m.Kind == config.MatchRegex {
		re, err := compileFull(m.Value)
		if err != nil {
			return sm, err
		}
		sm.re = re
	}
	return sm, nil
}

// compileFull compiles an RE2 expression that must match a whole value,
// as Envoy's safe_regex does.
func compileFull(expr string) (*regexp.Regexp, error) {
	return regexp.Compile(`^(?:` + expr + `)$`)
}

func (m *stringMatcher) match(s string) bool {
	v := m.value
	switch m.kind {
	case config.MatchExact:
		return len(s) == len(v) && m.equal(s, v)
	case config.MatchPrefix:
		return len(s) >= len(v) && m.equal(s[:len(v)], v)
	case config.MatchSuffix:
		return len(s) >= len(v) && m.equal(s[len(s)-len(v):], v)
	case config.MatchContains:
		if m.ignore {
			return containsFold(s, v)
		}
		return strings.Contains(s, v)
	case config.MatchRegex:
		return m.re != nil && m.re.MatchString(s)
	}
	return false
}

func (m *stringMatcher) equal(a, b string) bool {
	if m.ignore {
		return strings.EqualFold(a, b)
	}
	return a == b
}

// containsFold reports whether sub is in s, ignoring ASCII case, without
// allocating.
func containsFold(s, sub string) bool {
	for i := 0; i+len(sub) <= len(s); i++ {
		if strings.EqualFold(s[i:i+len(sub)], sub) {
			return true
		}
	}
	return false
}

// pseudo identifies the HTTP/2 pseudo-headers routes can match.
type pseudo uint8

const (
	notPseudo pseudo = iota
	pseudoMethod
	pseudoAuthority
	pseudoPath
	pseudoScheme
)

var pseudoHeaders = map[string]pseudo{
	":method": pseudoMethod, ":authority": pseudoAuthority, ":path": pseudoPath, ":scheme": pseudoScheme,
	"host": pseudoAuthority,
}

// headerMatcher is a compiled config.HeaderMatch.
type headerMatcher struct {
	canon      string // canonical MIME key of a regular header
	pseudo     pseudo
	kind       config.HeaderMatchKind
	str        *stringMatcher
	present    bool
	start, end int64
	invert     bool
}

func newHeaderMatcher(h config.HeaderMatch) (headerMatcher, error) {
	m := headerMatcher{pseudo: pseudoHeaders[h.Name], kind: h.Kind, present: h.Present,
		start: h.Start, end: h.End, invert: h.Invert}
	if m.pseudo == notPseudo {
		m.canon = textproto.CanonicalMIMEHeaderKey(h.Name)
	}
	var err error
	if h.Kind == config.HeaderString {
		m.str, err = newStringMatcher(h.String)
	}
	return m, err
}

// value returns the header's value: a repeated header's values joined
// by ",", as Envoy matches them. Only a repeated header allocates.
func (m *headerMatcher) value(q *reqView) (string, bool) {
	switch m.pseudo {
	case pseudoMethod:
		return q.method, true
	case pseudoAuthority:
		return q.authority, q.authority != ""
	case pseudoPath:
		return q.path, true
	case pseudoScheme:
		return q.scheme, true
	}
	vs := q.header[m.canon]
	switch len(vs) {
	case 0:
		return "", false
	case 1:
		return vs[0], true
	}
	return strings.Join(vs, ","), true
}

// match checks the request; a missing header fails every kind but an
// absence check, before inversion (so an inverted matcher admits it).
func (m *headerMatcher) match(q *reqView) bool {
	v, found := m.value(q)
	var ok bool
	switch m.kind {
	case config.HeaderPresent:
		ok = found == m.present
	case config.HeaderRange:
		n, err := strconv.ParseInt(v, 10, 64)
		ok = found && err == nil && n >= m.start && n < m.end
	default:
		ok = found && m.str.match(v)
	}
	return ok != m.invert
}

// queryMatcher is a compiled config.QueryParameterMatch.
type queryMatcher struct {
	name string
	str  *stringMatcher // nil: presence only
}

func (m *queryMatcher) match(q *reqView) bool {
	v, ok := queryParam(q.query, m.name)
	if !ok {
		return false
	}
	return m.str == nil || m.str.match(v)
}

// queryParam returns the first value of the parameter name in a raw
// query string, not percent-decoded (Envoy matches the raw value). A
// parameter without '=' has the value "". It allocates nothing.
func queryParam(query, name string) (string, bool) {
	for query != "" {
		var kv string
		kv, query, _ = strings.Cut(query, "&")
		k, v, _ := strings.Cut(kv, "=")
		if k == name {
			return v, true
		}
	}
	return "", false
}

// isGRPC reports whether a content type is gRPC's (application/grpc,
// application/grpc+proto, ...; not gRPC-Web).
func isGRPC(contentType string) bool {
	const ct = "application/grpc"
	if !strings.HasPrefix(contentType, ct) {
		return false
	}
	rest := contentType[len(ct):]
	return rest == "" || rest[0] == '+' || rest[0] == ';'
}
