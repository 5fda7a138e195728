package xds

import (
	"bytes"
	"encoding/json"
	"fmt"
	"time"

	adminv3 "github.com/envoyproxy/go-control-plane/envoy/admin/v3"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// BootstrapConfigDump renders the admin /config_dump of a bootstrap (the
// YAML or JSON bytes LoadBootstrap accepted) that took effect at updated:
// Envoy's admin.v3.ConfigDump holding a BootstrapConfigDump, a
// ClustersConfigDump and a ListenersConfigDump with the static resources,
// in Envoy's order, as indented JSON with proto field names. Fields
// Envoy's API marks sensitive (passwords, keys) read "[redacted]", as in
// Envoy.
func BootstrapConfigDump(raw []byte, updated time.Time) ([]byte, error) {
	b, err := parseBootstrap(raw)
	if err != nil {
		return nil, err
	}
	redact(b.ProtoReflect(), false)
	ts := timestamppb.New(updated)
	clusters := &adminv3.ClustersConfigDump{}
	for _, c := range b.GetStaticResources().GetClusters() {
		a, err := anypb.New(c)
		if err != nil {
			return nil, fmt.Errorf("render config dump: %w", err)
		}
		clusters.StaticClusters = append(clusters.StaticClusters, &adminv3.ClustersConfigDump_StaticCluster{Cluster: a, LastUpdated: ts})
	}
	listeners := &adminv3.ListenersConfigDump{}
	for _, l := range b.GetStaticResources().GetListeners() {
		a, err := anypb.New(l)
		if err != nil {
			return nil, fmt.Errorf("render config dump: %w", err)
		}
		listeners.StaticListeners = append(listeners.StaticListeners, &adminv3.ListenersConfigDump_StaticListener{Listener: a, LastUpdated: ts})
	}
	dump := &adminv3.ConfigDump{}
	for _, m := range []proto.Message{
		&adminv3.BootstrapConfigDump{Bootstrap: b, LastUpdated: ts},
		clusters,
		listeners,
	} {
		a, err := anypb.New(m)
		if err != nil {
			return nil, fmt.Errorf("render config dump: %w", err)
		}
		dump.Configs = append(dump.Configs, a)
	}
	out, err := protojson.MarshalOptions{UseProtoNames: true}.Marshal(dump)
	if err != nil {
		return nil, fmt.Errorf("render config dump: %w", err)
	}
	// protojson varies its whitespace on purpose; indent it ourselves so
	// the output is stable.
	var compact, indented bytes.Buffer
	if err := json.Compact(&compact, out); err != nil {
		return nil, fmt.Errorf("render config dump: %w", err)
	}
	if err := json.Indent(&indented, compact.Bytes(), "", "  "); err != nil {
		return nil, fmt.Errorf("render config dump: %w", err)
	}
	indented.WriteByte('\n')
	return indented.Bytes(), nil
}
