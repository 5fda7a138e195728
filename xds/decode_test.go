package xds

import (
	"strings"
	"testing"
)

// TestDecodeErrors covers decoder and validation paths the golden files
// do not: each input is a whole bootstrap and the errors must match
// exactly.
func TestDecodeErrors(t *testing.T) {
	const endpoint = `
static_resources:
  clusters:
  - name: c
    load_assignment:
      cluster_name: c
      endpoints:
      - lb_endpoints:
        - endpoint:
            address:
              socket_address: {address: 10.0.0.1, port_value: 80}
`
	for _, tc := range []struct {
		name, in string
		want     []string
	}{
		{
			name: "json and proto name of one field",
			in:   "node: {id: a}\nnode: {id: b}\n",
			want: []string{`parse bootstrap: yaml: unmarshal errors:`, `  line 2: key "node" already set in map`},
		},
		{
			name: "same field under two names",
			in:   "node: {id: a}\nstaticResources: {}\nstatic_resources: {}\n",
			want: []string{`static_resources: set twice (as "staticResources" and "static_resources")`},
		},
		{
			name: "null means unset",
			in:   "node: null\nadmin: ~\nstatic_resources: {listeners: null}\n",
			want: nil,
		},
		{
			name: "null list element",
			in:   "static_resources: {clusters: [null]}\n",
			want: []string{"static_resources.clusters[0]: null is not a valid list element"},
		},
		{
			name: "one message for a list is a list of one",
			in:   "static_resources: {clusters: {name: c, load_assignment: {cluster_name: c}, lb_policy: FASTEST}}\n",
			want: []string{`static_resources.clusters[0].lb_policy: invalid value for enum field lbPolicy: "FASTEST"`},
		},
		{
			name: "null map value",
			in:   endpoint + "    typed_extension_protocol_options: {x: null}\n",
			want: []string{`static_resources.clusters[0].typed_extension_protocol_options["x"]: null is not a valid map value`},
		},
		{
			name: "scalar for a message",
			in:   "node: 42\n",
			want: []string{"node: expected an object, got a number"},
		},
		{
			name: "bad @type",
			in:   endpoint + "    typed_extension_protocol_options: {x: {\"@type\": 7}}\n",
			want: []string{`static_resources.clusters[0].typed_extension_protocol_options["x"]: "@type" must be a string, got a number`},
		},
		{
			name: "empty @type",
			in:   endpoint + "    typed_extension_protocol_options: {x: {\"@type\": \"\"}}\n",
			want: []string{`static_resources.clusters[0].typed_extension_protocol_options["x"]: invalid type URL ""`},
		},
		{
			name: "validation rule on a map key",
			in:   strings.Replace(endpoint, "        - endpoint:\n", "        - metadata: {filter_metadata: {\"\": {}}}\n          endpoint:\n", 1),
			want: []string{`static_resources.clusters[0].load_assignment.endpoints[0].lb_endpoints[0].metadata.filter_metadata[""]: value length must be at least 1 runes`},
		},
		{
			name: "envoy.lb metadata must be strings",
			in:   strings.Replace(endpoint, "        - endpoint:\n", "        - metadata: {filter_metadata: {envoy.lb: {weight: 3}}}\n          endpoint:\n", 1),
			want: []string{`static_resources.clusters[0].load_assignment.endpoints[0].lb_endpoints[0].metadata.filter_metadata["envoy.lb"]["weight"]: only string values are supported`},
		},
		{
			name: "bad hex payload",
			in: endpoint + `    health_checks:
    - {timeout: 1s, interval: 1s, unhealthy_threshold: 1, healthy_threshold: 1, tcp_health_check: {send: {text: "zz"}}}
`,
			want: []string{`static_resources.clusters[0].health_checks[0].tcp_health_check.send.text: invalid hex: encoding/hex: invalid byte: U+007A 'z'`},
		},
		{
			name: "admin without address",
			in:   "admin: {access_log_path: /dev/null}\n",
			want: []string{"admin.address: is required when admin is set"},
		},
		{
			name: "admin on a listener address",
			in: `admin: {address: {socket_address: {address: 127.0.0.1, port_value: 9901}}}
static_resources:
  listeners:
  - name: l
    address: {socket_address: {address: 127.0.0.1, port_value: 9901}}
    filter_chains:
    - filters:
      - name: envoy.filters.network.tcp_proxy
        typed_config: {"@type": type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy, stat_prefix: p, cluster: c}
` + strings.TrimPrefix(endpoint, "\nstatic_resources:\n"),
			want: []string{"admin.address: 127.0.0.1:9901 is also a listener address"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := LoadBootstrap([]byte(tc.in))
			got := errorLines(err)
			if strings.Join(got, "\n") != strings.Join(tc.want, "\n") {
				t.Errorf("errors:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tc.want, "\n"))
			}
		})
	}
}

func TestIsHostname(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want bool
	}{
		{"example.com", true},
		{"example.com.", true},
		{"redis_0.svc", true},
		{"a", true},
		{"", false},
		{".", false},
		{"-a.com", false},
		{"a-.com", false},
		{"a..com", false},
		{"a b.com", false},
		{strings.Repeat("a", 64) + ".com", false},
		{strings.Repeat("a.", 127) + "a", false},
	} {
		if got := isHostname(tc.in); got != tc.want {
			t.Errorf("isHostname(%q) = %v, want %v", tc.in, got, tc.want)
		}
	}
}
