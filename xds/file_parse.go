package xds

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"

	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	endpointv3 "github.com/envoyproxy/go-control-plane/envoy/config/endpoint/v3"
	listenerv3 "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	tlsv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/transport_sockets/tls/v3"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"
	"sigs.k8s.io/yaml"
)

// fileType is a resource type a path config source may hold: a new
// message, and the kind and name field that name a resource in errors.
type fileType struct {
	new              func() proto.Message
	kind, nameMember string
}

var fileTypes = map[string]fileType{
	ListenerTypeURL: {func() proto.Message { return &listenerv3.Listener{} }, "listener", "name"},
	ClusterTypeURL:  {func() proto.Message { return &clusterv3.Cluster{} }, "cluster", "name"},
	EndpointTypeURL: {func() proto.Message { return &endpointv3.ClusterLoadAssignment{} }, "cluster_load_assignment", "cluster_name"},
	SecretTypeURL:   {func() proto.Message { return &tlsv3.Secret{} }, "secret", "name"},
}

// parseResourceFile reads the file of a path config source: a
// DiscoveryResponse in YAML or JSON with the resources of typ, each an
// object with "@type", and an optional version_info (type_url, when
// present, must be typ). The version is version_info, or the first 16 hex
// digits of the SHA-256 of data. Decoding is as strict as the
// bootstrap's, with errors naming fields (resources[0].address).
func parseResourceFile(data []byte, typ string) (version string, res []*anypb.Any, err error) {
	sum := sha256.Sum256(data)
	version = hex.EncodeToString(sum[:8])
	js, err := yaml.YAMLToJSONStrict(data)
	if err != nil {
		return version, nil, fmt.Errorf("parse file: %w", err)
	}
	members, ok := objectMembers(js)
	if !ok {
		return version, nil, fmt.Errorf("parse file: the document must be a mapping with resources, got %s", describeJSON(js))
	}
	var d decoder
	var list json.RawMessage
	for _, m := range members {
		switch m.key {
		case "version_info", "versionInfo":
			if err := json.Unmarshal(m.val, &version); err != nil {
				d.errs.add("version_info", "expected a string, got %s", describeJSON(m.val))
			}
		case "type_url", "typeUrl":
			var t string
			if err := json.Unmarshal(m.val, &t); err != nil || t != typ {
				d.errs.add("type_url", "must be %s", typ)
			}
		case "resources":
			list = m.val
		default:
			d.errs.add(m.key, "unknown field (a config file holds version_info and resources)")
		}
	}
	elems, ok := arrayElems(list)
	if list != nil && !ok {
		d.errs.add("resources", "expected a list, got %s", describeJSON(list))
	}
	for i, e := range elems {
		if a := d.resource(index("resources", i), e, typ); a != nil {
			res = append(res, a)
		}
	}
	if d.errs.len() > 0 {
		return version, nil, d.errs.err()
	}
	return version, res, nil
}

// resource decodes one {"@type": typ, ...} element into an Any.
func (d *decoder) resource(path string, raw json.RawMessage, typ string) *anypb.Any {
	members, ok := objectMembers(raw)
	if !ok {
		d.errs.add(path, "expected an object with \"@type\", got %s", describeJSON(raw))
		return nil
	}
	ft := fileTypes[typ]
	var rest []member
	url, name := "", ""
	for _, m := range members {
		switch m.key {
		case "@type":
			if err := json.Unmarshal(m.val, &url); err != nil {
				d.errs.add(field(path, "@type"), "expected a string, got %s", describeJSON(m.val))
				return nil
			}
			continue
		case ft.nameMember:
			_ = json.Unmarshal(m.val, &name) // a bad name is reported by the decoder
		}
		rest = append(rest, m)
	}
	if typeURLName(url) != typeURLName(typ) {
		d.errs.add(field(path, "@type"), "must be %s, got %q", typ, url)
		return nil
	}
	if name != "" {
		path = resourceName(ft.kind, name) // as the translator names it
	}
	m := ft.new()
	n := d.errs.len()
	d.members(path, rest, m.ProtoReflect())
	if d.errs.len() > n {
		return nil
	}
	a, err := anypb.New(m)
	if err != nil {
		d.errs.wrap(path, fmt.Errorf("encode %s: %w", typ, err))
		return nil
	}
	return a
}
