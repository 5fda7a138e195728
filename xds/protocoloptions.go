package xds

import (
	"maps"
	"slices"

	redisproxyv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/redis_proxy/v3"
	httpv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/upstreams/http/v3"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/known/anypb"

	"github.com/sidewire/sidewire/proxy/config"
)

// protocolOption translates one Cluster.typed_extension_protocol_options
// entry: msgType is the config type the entry must hold, translate turns
// it into the value stored in config.Cluster.ProtocolOptions. path is the
// entry's location.
type protocolOption struct {
	msgType   protoreflect.MessageType
	translate func(t *translator, path string, m proto.Message) any
}

// protocolOptions maps extension names (e.g.
// "envoy.filters.network.redis_proxy") to their translators. Protocol
// support in this package adds its entry here; any other name is rejected.
var protocolOptions = map[string]protocolOption{
	config.RedisProxyFilter: {
		msgType:   (&redisproxyv3.RedisProtocolOptions{}).ProtoReflect().Type(),
		translate: redisProtocolOptions,
	},
	config.HTTPProtocolOptionsName: {
		msgType:   (&httpv3.HttpProtocolOptions{}).ProtoReflect().Type(),
		translate: httpProtocolOptions,
	},
}

func (t *translator) protocolOptions(path string, opts map[string]*anypb.Any) map[string]any {
	if len(opts) == 0 {
		return nil
	}
	out := make(map[string]any, len(opts))
	for _, name := range slices.Sorted(maps.Keys(opts)) {
		p := key(path, name)
		po, ok := protocolOptions[name]
		if !ok {
			t.errs.add(p, "unsupported extension %q", name)
			continue
		}
		a := opts[name]
		if typeURLName(a.GetTypeUrl()) != po.msgType.Descriptor().FullName() {
			t.errs.add(p, "must hold a %s, got %q", po.msgType.Descriptor().FullName(), a.GetTypeUrl())
			continue
		}
		m := po.msgType.New().Interface()
		if err := proto.Unmarshal(a.GetValue(), m); err != nil {
			t.errs.add(p, "decode %s: %v", po.msgType.Descriptor().FullName(), err)
			continue
		}
		t.precheck(p, m)
		out[name] = po.translate(t, p, m)
	}
	return out
}
