package dubbo_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/sidewire/sidewire/interop/dubbo/greeter"
	"github.com/sidewire/sidewire/interop/internal/harness"
)

// Attachment names the routing bootstrap matches on.
const (
	attachRoute = "x-route" // "v2" sends Attachment calls to v2
	attachSplit = "x-split" // present: Greet goes through the 90/10 split
	attachAll   = "x-all"   // present: Greet goes to the cluster of both
	attachPick  = "x-pick"  // present: Greet goes to that cluster, metadata version v2
)

// routingListener is Envoy's dubbo_proxy config the routing tests share:
// route configs by service version and group, then one for any version
// of the Greeter with routes by attachment, argument and method, a
// weighted split and an endpoint subset by metadata.
func routingListener(name string, routerOpts string) string {
	return fmt.Sprintf(`
  - name: %[1]s
    address: {socket_address: {address: 127.0.0.1, port_value: 0}}
    filter_chains:
    - filters:
      - name: envoy.filters.network.dubbo_proxy
        typed_config:
          "@type": type.googleapis.com/envoy.extensions.filters.network.dubbo_proxy.v3.DubboProxy
          stat_prefix: %[1]s
          protocol_type: Dubbo
          serialization_type: Hessian2
          multiple_route_config:
            name: interop
            route_config:
            - name: greeter-v1
              interface: %[2]s
              version: v1
              routes:
              - match: {method: {name: {safe_regex: {regex: ".*"}}}}
                route: {cluster: greeter_v1}
            - name: greeter-v2
              interface: %[2]s
              version: v2
              routes:
              - match: {method: {name: {safe_regex: {regex: ".*"}}}}
                route: {cluster: greeter_v2}
            - name: greeter-canary
              interface: %[2]s
              group: %[3]s
              routes:
              - match: {method: {name: {safe_regex: {regex: ".*"}}}}
                route: {cluster: greeter_v2}
            - name: greeter
              interface: "org.sidewire.interop.*"
              routes:
              - match:
                  method: {name: {exact: Attachment}}
                  headers:
                  - {name: %[4]s, string_match: {exact: v2}}
                route: {cluster: greeter_v2}
              - match:
                  method:
                    name: {exact: Greet}
                    params_match:
                      0: {exact_match: vip}
                route: {cluster: greeter_v2}
              - match:
                  method:
                    name: {exact: Add}
                    params_match:
                      0: {range_match: {start: 1000, end: 2000}}
                route: {cluster: greeter_v2}
              - match:
                  method: {name: {exact: Greet}}
                  headers:
                  - {name: %[5]s, present_match: true}
                route:
                  weighted_clusters:
                    clusters:
                    - {name: greeter_v1, weight: 90}
                    - {name: greeter_v2, weight: 10}
              - match:
                  method: {name: {exact: Greet}}
                  headers:
                  - {name: %[6]s, present_match: true}
                route: {cluster: greeter_all}
              - match:
                  method: {name: {exact: Greet}}
                  headers:
                  - {name: %[7]s, present_match: true}
                route:
                  cluster: greeter_all
                  metadata_match:
                    filter_metadata:
                      envoy.lb: {version: v2}
              - match: {method: {name: {exact: Sleep}}}
                route: {cluster: greeter_v2}
              - match: {method: {name: {safe_regex: {regex: ".*"}}}}
                route: {cluster: greeter_v1}%[8]s
`, name, greeter.Interface, canaryGroup, attachRoute, attachSplit, attachAll, attachPick, routerOpts)
}

// v1OnlyListener routes service version v1 of the Greeter and nothing
// else.
func v1OnlyListener(name string) string {
	return fmt.Sprintf(`
  - name: %[1]s
    address: {socket_address: {address: 127.0.0.1, port_value: 0}}
    filter_chains:
    - filters:
      - name: envoy.filters.network.dubbo_proxy
        typed_config:
          "@type": type.googleapis.com/envoy.extensions.filters.network.dubbo_proxy.v3.DubboProxy
          stat_prefix: %[1]s
          route_config:
          - interface: %[2]s
            version: v1
            routes:
            - match: {method: {name: {safe_regex: {regex: ".*"}}}}
              route: {cluster: greeter_v1}
`, name, greeter.Interface)
}

// routerOptions is Sidewire's router TypedStruct as the only Dubbo filter.
func routerOptions(value string) string {
	return `
          dubbo_filters:
          - name: envoy.filters.dubbo.router
            config:
              "@type": type.googleapis.com/xds.type.v3.TypedStruct
              type_url: sidewire.io/sidewire.filters.dubbo.v1.Router
              value: ` + value
}

// endpoint is one lb_endpoint with envoy.lb metadata version label.
func endpoint(t *testing.T, p *harness.Provider) string {
	t.Helper()
	host, port, err := harness.HostPort(p.Addr)
	if err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf(`
        - endpoint: {address: {socket_address: {address: %s, port_value: %d}}}
          metadata: {filter_metadata: {envoy.lb: {version: %s}}}`, host, port, p.Spec.Label)
}

func cluster(name string, endpoints ...string) string {
	return fmt.Sprintf(`
  - name: %s
    type: STATIC
    connect_timeout: 1s
    lb_policy: ROUND_ROBIN
    load_assignment:
      cluster_name: %s
      endpoints:
      - lb_endpoints:%s`, name, name, strings.Join(endpoints, ""))
}

// greeterClusters are greeter_v1, greeter_v2 and greeter_all (both).
func greeterClusters(t *testing.T, v1, v2 *harness.Provider) string {
	e1, e2 := endpoint(t, v1), endpoint(t, v2)
	return cluster("greeter_v1", e1) + cluster("greeter_v2", e2) + cluster("greeter_all", e1, e2)
}

func bootstrap(listeners, clusters string) string {
	return `admin:
  address: {socket_address: {address: 127.0.0.1, port_value: 0}}
static_resources:
  listeners:` + listeners + `
  clusters:` + clusters + "\n"
}
