package xds

import (
	"time"

	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"

	"github.com/sidewire/sidewire/proxy/config"
)

// Envoy's cluster defaults.
const (
	defaultConnectTimeout  = 5 * time.Second
	defaultDNSRefreshRate  = 5 * time.Second
	defaultChoiceCount     = 2
	defaultMinRingSize     = 1024
	defaultMaxRingSize     = 8 << 20
	defaultMaglevTableSize = 65537
)

// TranslateCluster checks an Envoy Cluster and translates it. path is the
// cluster's location for error messages, e.g. "static_resources.clusters[1]".
// Errors are *config.FieldError values, joined.
func TranslateCluster(path string, c *clusterv3.Cluster) (*config.Cluster, error) {
	var t translator
	t.precheck(path, c)
	out := t.cluster(path, c)
	if t.errs.len() > 0 {
		return nil, t.errs.err()
	}
	return out, nil
}

func (t *translator) cluster(path string, c *clusterv3.Cluster) *config.Cluster {
	out := &config.Cluster{
		Name:            c.GetName(),
		ConnectTimeout:  t.duration(field(path, "connect_timeout"), c.GetConnectTimeout(), defaultConnectTimeout),
		CircuitBreakers: t.circuitBreakers(field(path, "circuit_breakers"), c.GetCircuitBreakers()),
	}
	if ct := c.GetClusterType(); ct != nil {
		if !t.customClusterType(path, ct, out) {
			return out
		}
	} else {
		switch c.GetType() {
		case clusterv3.Cluster_STATIC:
			out.Type = config.Static
		case clusterv3.Cluster_STRICT_DNS:
			out.Type = config.StrictDNS
		case clusterv3.Cluster_LOGICAL_DNS:
			out.Type = config.LogicalDNS
		case clusterv3.Cluster_EDS:
			out.Type = config.EDS
		default:
			t.errs.add(field(path, "type"), "unsupported cluster type %s", c.GetType())
			return out
		}
	}
	t.lbPolicy(path, c, out)
	t.dns(path, c, out)
	t.eds(path, c, out)
	if la := c.GetLoadAssignment(); la != nil {
		lp := field(path, "load_assignment")
		switch out.Type {
		case config.EDS:
			t.errs.add(lp, "EDS clusters get their endpoints from eds_cluster_config")
		case config.Static:
			out.LoadAssignment = t.loadAssignment(lp, la, ipEndpoint)
		default:
			out.LoadAssignment = t.loadAssignment(lp, la, dnsEndpoint)
		}
	}
	out.HealthChecks = t.healthChecks(field(path, "health_checks"), c.GetHealthChecks())
	out.OutlierDetection = t.outlierDetection(field(path, "outlier_detection"), c.GetOutlierDetection())
	out.ProtocolOptions = t.protocolOptions(field(path, "typed_extension_protocol_options"), c.GetTypedExtensionProtocolOptions())
	t.deprecatedHTTP2(path, c, out)
	if ts := c.GetTransportSocket(); ts != nil {
		out.TLS = t.upstreamTransportSocket(field(path, "transport_socket"), ts)
	}
	return out
}

// lbPolicy translates lb_policy and its lb_config. A config for another
// policy than the one chosen is an error (Envoy ignores it).
// CLUSTER_PROVIDED goes with envoy.clusters.redis clusters, and they need
// it (Envoy would fall back to a slot-unaware policy).
func (t *translator) lbPolicy(path string, c *clusterv3.Cluster, out *config.Cluster) {
	policy := c.GetLbPolicy()
	redis := out.Type == config.RedisClusterType
	switch {
	case redis && policy != clusterv3.Cluster_CLUSTER_PROVIDED:
		t.errs.add(field(path, "lb_policy"), "envoy.clusters.redis clusters need CLUSTER_PROVIDED (slot-aware routing), got %s", policy)
		return
	case !redis && policy == clusterv3.Cluster_CLUSTER_PROVIDED:
		t.errs.add(field(path, "lb_policy"), "CLUSTER_PROVIDED needs cluster_type envoy.clusters.redis")
		return
	}
	switch policy {
	case clusterv3.Cluster_CLUSTER_PROVIDED:
		out.LBPolicy = config.ClusterProvided
	case clusterv3.Cluster_ROUND_ROBIN:
		out.LBPolicy = config.RoundRobin
	case clusterv3.Cluster_LEAST_REQUEST:
		out.LBPolicy = config.LeastRequest
		out.LeastRequestChoices = uint32Or(c.GetLeastRequestLbConfig().GetChoiceCount(), defaultChoiceCount)
	case clusterv3.Cluster_RANDOM:
		out.LBPolicy = config.Random
	case clusterv3.Cluster_RING_HASH:
		out.LBPolicy = config.RingHash
		rh := c.GetRingHashLbConfig()
		out.RingMinSize = uint64Or(rh.GetMinimumRingSize(), defaultMinRingSize)
		out.RingMaxSize = uint64Or(rh.GetMaximumRingSize(), defaultMaxRingSize)
		if out.RingMinSize > out.RingMaxSize {
			t.errs.add(field(path, "ring_hash_lb_config"), "minimum_ring_size %d exceeds maximum_ring_size %d", out.RingMinSize, out.RingMaxSize)
		}
		if rh.GetHashFunction() != clusterv3.Cluster_RingHashLbConfig_XX_HASH {
			t.errs.add(field(path, "ring_hash_lb_config.hash_function"), "only XX_HASH is supported")
		}
	case clusterv3.Cluster_MAGLEV:
		out.LBPolicy = config.Maglev
		out.MaglevTableSize = uint64Or(c.GetMaglevLbConfig().GetTableSize(), defaultMaglevTableSize)
		if !isPrime(out.MaglevTableSize) {
			t.errs.add(field(path, "maglev_lb_config.table_size"), "%d is not a prime number", out.MaglevTableSize)
		}
	default:
		t.errs.add(field(path, "lb_policy"), "unsupported load balancing policy %s", policy)
		return
	}
	want := map[string]clusterv3.Cluster_LbPolicy{
		"least_request_lb_config": clusterv3.Cluster_LEAST_REQUEST,
		"ring_hash_lb_config":     clusterv3.Cluster_RING_HASH,
		"maglev_lb_config":        clusterv3.Cluster_MAGLEV,
		"round_robin_lb_config":   clusterv3.Cluster_ROUND_ROBIN,
	}
	if lbc := c.ProtoReflect().WhichOneof(c.ProtoReflect().Descriptor().Oneofs().ByName("lb_config")); lbc != nil {
		if p, ok := want[string(lbc.Name())]; ok && p != policy {
			t.errs.add(field(path, string(lbc.Name())), "requires lb_policy %s, not %s", p, policy)
		}
	}
}

// isPrime reports whether n is prime (n is at most 5000011, the largest
// Maglev table Envoy allows).
func isPrime(n uint64) bool {
	if n < 2 {
		return false
	}
	for d := uint64(2); d*d <= n; d++ {
		if n%d == 0 {
			return false
		}
	}
	return true
}

// dns translates the DNS settings, which only DNS clusters may set, and
// envoy.clusters.redis clusters the lookup family of their seeds.
func (t *translator) dns(path string, c *clusterv3.Cluster, out *config.Cluster) {
	switch out.Type {
	case config.StrictDNS, config.LogicalDNS:
		out.DNSRefreshRate = t.duration(field(path, "dns_refresh_rate"), c.GetDnsRefreshRate(), defaultDNSRefreshRate)
	case config.RedisClusterType:
		if c.GetDnsRefreshRate() != nil {
			t.errs.add(field(path, "dns_refresh_rate"), "envoy.clusters.redis clusters resolve their seeds once; cluster_refresh_rate paces topology refreshes")
		}
	default:
		if c.GetDnsRefreshRate() != nil {
			t.errs.add(field(path, "dns_refresh_rate"), "only applies to STRICT_DNS and LOGICAL_DNS clusters")
		}
		if c.GetDnsLookupFamily() != clusterv3.Cluster_AUTO {
			t.errs.add(field(path, "dns_lookup_family"), "only applies to STRICT_DNS, LOGICAL_DNS and envoy.clusters.redis clusters")
		}
		return
	}
	switch c.GetDnsLookupFamily() {
	case clusterv3.Cluster_AUTO:
		out.DNSLookupFamily = "auto"
	case clusterv3.Cluster_V4_ONLY:
		out.DNSLookupFamily = "v4_only"
	case clusterv3.Cluster_V6_ONLY:
		out.DNSLookupFamily = "v6_only"
	case clusterv3.Cluster_V4_PREFERRED:
		out.DNSLookupFamily = "v4_preferred"
	case clusterv3.Cluster_ALL:
		out.DNSLookupFamily = "all"
	default:
		t.errs.add(field(path, "dns_lookup_family"), "unsupported DNS lookup family %s", c.GetDnsLookupFamily())
	}
}

// eds checks eds_cluster_config: EDS clusters need one whose eds_config is
// ads or a path; other clusters may not have one.
//
// TODO(xds): config.Cluster has no field for the EDS config source yet;
// the ADS client wires it.
func (t *translator) eds(path string, c *clusterv3.Cluster, out *config.Cluster) {
	ec := c.GetEdsClusterConfig()
	ep := field(path, "eds_cluster_config")
	if out.Type != config.EDS {
		if ec != nil {
			t.errs.add(ep, "only applies to EDS clusters")
		}
		return
	}
	if ec.GetEdsConfig() == nil {
		t.errs.add(field(ep, "eds_config"), "EDS clusters need an eds_config (ads or path)")
		return
	}
	src := ec.GetEdsConfig()
	sp := field(ep, "eds_config")
	switch src.GetConfigSourceSpecifier().(type) {
	case *corev3.ConfigSource_Ads:
	case *corev3.ConfigSource_Path:
		if src.GetPath() == "" {
			t.errs.add(field(sp, "path"), "is empty")
		}
	case *corev3.ConfigSource_PathConfigSource:
	default:
		t.errs.add(sp, "one of ads, path, path_config_source must be set")
	}
	if v := src.GetResourceApiVersion(); v != corev3.ApiVersion_AUTO && v != corev3.ApiVersion_V3 {
		t.errs.add(field(sp, "resource_api_version"), "only V3 is supported, got %s", v)
	}
	out.EDSServiceName = ec.GetServiceName()
}

// circuitBreakers translates the DEFAULT priority thresholds; Sidewire has
// no request priorities, so HIGH thresholds would never apply.
func (t *translator) circuitBreakers(path string, cb *clusterv3.CircuitBreakers) config.CircuitBreakers {
	out := config.DefaultCircuitBreakers()
	seen := -1
	for i, th := range cb.GetThresholds() {
		p := index(field(path, "thresholds"), i)
		if th.GetPriority() != corev3.RoutingPriority_DEFAULT {
			t.errs.add(field(p, "priority"), "only DEFAULT priority thresholds are supported, got %s", th.GetPriority())
			continue
		}
		if seen >= 0 {
			t.errs.add(p, "DEFAULT priority thresholds are already set by thresholds[%d]", seen)
			continue
		}
		seen = i
		out.MaxConnections = uint32Or(th.GetMaxConnections(), out.MaxConnections)
		out.MaxPendingRequests = uint32Or(th.GetMaxPendingRequests(), out.MaxPendingRequests)
		out.MaxRequests = uint32Or(th.GetMaxRequests(), out.MaxRequests)
		out.MaxRetries = uint32Or(th.GetMaxRetries(), out.MaxRetries)
	}
	return out
}
