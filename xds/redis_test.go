package xds

import (
	"bytes"
	"encoding/base64"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	xdstypev3 "github.com/cncf/xds/go/xds/type/v3"
	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	endpointv3 "github.com/envoyproxy/go-control-plane/envoy/config/endpoint/v3"
	listenerv3 "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	redisclusterv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/clusters/redis/v3"
	redisproxyv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/redis_proxy/v3"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/structpb"

	"github.com/sidewire/sidewire/proxy/config"
)

func inline(s string) *corev3.DataSource {
	return &corev3.DataSource{Specifier: &corev3.DataSource_InlineString{InlineString: s}}
}

func redisProxyConfig() *redisproxyv3.RedisProxy {
	return &redisproxyv3.RedisProxy{
		StatPrefix: "redis",
		Settings:   &redisproxyv3.RedisProxy_ConnPoolSettings{OpTimeout: durationpb.New(time.Second)},
		PrefixRoutes: &redisproxyv3.RedisProxy_PrefixRoutes{
			Routes:        []*redisproxyv3.RedisProxy_PrefixRoutes_Route{{Prefix: "a:", Cluster: "a"}},
			CatchAllRoute: &redisproxyv3.RedisProxy_PrefixRoutes_Route{Cluster: "b"},
		},
	}
}

// TestTranslateRedisListenerFromProto feeds a redis_proxy and a command
// policy as they arrive over xDS: binary Any values, the policy in a
// TypedStruct.
func TestTranslateRedisListenerFromProto(t *testing.T) {
	value, err := structpb.NewStruct(map[string]any{
		"routes":  []any{map[string]any{"prefix": "a:", "allow": []any{"get"}}},
		"default": map[string]any{"deny": []any{"flushall"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	policy := &xdstypev3.TypedStruct{TypeUrl: config.RedisCommandPolicyType, Value: value}
	l := &listenerv3.Listener{
		Name:    "l",
		Address: socketAddr("127.0.0.1", 16379),
		FilterChains: []*listenerv3.FilterChain{{Filters: []*listenerv3.Filter{
			{Name: "p", ConfigType: &listenerv3.Filter_TypedConfig{TypedConfig: mustAny(t, policy)}},
			{Name: "r", ConfigType: &listenerv3.Filter_TypedConfig{TypedConfig: mustAny(t, redisProxyConfig())}},
		}}},
	}
	out, err := TranslateListener("lds[l]", l)
	if err != nil {
		t.Fatalf("TranslateListener: %v", err)
	}
	fs := out.FilterChains[0].Filters
	cp, ok := fs[0].(*config.RedisCommandPolicy)
	if !ok {
		t.Fatalf("filters[0] is %T, want *config.RedisCommandPolicy", fs[0])
	}
	if got := cp.RouteRules("a:").Allow; !slices.Equal(got, []string{"GET"}) {
		t.Errorf("rules of a: allow %q, want [GET]", got)
	}
	if got := cp.Default.Deny; !slices.Equal(got, []string{"FLUSHALL"}) {
		t.Errorf("default deny %q, want [FLUSHALL]", got)
	}
	rp, ok := fs[1].(*config.RedisProxy)
	if !ok {
		t.Fatalf("filters[1] is %T, want *config.RedisProxy", fs[1])
	}
	if rp.Settings.OpTimeout != time.Second || rp.Routes.Routes[0].Cluster != "a" || rp.Routes.CatchAll.Cluster != "b" {
		t.Errorf("redis_proxy = %+v", rp)
	}
}

// TestTranslateRedisClusterFromProto translates an envoy.clusters.redis
// cluster with upstream credentials as CDS sends it.
func TestTranslateRedisClusterFromProto(t *testing.T) {
	opts := &redisproxyv3.RedisProtocolOptions{
		AuthPassword: inline("pw"),
		Credentials: []*redisproxyv3.RedisProtocolOptions_Credential{{
			Address: socketAddr("10.0.0.2", 6379), AuthUsername: inline("u2"), AuthPassword: inline("pw2"),
		}},
	}
	c := &clusterv3.Cluster{
		Name:     "rc",
		LbPolicy: clusterv3.Cluster_CLUSTER_PROVIDED,
		ClusterDiscoveryType: &clusterv3.Cluster_ClusterType{ClusterType: &clusterv3.Cluster_CustomClusterType{
			Name:        "envoy.clusters.redis",
			TypedConfig: mustAny(t, &redisclusterv3.RedisClusterConfig{ClusterRefreshRate: durationpb.New(time.Minute)}),
		}},
		LoadAssignment: &endpointv3.ClusterLoadAssignment{ClusterName: "rc", Endpoints: []*endpointv3.LocalityLbEndpoints{{
			LbEndpoints: []*endpointv3.LbEndpoint{{HostIdentifier: &endpointv3.LbEndpoint_Endpoint{
				Endpoint: &endpointv3.Endpoint{Address: socketAddr("seed.redis", 6379)},
			}}},
		}}},
		TypedExtensionProtocolOptions: map[string]*anypb.Any{config.RedisProxyFilter: mustAny(t, opts)},
	}
	out, err := TranslateCluster("cds[rc]", c)
	if err != nil {
		t.Fatalf("TranslateCluster: %v", err)
	}
	if out.Type != config.RedisClusterType || out.LBPolicy != config.ClusterProvided || out.RedisCluster == nil {
		t.Fatalf("cluster = %+v", out)
	}
	if out.RedisCluster.ClusterRefreshRate != time.Minute || out.RedisCluster.RedirectRefreshThreshold != 5 {
		t.Errorf("redis cluster config = %+v", out.RedisCluster)
	}
	if out.DNSLookupFamily != "auto" || out.DNSRefreshRate != 0 {
		t.Errorf("dns %q every %v, want auto and no refresh", out.DNSLookupFamily, out.DNSRefreshRate)
	}
	po, ok := out.ProtocolOptions[config.RedisProxyFilter].(*config.RedisProtocolOptions)
	if !ok {
		t.Fatalf("protocol options = %#v", out.ProtocolOptions)
	}
	if u, p := po.For(config.Address{Host: "10.0.0.2", Port: 6379}); string(u) != "u2" || string(p) != "pw2" {
		t.Errorf("credentials of 10.0.0.2:6379 = %q %q", u, p)
	}
	if u, p := po.For(config.Address{Host: "10.0.0.3", Port: 6379}); u != nil || string(p) != "pw" {
		t.Errorf("default credentials = %q %q", u, p)
	}
}

func TestDataSource(t *testing.T) {
	dir := t.TempDir()
	small := filepath.Join(dir, "small")
	writeFile(t, small, []byte("from-file\n"))
	big := filepath.Join(dir, "big")
	writeFile(t, big, bytes.Repeat([]byte("x"), maxDataSourceFile+1))
	exact := filepath.Join(dir, "exact")
	writeFile(t, exact, bytes.Repeat([]byte("y"), maxDataSourceFile))
	t.Setenv("SIDEWIRE_TEST_SECRET", "from-env")
	t.Setenv("SIDEWIRE_TEST_EMPTY", "")

	for _, tc := range []struct {
		name string
		ds   *corev3.DataSource
		want []byte
		err  string // substring of the error; "" for none
	}{
		{"inline string", inline("s"), []byte("s"), ""},
		{"inline bytes", &corev3.DataSource{Specifier: &corev3.DataSource_InlineBytes{InlineBytes: []byte{0, 0xff}}}, []byte{0, 0xff}, ""},
		{"env", &corev3.DataSource{Specifier: &corev3.DataSource_EnvironmentVariable{EnvironmentVariable: "SIDEWIRE_TEST_SECRET"}}, []byte("from-env"), ""},
		{"empty env", &corev3.DataSource{Specifier: &corev3.DataSource_EnvironmentVariable{EnvironmentVariable: "SIDEWIRE_TEST_EMPTY"}}, []byte{}, ""},
		{"unset env", &corev3.DataSource{Specifier: &corev3.DataSource_EnvironmentVariable{EnvironmentVariable: "SIDEWIRE_TEST_NOT_SET"}}, nil, `p.environment_variable: environment variable "SIDEWIRE_TEST_NOT_SET" is not set`},
		{"file", &corev3.DataSource{Specifier: &corev3.DataSource_Filename{Filename: small}}, []byte("from-file\n"), ""},
		{"file at the limit", &corev3.DataSource{Specifier: &corev3.DataSource_Filename{Filename: exact}}, bytes.Repeat([]byte("y"), maxDataSourceFile), ""},
		{"file too big", &corev3.DataSource{Specifier: &corev3.DataSource_Filename{Filename: big}}, nil, "is larger than 65536 bytes"},
		{"directory", &corev3.DataSource{Specifier: &corev3.DataSource_Filename{Filename: dir}}, nil, "is not a regular file"},
		{"missing file", &corev3.DataSource{Specifier: &corev3.DataSource_Filename{Filename: filepath.Join(dir, "none")}}, nil, "no such file"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var tr translator
			got, ok := tr.dataSource("p", tc.ds)
			err := tr.errs.err()
			if tc.err == "" {
				if err != nil || !ok || !bytes.Equal(got, tc.want) || got == nil {
					t.Fatalf("dataSource = %q, %v, %v; want %q", got, ok, err, tc.want)
				}
				return
			}
			if ok || err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Fatalf("dataSource = %q, %v, %v; want an error with %q", got, ok, err, tc.err)
			}
		})
	}
}

// TestConfigDumpRedactsSecrets checks /config_dump hides the fields Envoy
// marks sensitive, inside typed_config and protocol options too.
func TestConfigDumpRedactsSecrets(t *testing.T) {
	raw := readFile(t, filepath.Join(bootstrapTestdata, "good", "redis-auth-faults.yaml"))
	out, err := BootstrapConfigDump(raw, mustTime(t, "2026-01-02T03:04:05Z"))
	if err != nil {
		t.Fatalf("BootstrapConfigDump: %v", err)
	}
	for _, secret := range []string{"old-secret", "new-secret", "upstream-secret", `"app"`, `"proxy"`, "AAEC/w==", "c2VjcmV0"} {
		if bytes.Contains(out, []byte(secret)) {
			t.Errorf("config dump shows %s", secret)
		}
	}
	// Each secret shows twice, in the bootstrap and in the static
	// listener or cluster. Strings: two downstream passwords, the
	// username, the upstream username and password; bytes: a downstream
	// password and the credential's password.
	if n, want := bytes.Count(out, []byte(`"[redacted]"`)), 2*5; n != want {
		t.Errorf("%d string values redacted, want %d:\n%s", n, want, out)
	}
	redactedBytes := base64.StdEncoding.EncodeToString([]byte(redactedValue))
	if n, want := bytes.Count(out, []byte(redactedBytes)), 2*2; n != want {
		t.Errorf("%d bytes values redacted, want %d", n, want)
	}
	for _, kept := range []string{`"stat_prefix": "redis"`, `"numerator": 2500`, `"port_value": 6380`} {
		if !bytes.Contains(out, []byte(kept)) {
			t.Errorf("config dump lost %s", kept)
		}
	}
	// The bootstrap still loads: redaction works on a copy.
	if _, err := LoadBootstrap(raw); err != nil {
		t.Errorf("LoadBootstrap after dump: %v", err)
	}
}

func TestSidewireExtensions(t *testing.T) {
	seen := map[string]bool{}
	for _, exts := range extensionLists() {
		for _, e := range exts {
			if e.typeURL == "" {
				continue
			}
			if !strings.HasPrefix(e.typeURL, sidewireTypePrefix) || seen[e.typeURL] {
				t.Errorf("Sidewire extension %s: type URL %q is not under %s or not unique", e.name, e.typeURL, sidewireTypePrefix)
			}
			seen[e.typeURL] = true
			if _, ok := e.newConfig().(*structpb.Struct); !ok {
				t.Errorf("Sidewire extension %s: config is %T, want *structpb.Struct", e.name, e.newConfig())
			}
		}
	}
	if !seen[config.RedisCommandPolicyType] {
		t.Errorf("%s is not registered", config.RedisCommandPolicyType)
	}
	defer func() {
		if recover() == nil {
			t.Error("sidewireExtension accepted a type URL outside sidewire.io/")
		}
	}()
	sidewireExtension("x", "type.googleapis.com/x.Y")
}

// TestRedisRejectedFields pins the Redis fields Sidewire rejects, so a
// field newly allowed, or one a newer Envoy API adds, is a conscious
// decision (and the report in doc.go stays true).
func TestRedisRejectedFields(t *testing.T) {
	want := []string{
		"envoy.extensions.clusters.redis.v3.RedisClusterConfig: (none)",
		"envoy.extensions.filters.network.redis_proxy.v3.RedisProtocolOptions: aws_iam",
		"envoy.extensions.filters.network.redis_proxy.v3.RedisProxy: external_auth_provider",
		"envoy.extensions.filters.network.redis_proxy.v3.RedisProxy.ConnPoolSettings: dns_cache_config",
		"envoy.extensions.filters.network.redis_proxy.v3.RedisProxy.PrefixRoutes.Route: (none)",
		"envoy.extensions.filters.network.redis_proxy.v3.RedisProxy.RedisFault: (none)",
	}
	var got []string
	for _, m := range []proto.Message{
		&redisclusterv3.RedisClusterConfig{},
		&redisproxyv3.RedisProtocolOptions{},
		&redisproxyv3.RedisProxy{},
		&redisproxyv3.RedisProxy_ConnPoolSettings{},
		&redisproxyv3.RedisProxy_PrefixRoutes_Route{},
		&redisproxyv3.RedisProxy_RedisFault{},
	} {
		md := m.ProtoReflect().Descriptor()
		var rejected []string
		for i := range md.Fields().Len() {
			if name := md.Fields().Get(i).Name(); fieldRules[md.FullName()][name] == reject {
				rejected = append(rejected, string(name))
			}
		}
		if len(rejected) == 0 {
			rejected = []string{"(none)"}
		}
		got = append(got, string(md.FullName())+": "+strings.Join(rejected, ", "))
	}
	if !slices.Equal(got, want) {
		t.Errorf("rejected fields:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
