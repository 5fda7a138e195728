package xds

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"maps"
	"os"
	"slices"

	bootstrapv3 "github.com/envoyproxy/go-control-plane/envoy/config/bootstrap/v3"
	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/structpb"
	"sigs.k8s.io/yaml"

	"github.com/sidewire/sidewire/proxy/config"
)

// LoadBootstrap reads an Envoy v3 Bootstrap from YAML or JSON bytes,
// validates it and translates it into a validated config.Snapshot.
//
// Problems in the configuration are reported all at once as joined
// *config.FieldError values whose paths use Envoy's field names, e.g.
// "static_resources.clusters[1].transport_socket: not supported". Input
// that is not YAML or JSON at all yields a single plain error.
//
// The snapshot's Version is the first 16 hex digits of the SHA-256 of data.
func LoadBootstrap(data []byte) (*config.Snapshot, error) {
	snap, _, err := LoadBootstrapDynamic(data)
	return snap, err
}

// LoadBootstrapDynamic is LoadBootstrap that also returns where the
// bootstrap's dynamic_resources come from; nil when it has none.
func LoadBootstrapDynamic(data []byte) (*config.Snapshot, *DynamicResources, error) {
	b, err := parseBootstrap(data)
	if err != nil {
		return nil, nil, err
	}
	snap, dyn, err := translateBootstrap(b)
	if err != nil {
		return nil, nil, err
	}
	sum := sha256.Sum256(data)
	snap.Version = hex.EncodeToString(sum[:8])
	if err := snap.Validate(); err != nil {
		return nil, nil, err
	}
	return snap, dyn, nil
}

// LoadBootstrapFile is LoadBootstrap on the contents of the file at path.
func LoadBootstrapFile(path string) (*config.Snapshot, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read bootstrap: %w", err)
	}
	return LoadBootstrap(data)
}

// parseBootstrap turns YAML or JSON into a Bootstrap: duplicate keys,
// unknown fields and malformed values are errors with field paths.
func parseBootstrap(data []byte) (*bootstrapv3.Bootstrap, error) {
	js, err := yaml.YAMLToJSONStrict(data)
	if err != nil {
		return nil, fmt.Errorf("parse bootstrap: %w", err)
	}
	switch jsonKind(js) {
	case '{':
	case 'n', 0:
		return nil, errors.New("parse bootstrap: the document is empty")
	default:
		return nil, fmt.Errorf("parse bootstrap: the document must be a mapping, got %s", describeJSON(js))
	}
	b := &bootstrapv3.Bootstrap{}
	if err := decodeJSON("", js, b); err != nil {
		return nil, err
	}
	return b, nil
}

// translateBootstrap checks the bootstrap against the allow-list and
// Envoy's validation rules (ValidateAll), and translates it, reporting
// every problem found. Listeners, clusters and secrets are checked by
// TranslateListener, TranslateCluster and TranslateSecret, as they are
// when they arrive over xDS; the rest of the bootstrap is checked here.
func translateBootstrap(b *bootstrapv3.Bootstrap) (*config.Snapshot, *DynamicResources, error) {
	var t translator
	top := proto.Clone(b).(*bootstrapv3.Bootstrap)
	if sr := top.GetStaticResources(); sr != nil {
		sr.Listeners, sr.Clusters, sr.Secrets = nil, nil, nil
	}
	t.precheck("", top)
	snap := &config.Snapshot{
		Node:  node(b.GetNode()),
		Stats: config.StatsOptions{DeferredCreation: b.GetDeferredStatOptions().GetEnableDeferredCreationStats()},
	}
	if a := b.GetAdmin(); a != nil {
		snap.Admin = t.admin("admin", a)
	}
	t.layeredRuntime("layered_runtime", b.GetLayeredRuntime())
	var dyn *DynamicResources
	snap.ADS, dyn = t.dynamicResources("dynamic_resources", b.GetDynamicResources())
	snap.Secrets = t.staticSecretsOf("static_resources.secrets", b.GetStaticResources().GetSecrets())
	var staticSDS []OwnedSecretRef
	for i, l := range b.GetStaticResources().GetListeners() {
		out, err := TranslateListener(index("static_resources.listeners", i), l)
		t.errs.addErr(err)
		if out != nil {
			refs := t.staticSecrets(index("static_resources.listeners", i), secretRefs(out), snap.Secrets, snap.ADS != nil)
			for _, r := range refs {
				staticSDS = append(staticSDS, OwnedSecretRef{Owner: "static listener " + quote(out.Name), Ref: r})
			}
			t.staticDubboRoutes(index("static_resources.listeners", i), out)
			t.staticHTTPRoutes(index("static_resources.listeners", i), out)
			snap.Listeners = append(snap.Listeners, out)
		}
	}
	for i, c := range b.GetStaticResources().GetClusters() {
		out, err := TranslateCluster(index("static_resources.clusters", i), c)
		t.errs.addErr(err)
		if out != nil {
			refs := t.staticSecrets(index("static_resources.clusters", i), out.TLS.SecretRefs(), snap.Secrets, snap.ADS != nil)
			for _, r := range refs {
				staticSDS = append(staticSDS, OwnedSecretRef{Owner: "static cluster " + quote(out.Name), Ref: r})
			}
			snap.Clusters = append(snap.Clusters, out)
		}
	}
	for i, c := range snap.Clusters {
		if snap.ADS == nil || c.Name != snap.ADS.Cluster {
			continue
		}
		t.adsClusterProtocol(index("static_resources.clusters", i), c)
		for _, r := range c.TLS.SecretRefs() {
			if !r.Static {
				t.errs.add(index("static_resources.clusters", i), "secret %q: the ads cluster's TLS context takes inline material or static_resources.secrets (its own stream cannot deliver it)", r.Name)
			}
		}
	}
	if t.errs.len() > 0 {
		return nil, nil, t.errs.err()
	}
	if len(staticSDS) > 0 {
		if dyn == nil {
			dyn = &DynamicResources{}
		}
		dyn.StaticSecrets = staticSDS
	}
	return snap, dyn, nil
}

// admin translates the admin server. access_log_path (deprecated in
// Envoy) adds a default-format file log unless it is /dev/null.
func (t *translator) admin(path string, a *bootstrapv3.Admin) *config.Admin {
	out := &config.Admin{}
	if a.GetAddress() == nil {
		t.errs.add(field(path, "address"), "is required when admin is set")
	} else {
		out.Address = t.address(field(path, "address"), a.GetAddress(), bindAddr)
	}
	if p := a.GetAccessLogPath(); p != "" && p != "/dev/null" {
		out.AccessLogs = append(out.AccessLogs, config.AccessLog{Path: p})
	}
	out.AccessLogs = append(out.AccessLogs, t.accessLogs(field(path, "access_log"), a.GetAccessLog())...)
	return out
}

// layeredRuntime accepts runtime layers that change nothing: admin layers
// (Sidewire's admin server has no runtime endpoint) and empty static
// layers. A runtime key would be silently ignored, so each is an error.
func (t *translator) layeredRuntime(path string, lr *bootstrapv3.LayeredRuntime) {
	for i, layer := range lr.GetLayers() {
		sl := layer.GetStaticLayer()
		if sl == nil {
			continue
		}
		p := field(index(field(path, "layers"), i), "static_layer")
		for _, k := range runtimeKeys("", sl) {
			t.errs.add(key(p, k), "runtime keys are not supported")
		}
	}
}

// runtimeKeys flattens a static layer into dotted runtime keys, sorted.
func runtimeKeys(prefix string, s *structpb.Struct) []string {
	var keys []string
	for _, k := range slices.Sorted(maps.Keys(s.GetFields())) {
		name := k
		if prefix != "" {
			name = prefix + "." + k
		}
		if sub := s.GetFields()[k].GetStructValue(); sub != nil && len(sub.GetFields()) > 0 {
			keys = append(keys, runtimeKeys(name, sub)...)
			continue
		}
		keys = append(keys, name)
	}
	return keys
}

// node translates the bootstrap's node: id, cluster, metadata (kept as
// JSON values, sent back as they came) and locality.
func node(n *corev3.Node) config.Node {
	out := config.Node{
		ID: n.GetId(), Cluster: n.GetCluster(),
		Region: n.GetLocality().GetRegion(), Zone: n.GetLocality().GetZone(), SubZone: n.GetLocality().GetSubZone(),
	}
	if md := n.GetMetadata(); md != nil {
		out.Metadata = md.AsMap()
	}
	return out
}
