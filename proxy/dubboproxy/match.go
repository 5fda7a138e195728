package dubboproxy

import (
	"bytes"
	"regexp"
	"strconv"
	"strings"

	"github.com/sidewire/sidewire/proxy/config"
)

// stringMatcher is a compiled config.StringMatch. It matches byte
// slices without allocating, except for case-insensitive contains.
type stringMatcher struct {
	kind   config.StringMatchKind
	value  []byte
	ignore bool
	re     *regexp.Regexp
}

// newStringMatcher compiles m; the config was validated, so a regex
// that does not compile cannot occur (it would never match).
func newStringMatcher(m config.StringMatch) *stringMatcher {
	sm := &stringMatcher{kind: m.Kind, value: []byte(m.Value), ignore: m.IgnoreCase}
	if m.Kind == config.MatchRegex {
		sm.re, _ = regexp.Compile(`^(?:` + m.Value + `)$`)
	}
	return sm
}

func (m *stringMatcher) match(b []byte) bool {
	v := m.value
	switch m.kind {
	case config.MatchExact:
		return len(b) == len(v) && m.equal(b, v)
	case config.MatchPrefix:
		return len(b) >= len(v) && m.equal(b[:len(v)], v)
	case config.MatchSuffix:
		return len(b) >= len(v) && m.equal(b[len(b)-len(v):], v)
	case config.MatchContains:
		if m.ignore {
			return strings.Contains(strings.ToLower(string(b)), strings.ToLower(string(v)))
		}
		return bytes.Contains(b, v)
	case config.MatchRegex:
		return m.re != nil && m.re.Match(b)
	}
	return false
}

func (m *stringMatcher) equal(a, b []byte) bool {
	if m.ignore {
		return bytes.EqualFold(a, b)
	}
	return bytes.Equal(a, b)
}

// ifaceMatcher matches a service interface: exact, any ("*"), prefix
// ("com.example.*") or suffix ("*.Greeter"); the wildcard never matches
// an empty string.
type ifaceMatcher struct {
	any, prefix, suffix bool
	s                   []byte
}

func newIfaceMatcher(s string) ifaceMatcher {
	switch {
	case s == "*":
		return ifaceMatcher{any: true}
	case strings.HasPrefix(s, "*"):
		return ifaceMatcher{suffix: true, s: []byte(s[1:])}
	case strings.HasSuffix(s, "*"):
		return ifaceMatcher{prefix: true, s: []byte(s[:len(s)-1])}
	}
	return ifaceMatcher{s: []byte(s)}
}

func (m ifaceMatcher) match(b []byte) bool {
	switch {
	case m.any:
		return len(b) > 0
	case m.prefix:
		return len(b) > len(m.s) && bytes.HasPrefix(b, m.s)
	case m.suffix:
		return len(b) > len(m.s) && bytes.HasSuffix(b, m.s)
	}
	return bytes.Equal(b, m.s)
}

// paramMatcher is a compiled config.DubboParamMatch.
type paramMatcher struct {
	index      int
	exact      string
	isRange    bool
	start, end int64
}

// match checks the argument list args, as Envoy does: the argument is
// rendered as a string; an empty exact value matches any argument; a
// range needs a base-10 integer in [start, end).
func (m *paramMatcher) match(args []any) bool {
	if m.index >= len(args) {
		return false
	}
	s, ok := argString(args[m.index])
	if !ok {
		return false
	}
	if !m.isRange {
		return m.exact == "" || s == m.exact
	}
	return inRange(s, m.start, m.end)
}

// argString renders a decoded hessian2 argument for matching: strings
// as they are, integers in decimal, booleans as true/false. Other values
// (objects, lists, maps, null) do not match.
func argString(v any) (string, bool) {
	switch v := v.(type) {
	case string:
		return v, true
	case int32:
		return strconv.FormatInt(int64(v), 10), true
	case int64:
		return strconv.FormatInt(v, 10), true
	case int:
		return strconv.Itoa(v), true
	case int8:
		return strconv.FormatInt(int64(v), 10), true
	case int16:
		return strconv.FormatInt(int64(v), 10), true
	case bool:
		return strconv.FormatBool(v), true
	case float64:
		return strconv.FormatFloat(v, 'g', -1, 64), true
	}
	return "", false
}

// inRange reports whether s is a base-10 integer (optional sign) in
// [start, end).
func inRange(s string, start, end int64) bool {
	n, err := strconv.ParseInt(s, 10, 64)
	return err == nil && n >= start && n < end
}

// headerMatcher is a compiled config.HeaderMatch over attachments.
type headerMatcher struct {
	name       string
	key        int // index of name in the route table's scanned keys
	kind       config.HeaderMatchKind
	str        *stringMatcher
	present    bool
	start, end int64
	invert     bool
}

func newHeaderMatcher(h config.HeaderMatch, key int) headerMatcher {
	m := headerMatcher{name: h.Name, key: key, kind: h.Kind, present: h.Present, start: h.Start, end: h.End, invert: h.Invert}
	if h.Kind == config.HeaderString {
		m.str = newStringMatcher(h.String)
	}
	return m
}

// match checks the request's attachments. Like Envoy, which turns string
// attachments into headers, only string values count, and names compare
// ignoring ASCII case (a name of the exact case wins).
func (m *headerMatcher) match(req *request) bool {
	v, _, _, found := req.attachment(m.key, false)
	var ok bool
	switch m.kind {
	case config.HeaderPresent:
		ok = found == m.present
	case config.HeaderRange:
		n, isInt := parseInt(v)
		ok = found && isInt && n >= m.start && n < m.end
	default:
		ok = found && m.str.match(v)
	}
	return ok != m.invert
}

// foldedAttachment returns a string attachment whose name equals name
// ignoring case.
func foldedAttachment(att map[string]any, name string) (string, bool) {
	for k, v := range att {
		if s, ok := v.(string); ok && strings.EqualFold(k, name) {
			return s, true
		}
	}
	return "", false
}
