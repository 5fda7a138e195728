package xds

import (
	"bytes"
	"encoding/json"
	"fmt"
	"time"

	adminv3 "github.com/envoyproxy/go-control-plane/envoy/admin/v3"
	bootstrapv3 "github.com/envoyproxy/go-control-plane/envoy/config/bootstrap/v3"
	endpointv3 "github.com/envoyproxy/go-control-plane/envoy/config/endpoint/v3"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/known/anypb"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// ConfigDump is what the admin /config_dump renders: Envoy's
// admin.v3.ConfigDump of the bootstrap in force and, with ADS, of the
// dynamic resources the client accepted.
type ConfigDump struct {
	// Bootstrap is the bootstrap in force (the YAML or JSON bytes
	// LoadBootstrap accepted); Updated is when it took effect.
	Bootstrap []byte
	Updated   time.Time
	// ADS, when set, runs the bootstrap's dynamic resources: the dump
	// shows what it accepted, and its status as a Sidewire extension.
	ADS *ADSClient
	// ADSCluster is the bootstrap's ADS cluster, for the status.
	ADSCluster string
}

// BootstrapConfigDump renders the admin /config_dump of a bootstrap with
// no query (see ConfigDump.Render).
func BootstrapConfigDump(raw []byte, updated time.Time) ([]byte, error) {
	return ConfigDump{Bootstrap: raw, Updated: updated}.Render(DumpQuery{})
}

// Render returns the dump as indented JSON with proto field names.
//
// Its configs are, in Envoy's order: a BootstrapConfigDump; a
// ClustersConfigDump (static clusters, then dynamic active and warming
// ones); with q.IncludeEDS an EndpointsConfigDump (the load assignments
// of static clusters and the dynamic ones); a ListenersConfigDump; with
// ADS, or HTTP connection managers with an inline route_config, a
// RoutesConfigDump (see routes); with ADS a SecretsConfigDump (static and
// SDS secrets); and with ADS, last, the client's status, an
// xds.type.v3.TypedStruct of type XDSStatusTypeURL (left out when q
// selects a resource or a mask). A static-only bootstrap without HTTP
// route configurations dumps the first three, as it did before dynamic
// resources were dumped. Fields Envoy's API marks sensitive
// (passwords, private keys) read "[redacted]", as in Envoy, in static and
// dynamic resources alike. q.Resource, q.Mask and q.NameRegex filter as
// Envoy's resource, mask and name_regex parameters do.
func (d ConfigDump) Render(q DumpQuery) ([]byte, error) {
	b, err := parseBootstrap(d.Bootstrap)
	if err != nil {
		return nil, err
	}
	redact(b.ProtoReflect(), false)
	r := &dumpRenderer{q: q, b: b, ts: timestamppb.New(d.Updated)}
	if d.ADS != nil {
		r.view = d.ADS.eng.dump.view()
		r.status = d.ADS.Status()
		r.dyn = true
	}
	dump := &adminv3.ConfigDump{}
	for _, s := range r.sections() {
		if !s.show {
			continue
		}
		if q.Resource != "" && s.msg.Fields().ByName(protoreflect.Name(q.Resource)) == nil {
			continue
		}
		m, err := s.build()
		if err != nil {
			return nil, fmt.Errorf("render config dump: %w", err)
		}
		out, err := r.configs(m)
		if err != nil {
			return nil, fmt.Errorf("render config dump: %w", err)
		}
		dump.Configs = append(dump.Configs, out...)
	}
	if d.ADS != nil && q.Resource == "" && len(q.Mask) == 0 {
		a, err := d.ADS.statusAny(d.ADSCluster, r.status)
		if err != nil {
			return nil, fmt.Errorf("render config dump: %w", err)
		}
		dump.Configs = append(dump.Configs, a)
	}
	return marshalDump(dump)
}

// marshalDump renders m as indented JSON with proto field names.
func marshalDump(m proto.Message) ([]byte, error) {
	out, err := protojson.MarshalOptions{UseProtoNames: true}.Marshal(m)
	if err != nil {
		return nil, fmt.Errorf("render config dump: %w", err)
	}
	// protojson varies its whitespace on purpose; indent it ourselves
	// (json.Indent drops the input's whitespace) so the output is stable.
	var indented bytes.Buffer
	indented.Grow(len(out) * 2)
	if err := json.Indent(&indented, out, "", "  "); err != nil {
		return nil, fmt.Errorf("render config dump: %w", err)
	}
	indented.WriteByte('\n')
	return indented.Bytes(), nil
}

// configs returns the entries of ConfigDump.configs a top-level dump m
// gives: m itself, masked, or with a resource the elements of that
// field, each masked.
func (r *dumpRenderer) configs(m proto.Message) ([]*anypb.Any, error) {
	var mask maskTree
	if len(r.q.Mask) > 0 {
		mask = newMaskTree(r.q.Mask)
	}
	var msgs []proto.Message
	if r.q.Resource != "" {
		pm := m.ProtoReflect()
		fd := pm.Descriptor().Fields().ByName(protoreflect.Name(r.q.Resource))
		if fd == nil || !fd.IsList() || fd.Message() == nil {
			return nil, fmt.Errorf("resource %q is not a repeated field of %s (see ParseDumpQuery)", r.q.Resource, pm.Descriptor().Name())
		}
		list := pm.Get(fd).List()
		for i := range list.Len() {
			msgs = append(msgs, list.Get(i).Message().Interface())
		}
	} else {
		msgs = []proto.Message{m}
	}
	out := make([]*anypb.Any, 0, len(msgs))
	for _, e := range msgs {
		if mask != nil {
			mask.trim(e.ProtoReflect())
		}
		a, err := anypb.New(e)
		if err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, nil
}

// dumpRenderer builds the dumps of one request.
type dumpRenderer struct {
	q      DumpQuery
	b      *bootstrapv3.Bootstrap // redacted
	ts     *timestamppb.Timestamp // when the bootstrap took effect
	dyn    bool                   // the bootstrap has dynamic resources
	view   dumpView
	status ADSStatus
}

// dumpSection is one top-level dump: its type, whether this request
// shows it, and how to build it.
type dumpSection struct {
	msg   protoreflect.MessageDescriptor
	show  bool
	build func() (proto.Message, error)
}

func (r *dumpRenderer) sections() []dumpSection {
	return []dumpSection{
		{dumpMessages[0], true, func() (proto.Message, error) {
			return &adminv3.BootstrapConfigDump{Bootstrap: r.b, LastUpdated: r.ts}, nil
		}},
		{dumpMessages[1], true, r.clusters},
		{dumpMessages[2], r.q.IncludeEDS, r.endpoints},
		{dumpMessages[3], true, r.listeners},
		{dumpMessages[4], r.dyn || r.staticRoutes(), r.routes},
		{dumpMessages[5], r.dyn, r.secrets},
	}
}

func (r *dumpRenderer) clusters() (proto.Message, error) {
	out := &adminv3.ClustersConfigDump{VersionInfo: r.status.Versions[ClusterTypeURL]}
	for _, c := range r.b.GetStaticResources().GetClusters() {
		if !r.q.keep(c.GetName()) {
			continue
		}
		a, err := anypb.New(c)
		if err != nil {
			return nil, err
		}
		out.StaticClusters = append(out.StaticClusters, &adminv3.ClustersConfigDump_StaticCluster{Cluster: a, LastUpdated: r.ts})
	}
	err := r.eachActiveWarming(ClusterTypeURL, func(name string, v *dumpVersion, warming bool, f *adminv3.UpdateFailureState) error {
		a, err := r.resourceAny(ClusterTypeURL, v.raw)
		if err != nil {
			return fmt.Errorf("cluster %q: %w", name, err)
		}
		dc := &adminv3.ClustersConfigDump_DynamicCluster{VersionInfo: v.meta.version, Cluster: a, LastUpdated: timestamppb.New(v.meta.at), ErrorState: f}
		if warming {
			out.DynamicWarmingClusters = append(out.DynamicWarmingClusters, dc)
		} else {
			out.DynamicActiveClusters = append(out.DynamicActiveClusters, dc)
		}
		return nil
	})
	return out, err
}

func (r *dumpRenderer) listeners() (proto.Message, error) {
	out := &adminv3.ListenersConfigDump{VersionInfo: r.status.Versions[ListenerTypeURL]}
	for _, l := range r.b.GetStaticResources().GetListeners() {
		if !r.q.keep(l.GetName()) {
			continue
		}
		a, err := anypb.New(l)
		if err != nil {
			return nil, err
		}
		out.StaticListeners = append(out.StaticListeners, &adminv3.ListenersConfigDump_StaticListener{Listener: a, LastUpdated: r.ts})
	}
	dyn, err := r.dynamicListeners()
	out.DynamicListeners = dyn
	return out, err
}

func (r *dumpRenderer) endpoints() (proto.Message, error) {
	out := &adminv3.EndpointsConfigDump{}
	for _, c := range r.b.GetStaticResources().GetClusters() {
		la := c.GetLoadAssignment()
		if la == nil || !r.q.keep(c.GetName()) {
			continue
		}
		if la.GetClusterName() == "" {
			la = proto.Clone(la).(*endpointv3.ClusterLoadAssignment)
			la.ClusterName = c.GetName()
		}
		a, err := anypb.New(la)
		if err != nil {
			return nil, err
		}
		out.StaticEndpointConfigs = append(out.StaticEndpointConfigs, &adminv3.EndpointsConfigDump_StaticEndpointConfig{EndpointConfig: a, LastUpdated: r.ts})
	}
	err := r.eachAccepted(EndpointTypeURL, func(name string, v *dumpVersion, a *anypb.Any, f *adminv3.UpdateFailureState) {
		out.DynamicEndpointConfigs = append(out.DynamicEndpointConfigs, &adminv3.EndpointsConfigDump_DynamicEndpointConfig{
			VersionInfo: v.meta.version, EndpointConfig: a, LastUpdated: timestamppb.New(v.meta.at), ErrorState: f,
		})
	})
	return out, err
}

func (r *dumpRenderer) secrets() (proto.Message, error) {
	out := &adminv3.SecretsConfigDump{}
	for _, s := range r.b.GetStaticResources().GetSecrets() {
		if !r.q.keep(s.GetName()) {
			continue
		}
		a, err := anypb.New(s)
		if err != nil {
			return nil, err
		}
		out.StaticSecrets = append(out.StaticSecrets, &adminv3.SecretsConfigDump_StaticSecret{Name: s.GetName(), Secret: a, LastUpdated: r.ts})
	}
	err := r.eachActiveWarming(SecretTypeURL, func(name string, v *dumpVersion, warming bool, f *adminv3.UpdateFailureState) error {
		a, err := r.resourceAny(SecretTypeURL, v.raw)
		if err != nil {
			return fmt.Errorf("secret %q: %w", name, err)
		}
		ds := &adminv3.SecretsConfigDump_DynamicSecret{Name: name, VersionInfo: v.meta.version, Secret: a, LastUpdated: timestamppb.New(v.meta.at), ErrorState: f}
		if warming {
			out.DynamicWarmingSecrets = append(out.DynamicWarmingSecrets, ds)
		} else {
			out.DynamicActiveSecrets = append(out.DynamicActiveSecrets, ds)
		}
		return nil
	})
	return out, err
}
