package xds

import (
	accesslogfilev3 "github.com/envoyproxy/go-control-plane/envoy/extensions/access_loggers/file/v3"
	accesslogstreamv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/access_loggers/stream/v3"
	redisclusterv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/clusters/redis/v3"
	tlsinspectorv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/listener/tls_inspector/v3"
	connlimitv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/connection_limit/v3"
	dubbov3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/dubbo_proxy/v3"
	hcmv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	redisproxyv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/redis_proxy/v3"
	tcpproxyv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/tcp_proxy/v3"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/known/anypb"
	"google.golang.org/protobuf/types/known/structpb"

	"github.com/sidewire/sidewire/proxy/config"
)

// extension is a typed extension Sidewire supports: its Envoy name and the
// message type of its typed_config.
type extension struct {
	name    string
	msgType protoreflect.MessageType
	// typeURL is set instead of msgType for a Sidewire extension (see
	// sidewireExtension): the TypedStruct type_url that selects it. Its
	// config is the TypedStruct's value, a *structpb.Struct.
	typeURL string
}

func newExtension(name string, m proto.Message) extension {
	return extension{name: name, msgType: m.ProtoReflect().Type()}
}

// newConfig returns the empty config of e.
func (e extension) newConfig() proto.Message {
	if e.msgType == nil {
		return &structpb.Struct{}
	}
	return e.msgType.New().Interface()
}

// Envoy names of the extensions below that proxy/config has no constant for.
const (
	tlsInspectorName = "envoy.filters.listener.tls_inspector"
	redisClusterName = "envoy.clusters.redis"
	fileLoggerName   = "envoy.access_loggers.file"
	stdoutLoggerName = "envoy.access_loggers.stdout"
	stderrLoggerName = "envoy.access_loggers.stderr"
)

// The supported extensions of each kind. Importing their packages links
// the config types, and anyType makes exactly these resolvable in Any
// values, whatever else a binary links.
var (
	networkFilters = []extension{
		newExtension(config.TCPProxyFilter, &tcpproxyv3.TcpProxy{}),
		newExtension(config.ConnectionLimitFilter, &connlimitv3.ConnectionLimit{}),
		newExtension(config.RedisProxyFilter, &redisproxyv3.RedisProxy{}),
		newExtension(config.DubboProxyFilter, &dubbov3.DubboProxy{}),
		newExtension(config.HTTPConnectionManagerFilter, &hcmv3.HttpConnectionManager{}),
		sidewireExtension(config.RedisCommandPolicyFilter, config.RedisCommandPolicyType),
	}
	listenerFilters = []extension{
		newExtension(tlsInspectorName, &tlsinspectorv3.TlsInspector{}),
	}
	accessLoggers = []extension{
		newExtension(fileLoggerName, &accesslogfilev3.FileAccessLog{}),
		newExtension(stdoutLoggerName, &accesslogstreamv3.StdoutAccessLog{}),
		newExtension(stderrLoggerName, &accesslogstreamv3.StderrAccessLog{}),
	}
	// clusterTypes are the custom cluster types of Cluster.cluster_type.
	clusterTypes = []extension{
		newExtension(redisClusterName, &redisclusterv3.RedisClusterConfig{}),
	}
)

// extensionLists returns every list of supported extensions.
func extensionLists() [][]extension {
	return [][]extension{networkFilters, listenerFilters, accessLoggers, clusterTypes, dubboFilterExts, httpFilterExts, transportSockets, upstreamTransportSockets, secretTypes}
}

// anyType returns the message type of a supported extension config named
// name, or nil. The bootstrap decoder resolves Any values with it, so an
// Any of an unsupported type is reported by the field that holds it with
// the same words whether or not some other package linked the type.
func anyType(name protoreflect.FullName) protoreflect.MessageType {
	for _, exts := range extensionLists() {
		for _, e := range exts {
			if e.msgType != nil && e.msgType.Descriptor().FullName() == name {
				return e.msgType
			}
		}
	}
	for _, mt := range typedStructTypes {
		if mt.Descriptor().FullName() == name {
			return mt
		}
	}
	for _, po := range protocolOptions {
		if po.msgType.Descriptor().FullName() == name {
			return po.msgType
		}
	}
	return nil
}

// typedConfig finds the extension an entry (a filter, listener filter or
// access logger) refers to and returns its config. Like Envoy, it matches
// typed_config by type first; an entry without typed_config is looked up
// by name and gets the extension's empty config. The config is checked
// against the allow-list and its validation rules (problems are recorded
// and the config is still returned, so translation reports everything).
// ok is false when no supported extension matches. kind names the entry
// in errors ("filter", "access logger"). A TypedStruct selects a Sidewire
// extension by its type_url (see typedStruct).
func (t *translator) typedConfig(path, kind, name string, tc *anypb.Any, exts []extension) (extension, proto.Message, bool) {
	cp := field(path, "typed_config")
	if url := tc.GetTypeUrl(); url != "" {
		tn := typeURLName(url)
		if isTypedStruct(tn) {
			return t.typedStruct(path, kind, tc, exts)
		}
		for _, e := range exts {
			if e.msgType == nil || e.msgType.Descriptor().FullName() != tn {
				continue
			}
			m := e.msgType.New().Interface()
			if err := proto.Unmarshal(tc.GetValue(), m); err != nil {
				t.errs.add(cp, "decode %s: %v", tn, err)
				return extension{}, nil, false
			}
			t.precheck(cp, m)
			return e, m, true
		}
		if name != "" {
			t.errs.add(path, "unsupported %s %q (typed_config is %s)", kind, name, url)
		} else {
			t.errs.add(path, "unsupported %s type %s", kind, url)
		}
		return extension{}, nil, false
	}
	for _, e := range exts {
		if e.name == name {
			m := e.newConfig()
			t.precheck(cp, m)
			return e, m, true
		}
	}
	if name == "" {
		t.errs.add(path, "%s needs a name or a typed_config", kind)
	} else {
		t.errs.add(path, "unsupported %s %q", kind, name)
	}
	return extension{}, nil, false
}
