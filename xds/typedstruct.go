package xds

import (
	"strings"

	udpatypev1 "github.com/cncf/xds/go/udpa/type/v1"
	xdstypev3 "github.com/cncf/xds/go/xds/type/v3"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/known/anypb"
	"google.golang.org/protobuf/types/known/structpb"
)

// Sidewire's own extensions.
//
// Where Sidewire goes beyond Envoy, an extension entry (a network filter,
// say) holds an xds.type.v3.TypedStruct (or the older, identical
// udpa.type.v1.TypedStruct) whose type_url is under sidewire.io/ and
// whose value is the extension's config as a JSON object:
//
//	filters:
//	- name: sidewire.filters.network.redis_command_policy
//	  typed_config:
//	    "@type": type.googleapis.com/xds.type.v3.TypedStruct
//	    type_url: sidewire.io/sidewire.filters.network.redis.v1.CommandPolicy
//	    value: {default: {deny: [FLUSHALL]}}
//
// An extension list (networkFilters, ...) registers one with
// sidewireExtension; its translator reads the value with the strict
// readers of structvalue.go, so unknown keys and wrong types are reported
// with their paths (".typed_config.value.default.deny[0]"). A type_url
// under sidewire.io/ that no list of the right kind registers is an error
// naming the known ones. TypedStruct is read for Sidewire types only:
// Envoy's own configs are given as they are, in typed_config.

// sidewireTypePrefix starts the type URL of every Sidewire extension.
const sidewireTypePrefix = "sidewire.io/"

// typedStructTypes are the messages that carry Sidewire extension configs.
var typedStructTypes = []protoreflect.MessageType{
	(&xdstypev3.TypedStruct{}).ProtoReflect().Type(),
	(&udpatypev1.TypedStruct{}).ProtoReflect().Type(),
}

// sidewireExtension registers a Sidewire extension named name, selected
// by a TypedStruct whose type_url is typeURL (which must be under
// sidewire.io/).
func sidewireExtension(name, typeURL string) extension {
	if !strings.HasPrefix(typeURL, sidewireTypePrefix) {
		panic("xds: Sidewire extension type " + typeURL + " is not under " + sidewireTypePrefix)
	}
	return extension{name: name, typeURL: typeURL}
}

func isTypedStruct(name protoreflect.FullName) bool {
	for _, mt := range typedStructTypes {
		if mt.Descriptor().FullName() == name {
			return true
		}
	}
	return false
}

// typedStruct resolves an entry whose typed_config is a TypedStruct to
// the Sidewire extension of exts its type_url names. It returns the
// extension and its config, the TypedStruct's value (an empty Struct when
// unset).
func (t *translator) typedStruct(path, kind string, tc *anypb.Any, exts []extension) (extension, proto.Message, bool) {
	cp := field(path, "typed_config")
	tn := typeURLName(tc.GetTypeUrl())
	var ts protoreflect.Message
	for _, mt := range typedStructTypes {
		if mt.Descriptor().FullName() == tn {
			ts = mt.New()
		}
	}
	if err := proto.Unmarshal(tc.GetValue(), ts.Interface()); err != nil {
		t.errs.add(cp, "decode %s: %v", tn, err)
		return extension{}, nil, false
	}
	t.precheck(cp, ts.Interface())
	fields := ts.Descriptor().Fields()
	url := ts.Get(fields.ByName("type_url")).String()
	up := field(cp, "type_url")
	switch {
	case url == "":
		t.errs.add(up, "is required")
		return extension{}, nil, false
	case !strings.HasPrefix(url, sidewireTypePrefix):
		t.errs.add(up, "%s is not a Sidewire type (under %s): a TypedStruct carries Sidewire extensions only; give Envoy configs directly as typed_config", url, sidewireTypePrefix)
		return extension{}, nil, false
	}
	var known []string
	for _, e := range exts {
		if e.typeURL == "" {
			continue
		}
		if e.typeURL == url {
			value := &structpb.Struct{}
			if v := ts.Get(fields.ByName("value")).Message(); v.IsValid() {
				value = v.Interface().(*structpb.Struct)
			}
			return e, value, true
		}
		known = append(known, e.typeURL)
	}
	if len(known) == 0 {
		t.errs.add(up, "unknown Sidewire %s type %s (there are no Sidewire %s types)", kind, url, kind)
	} else {
		t.errs.add(up, "unknown Sidewire %s type %s (known: %s)", kind, url, strings.Join(known, ", "))
	}
	return extension{}, nil, false
}
