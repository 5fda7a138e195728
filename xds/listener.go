package xds

import (
	"time"

	listenerv3 "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"

	"github.com/sidewire/sidewire/proxy/config"
)

// Envoy's listener defaults.
const (
	defaultListenerFilterTimeout = 15 * time.Second
	defaultBufferLimit           = 1 << 20
)

// TranslateListener checks an Envoy Listener and translates it. path is
// the listener's location for error messages, e.g.
// "static_resources.listeners[0]". Errors are *config.FieldError values,
// joined. Cross-resource checks (cluster references, duplicate names) are
// left to config.Snapshot.Validate.
//
// A listener without a name is named after its address ("0.0.0.0_10000",
// the way Envoy spells addresses in stat names) instead of Envoy's random
// UUID, so names are stable across restarts.
func TranslateListener(path string, l *listenerv3.Listener) (*config.Listener, error) {
	var t translator
	t.precheck(path, l)
	out := t.listener(path, l)
	if t.errs.len() > 0 {
		return nil, t.errs.err()
	}
	return out, nil
}

func (t *translator) listener(path string, l *listenerv3.Listener) *config.Listener {
	out := &config.Listener{
		Name:                             l.GetName(),
		StatPrefix:                       l.GetStatPrefix(),
		ListenerFilterTimeout:            t.duration(field(path, "listener_filters_timeout"), l.GetListenerFiltersTimeout(), defaultListenerFilterTimeout),
		ContinueOnListenerFiltersTimeout: l.GetContinueOnListenerFiltersTimeout(),
		PerConnectionBufferLimit:         uint32Or(l.GetPerConnectionBufferLimitBytes(), defaultBufferLimit),
	}
	if l.GetAddress() == nil {
		t.errs.add(field(path, "address"), "is required")
	} else {
		out.Address = t.address(field(path, "address"), l.GetAddress(), bindAddr)
	}
	if out.Name == "" {
		out.Name = out.Address.StatName()
	}
	t.listenerFilters(path, l, out)
	for i, fc := range l.GetFilterChains() {
		out.FilterChains = append(out.FilterChains, t.filterChain(index(field(path, "filter_chains"), i), fc))
	}
	if fc := l.GetDefaultFilterChain(); fc != nil {
		out.DefaultFilterChain = t.filterChain(field(path, "default_filter_chain"), fc)
	}
	t.checkChainMatches(path, out.FilterChains)
	if !out.TLSInspector && needsTLSInspector(out.FilterChains) {
		// Envoy injects the TLS inspector when filter chains match on
		// what only it can see; so does Sidewire.
		out.TLSInspector = true
	}
	return out
}

// listenerFilters translates listener_filters; only the TLS inspector
// exists so far.
func (t *translator) listenerFilters(path string, l *listenerv3.Listener, out *config.Listener) {
	for i, lf := range l.GetListenerFilters() {
		p := index(field(path, "listener_filters"), i)
		ext, _, ok := t.typedConfig(p, "listener filter", lf.GetName(), lf.GetTypedConfig(), listenerFilters)
		if !ok {
			continue
		}
		switch ext.name {
		case tlsInspectorName:
			if out.TLSInspector {
				t.errs.add(p, "%s is listed twice", tlsInspectorName)
			}
			out.TLSInspector = true
		}
	}
}

// needsTLSInspector reports whether a chain matches on something only the
// TLS inspector provides (Envoy's rule: transport_protocol "tls", or an
// unset transport_protocol with server_names or application_protocols).
func needsTLSInspector(chains []*config.FilterChain) bool {
	for _, fc := range chains {
		m := fc.Match
		if m.TransportProtocol == "tls" || m.TransportProtocol == "" && (len(m.ServerNames) > 0 || len(m.ApplicationProtocols) > 0) {
			return true
		}
	}
	return false
}
