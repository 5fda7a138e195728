package xds

import (
	"fmt"
	"strings"

	listenerv3 "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	connlimitv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/connection_limit/v3"
	dubbov3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/dubbo_proxy/v3"
	hcmv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	redisproxyv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/redis_proxy/v3"
	tcpproxyv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/tcp_proxy/v3"
	"google.golang.org/protobuf/types/known/structpb"

	"github.com/sidewire/sidewire/proxy/config"
)

func (t *translator) filterChain(path string, fc *listenerv3.FilterChain) *config.FilterChain {
	out := &config.FilterChain{
		Name:  fc.GetName(),
		Match: t.filterChainMatch(field(path, "filter_chain_match"), fc.GetFilterChainMatch()),
	}
	if ts := fc.GetTransportSocket(); ts != nil {
		out.TLS = t.transportSocket(field(path, "transport_socket"), ts)
	}
	for i, f := range fc.GetFilters() {
		fp := index(field(path, "filters"), i)
		ext, msg, ok := t.typedConfig(fp, "filter", f.GetName(), f.GetTypedConfig(), networkFilters)
		if !ok {
			continue
		}
		cp := field(fp, "typed_config")
		switch ext.name {
		case config.TCPProxyFilter:
			out.Filters = append(out.Filters, t.tcpProxy(cp, msg.(*tcpproxyv3.TcpProxy)))
		case config.ConnectionLimitFilter:
			out.Filters = append(out.Filters, t.connectionLimit(cp, msg.(*connlimitv3.ConnectionLimit)))
		case config.RedisProxyFilter:
			out.Filters = append(out.Filters, t.redisProxy(cp, msg.(*redisproxyv3.RedisProxy)))
		case config.DubboProxyFilter:
			out.Filters = append(out.Filters, t.dubboProxy(cp, msg.(*dubbov3.DubboProxy)))
		case config.HTTPConnectionManagerFilter:
			out.Filters = append(out.Filters, t.httpConnectionManager(cp, msg.(*hcmv3.HttpConnectionManager)))
		case config.RedisCommandPolicyFilter:
			out.Filters = append(out.Filters, t.redisCommandPolicy(field(cp, "value"), msg.(*structpb.Struct)))
		}
	}
	return out
}

func (t *translator) filterChainMatch(path string, m *listenerv3.FilterChainMatch) config.FilterChainMatch {
	out := config.FilterChainMatch{
		DestinationPort:   m.GetDestinationPort().GetValue(),
		TransportProtocol: m.GetTransportProtocol(),
	}
	switch out.TransportProtocol {
	case "", "raw_buffer", "tls":
	default:
		t.errs.add(field(path, "transport_protocol"), "unsupported transport protocol %q (want \"raw_buffer\" or \"tls\")", out.TransportProtocol)
	}
	for i, name := range m.GetServerNames() {
		if err := checkServerName(name); err != nil {
			t.errs.add(index(field(path, "server_names"), i), "%v", err)
			continue
		}
		out.ServerNames = append(out.ServerNames, strings.ToLower(name))
	}
	for i, p := range m.GetApplicationProtocols() {
		if p == "" {
			t.errs.add(index(field(path, "application_protocols"), i), "is empty")
			continue
		}
		out.ApplicationProtocols = append(out.ApplicationProtocols, p)
	}
	return out
}

// checkServerName accepts "example.com" and "*.example.com".
func checkServerName(name string) error {
	rest, _ := strings.CutPrefix(name, "*.")
	if strings.Contains(rest, "*") {
		return fmt.Errorf("%q: a wildcard must be the whole first label (\"*.example.com\")", name)
	}
	if !isHostname(rest) {
		return fmt.Errorf("%q is not a valid server name", name)
	}
	return nil
}

// checkChainMatches rejects filter chains whose matches overlap exactly,
// as Envoy does: no rule could pick between them.
func (t *translator) checkChainMatches(path string, chains []*config.FilterChain) {
	seen := make(map[string]int)
	for i, fc := range chains {
		for _, k := range matchKeys(fc.Match) {
			if j, dup := seen[k]; dup && j != i {
				t.errs.add(field(index(field(path, "filter_chains"), i), "filter_chain_match"),
					"matches the same connections as filter_chains[%d]", j)
				break
			}
			seen[k] = i
		}
	}
}

// matchKeys expands a match into one key per (port, server name,
// transport protocol, application protocol) combination it covers.
func matchKeys(m config.FilterChainMatch) []string {
	names := m.ServerNames
	if len(names) == 0 {
		names = []string{""}
	}
	alpns := m.ApplicationProtocols
	if len(alpns) == 0 {
		alpns = []string{""}
	}
	keys := make([]string, 0, len(names)*len(alpns))
	for _, n := range names {
		for _, a := range alpns {
			keys = append(keys, fmt.Sprintf("%d\x00%s\x00%s\x00%s", m.DestinationPort, n, m.TransportProtocol, a))
		}
	}
	return keys
}
