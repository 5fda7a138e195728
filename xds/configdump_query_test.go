package xds

import (
	"errors"
	"net/url"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	adminv3 "github.com/envoyproxy/go-control-plane/envoy/admin/v3"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"
	"google.golang.org/protobuf/types/known/structpb"
	"google.golang.org/protobuf/types/known/timestamppb"
)

func TestParseDumpQuery(t *testing.T) {
	for _, tc := range []struct {
		query string
		check func(DumpQuery) bool
	}{
		{"", func(q DumpQuery) bool {
			return q.Resource == "" && q.Mask == nil && q.NameRegex == nil && !q.IncludeEDS
		}},
		{"include_eds", func(q DumpQuery) bool { return q.IncludeEDS }},
		{"include_eds=false", func(q DumpQuery) bool { return !q.IncludeEDS }},
		{"resource=dynamic_active_clusters", func(q DumpQuery) bool { return q.Resource == "dynamic_active_clusters" }},
		{"resource=dynamic_endpoint_configs&include_eds=1", func(q DumpQuery) bool { return q.Resource == "dynamic_endpoint_configs" }},
		{"mask=version_info,static_clusters", func(q DumpQuery) bool { return slices.Equal(q.Mask, []string{"version_info", "static_clusters"}) }},
		{"mask=bootstrap.node.id", func(q DumpQuery) bool { return len(q.Mask) == 1 }},
		{"resource=dynamic_listeners&mask=active_state.listener", func(q DumpQuery) bool { return len(q.Mask) == 1 }},
		{"name_regex=web-.*", func(q DumpQuery) bool {
			return q.NameRegex.MatchString("web-1") && !q.NameRegex.MatchString("a-web-1") && !q.NameRegex.MatchString("web")
		}},
	} {
		q, err := parseQuery(tc.query)
		if err != nil || !tc.check(q) {
			t.Errorf("ParseDumpQuery(%q) = %+v, %v", tc.query, q, err)
		}
	}
}

func TestParseDumpQueryErrors(t *testing.T) {
	for _, tc := range []struct{ query, param, want string }{
		{"format=json", "format", "unknown parameter"},
		{"resource=static_clusters&resource=static_listeners", "resource", "given more than once"},
		{"include_eds=yes", "include_eds", "not a boolean"},
		{"name_regex=", "name_regex", "is empty"},
		{"name_regex=a(b", "name_regex", "missing closing )"},
		{"resource=", "resource", "not a repeated field"},
		{"resource=clusters", "resource", `"clusters" is not a repeated field of a dump (known: static_clusters`},
		{"resource=version_info", "resource", "use mask"},
		{"resource=dynamic_endpoint_configs", "resource", "needs include_eds"},
		{"mask=", "mask", "is empty"},
		{"mask=version_info,", "mask", `path ""`},
		{"mask=versionInfo", "mask", "not a field path"},
		{"mask=no_such_field", "mask", "not a field of any dump"},
		{"mask=static_clusters.cluster", "mask", "goes through a repeated field"},
		{"resource=dynamic_active_clusters&mask=name", "mask", "envoy.admin.v3.ClustersConfigDump.DynamicCluster"},
	} {
		_, err := parseQuery(tc.query)
		var qe *QueryError
		if !errors.As(err, &qe) || qe.Param != tc.param || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("ParseDumpQuery(%q) = %v, want a *QueryError on %s containing %q", tc.query, err, tc.param, tc.want)
		}
	}
}

func parseQuery(s string) (DumpQuery, error) {
	v, err := url.ParseQuery(s)
	if err != nil {
		return DumpQuery{}, err
	}
	return ParseDumpQuery(v)
}

func TestMaskTree(t *testing.T) {
	ts := timestamppb.New(mustTime(t, "2026-01-02T03:04:05Z"))
	m := &adminv3.ListenersConfigDump_DynamicListener{
		Name:         "l1",
		ActiveState:  &adminv3.ListenersConfigDump_DynamicListenerState{VersionInfo: "1", LastUpdated: ts},
		WarmingState: &adminv3.ListenersConfigDump_DynamicListenerState{VersionInfo: "2"},
		ErrorState:   &adminv3.UpdateFailureState{Details: "bad"},
	}
	newMaskTree([]string{"active_state.version_info", "name", "error_state", "error_state.details"}).trim(m.ProtoReflect())
	want := &adminv3.ListenersConfigDump_DynamicListener{
		Name:        "l1",
		ActiveState: &adminv3.ListenersConfigDump_DynamicListenerState{VersionInfo: "1"},
		ErrorState:  &adminv3.UpdateFailureState{Details: "bad"},
	}
	if !proto.Equal(m, want) {
		t.Errorf("trimmed %v, want %v", m, want)
	}
}

// TestConfigDumpStaticUnchanged checks the dump of a static-only
// bootstrap is what it was before dynamic resources were dumped: the
// golden files were rendered by that implementation.
func TestConfigDumpStaticUnchanged(t *testing.T) {
	ts := mustTime(t, "2026-01-02T03:04:05Z")
	for name, raw := range map[string][]byte{
		"default.json":        DefaultBootstrapYAML(),
		"static-secrets.json": readFile(t, filepath.Join(bootstrapTestdata, "good", "static-secrets.yaml")),
	} {
		out, err := BootstrapConfigDump(raw, ts)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		checkGolden(t, filepath.Join("..", "testdata", "configdump", name), out)
		var d adminv3.ConfigDump
		if err := protojson.Unmarshal(out, &d); err != nil {
			t.Errorf("%s does not parse as admin.v3.ConfigDump: %v", name, err)
		}
	}
}

// TestConfigDumpUnknownAny checks an Any of a type this build does not
// know (typed_filter_metadata is accepted and ignored) is shown as a
// note instead of failing the dump.
func TestConfigDumpUnknownAny(t *testing.T) {
	unknown := &anypb.Any{TypeUrl: "type.googleapis.com/example.Unknown", Value: []byte{8, 1}}
	s, _ := structpb.NewStruct(map[string]any{"k": "v"})
	holder := &adminv3.UpdateFailureState{FailedConfiguration: unknown}
	redact(holder.ProtoReflect(), false)
	if holder.GetFailedConfiguration().GetTypeUrl() != stringValueTypeURL {
		t.Fatalf("unknown Any became %s, want a StringValue note", holder.GetFailedConfiguration().GetTypeUrl())
	}
	out, err := protojson.Marshal(holder)
	if err != nil || !strings.Contains(string(out), "example.Unknown: a type this build does not know, 2 bytes") {
		t.Errorf("marshal: %s, %v", out, err)
	}
	// A known type is kept.
	known, _ := anypb.New(s)
	holder = &adminv3.UpdateFailureState{FailedConfiguration: known}
	redact(holder.ProtoReflect(), false)
	if holder.GetFailedConfiguration().GetTypeUrl() != known.GetTypeUrl() {
		t.Errorf("a known Any became %s", holder.GetFailedConfiguration().GetTypeUrl())
	}
}

// TestRenderRejectsUncheckedResource checks a DumpQuery not made by
// ParseDumpQuery cannot make Render panic.
func TestRenderRejectsUncheckedResource(t *testing.T) {
	_, err := ConfigDump{Bootstrap: DefaultBootstrapYAML()}.Render(DumpQuery{Resource: "version_info"})
	if err == nil || !strings.Contains(err.Error(), "not a repeated field") {
		t.Errorf("Render(resource=version_info) = %v, want an error", err)
	}
}
