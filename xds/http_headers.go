package xds

import (
	"errors"
	"fmt"
	"strings"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"

	"github.com/sidewire/sidewire/proxy/config"
)

// headerMutator is what route configurations, virtual hosts and routes
// share: the headers they add and remove.
type headerMutator interface {
	GetRequestHeadersToAdd() []*corev3.HeaderValueOption
	GetRequestHeadersToRemove() []string
	GetResponseHeadersToAdd() []*corev3.HeaderValueOption
	GetResponseHeadersToRemove() []string
}

// headerMutations translates the header lists of one level of a route
// table. As in Envoy, pseudo-headers (":path") and host can be neither
// added nor removed. Names are lower-cased.
func (t *translator) headerMutations(path string, m headerMutator) config.HTTPHeaderMutations {
	return config.HTTPHeaderMutations{
		RequestToAdd:     t.headersToAdd(field(path, "request_headers_to_add"), m.GetRequestHeadersToAdd(), false),
		RequestToRemove:  t.headersToRemove(field(path, "request_headers_to_remove"), m.GetRequestHeadersToRemove()),
		ResponseToAdd:    t.headersToAdd(field(path, "response_headers_to_add"), m.GetResponseHeadersToAdd(), true),
		ResponseToRemove: t.headersToRemove(field(path, "response_headers_to_remove"), m.GetResponseHeadersToRemove()),
	}
}

// appendActions maps HeaderValueOption.append_action to the IR.
var appendActions = map[corev3.HeaderValueOption_HeaderAppendAction]config.HeaderAppendAction{
	corev3.HeaderValueOption_APPEND_IF_EXISTS_OR_ADD:    config.HeaderAppendIfExistsOrAdd,
	corev3.HeaderValueOption_ADD_IF_ABSENT:              config.HeaderAddIfAbsent,
	corev3.HeaderValueOption_OVERWRITE_IF_EXISTS_OR_ADD: config.HeaderOverwriteIfExistsOrAdd,
	corev3.HeaderValueOption_OVERWRITE_IF_EXISTS:        config.HeaderOverwriteIfExists,
}

func (t *translator) headersToAdd(path string, hs []*corev3.HeaderValueOption, response bool) []config.HeaderValueOption {
	var out []config.HeaderValueOption
	for i, h := range hs {
		hp := index(path, i)
		o := config.HeaderValueOption{
			Key:            strings.ToLower(h.GetHeader().GetKey()),
			Value:          h.GetHeader().GetValue(),
			KeepEmptyValue: h.GetKeepEmptyValue(),
		}
		if err := checkModifiable(o.Key); err != nil {
			t.errs.wrap(field(hp, "header.key"), err)
		}
		if err := checkHeaderFormat(o.Value, response); err != nil {
			t.errs.wrap(field(hp, "header.value"), err)
		}
		action, ok := appendActions[h.GetAppendAction()]
		if !ok {
			t.errs.add(field(hp, "append_action"), "unknown value %d", h.GetAppendAction())
		}
		//nolint:staticcheck // append is deprecated but still Envoy's API.
		if ap := h.GetAppend(); ap != nil {
			if h.GetAppendAction() != corev3.HeaderValueOption_APPEND_IF_EXISTS_OR_ADD {
				t.errs.add(field(hp, "append"), "set either append (deprecated) or append_action, not both")
			}
			action = config.HeaderAppendIfExistsOrAdd
			if !ap.GetValue() {
				action = config.HeaderOverwriteIfExistsOrAdd
			}
		}
		o.Action = action
		out = append(out, o)
	}
	return out
}

func (t *translator) headersToRemove(path string, names []string) []string {
	var out []string
	for i, n := range names {
		n = strings.ToLower(n)
		if err := checkModifiable(n); err != nil {
			t.errs.wrap(index(path, i), err)
			continue
		}
		out = append(out, n)
	}
	return out
}

// checkModifiable accepts the names of headers a route table may add or
// remove: not pseudo-headers, not host.
func checkModifiable(name string) error {
	if strings.HasPrefix(name, ":") || name == "host" {
		return fmt.Errorf("header %q: pseudo-headers and host may not be added or removed", name)
	}
	return checkHeaderName(name)
}

// checkHeaderName accepts header names made of RFC 9110 token
// characters.
func checkHeaderName(name string) error {
	if name == "" {
		return errors.New("header name is empty")
	}
	for i := range len(name) {
		if !isHTTPHeaderChar(name[i]) {
			return fmt.Errorf("header name %q: %q is not allowed", name, name[i])
		}
	}
	return nil
}

// headerFormatters are the command operators header values may use.
const headerFormatters = "%DOWNSTREAM_REMOTE_ADDRESS%, %DOWNSTREAM_REMOTE_ADDRESS_WITHOUT_PORT%, %PROTOCOL%, %REQ(name)%, %UPSTREAM_HOST% (responses)"

// checkHeaderFormat checks the command operators of a header value to
// add. As in Envoy, "%%" is a literal "%" and a lone "%" is an error.
func checkHeaderFormat(v string, response bool) error {
	for i := 0; i < len(v); i++ {
		if v[i] != '%' {
			continue
		}
		if i+1 < len(v) && v[i+1] == '%' {
			i++
			continue
		}
		end := strings.IndexByte(v[i+1:], '%')
		if end < 0 {
			return fmt.Errorf("%q: unterminated %% (write %%%% for a literal %%)", v)
		}
		op := v[i+1 : i+1+end]
		switch {
		case op == "DOWNSTREAM_REMOTE_ADDRESS", op == "DOWNSTREAM_REMOTE_ADDRESS_WITHOUT_PORT", op == "PROTOCOL":
		case op == "UPSTREAM_HOST":
			if !response {
				return fmt.Errorf("%q: %%UPSTREAM_HOST%% is known in response headers only", v)
			}
		case strings.HasPrefix(op, "REQ(") && strings.HasSuffix(op, ")"):
			if err := checkHeaderName(strings.TrimPrefix(strings.ToLower(op[4:len(op)-1]), ":")); err != nil {
				return fmt.Errorf("%q: %%%s%%: %w", v, op, err)
			}
		default:
			return fmt.Errorf("%q: unsupported command operator %%%s%% (supported: %s)", v, op, headerFormatters)
		}
		i += end + 1
	}
	return nil
}

// isHTTPHeaderChar reports whether c may appear in a header name as
// Envoy takes them (RFC 7230 token characters).
func isHTTPHeaderChar(c byte) bool {
	return c < 0x80 && (c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0)
}
