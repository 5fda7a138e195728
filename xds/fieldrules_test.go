package xds

import (
	"testing"

	bootstrapv3 "github.com/envoyproxy/go-control-plane/envoy/config/bootstrap/v3"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
)

// TestFieldRulesNames catches typos in the allow-list: every message and
// field it names exists in the linked Envoy API.
func TestFieldRulesNames(t *testing.T) {
	for msg, fields := range fieldRules {
		d, err := protoregistry.GlobalFiles.FindDescriptorByName(msg)
		if err != nil {
			t.Errorf("fieldRules names unknown message %s", msg)
			continue
		}
		md, ok := d.(protoreflect.MessageDescriptor)
		if !ok {
			t.Errorf("fieldRules key %s is not a message", msg)
			continue
		}
		for name, r := range fields {
			if md.Fields().ByName(name) == nil {
				t.Errorf("fieldRules[%s] names unknown field %s", msg, name)
			}
			if r != use && r != inert {
				t.Errorf("fieldRules[%s][%s] = %d: list only used or inert fields", msg, name, r)
			}
		}
	}
}

// TestFieldRulesReachable checks that every message reachable through a
// used field, from the bootstrap and from each supported extension
// config, protocol option and TypedStruct, has an allow-list entry: a
// missing entry would reject all of its fields.
func TestFieldRulesReachable(t *testing.T) {
	roots := []protoreflect.MessageDescriptor{(&bootstrapv3.Bootstrap{}).ProtoReflect().Descriptor()}
	for _, exts := range extensionLists() {
		for _, e := range exts {
			if e.msgType != nil {
				roots = append(roots, e.msgType.Descriptor())
			}
		}
	}
	for _, po := range protocolOptions {
		roots = append(roots, po.msgType.Descriptor())
	}
	for _, mt := range typedStructTypes {
		roots = append(roots, mt.Descriptor())
	}
	seen := map[protoreflect.FullName]bool{}
	var visit func(md protoreflect.MessageDescriptor)
	visit = func(md protoreflect.MessageDescriptor) {
		if seen[md.FullName()] || isOpaque(md) || md.FullName() == anyFullName {
			return
		}
		seen[md.FullName()] = true
		rules, ok := fieldRules[md.FullName()]
		if !ok {
			t.Errorf("%s is reachable through used fields but has no fieldRules entry", md.FullName())
			return
		}
		for name, r := range rules {
			fd := md.Fields().ByName(name)
			if r != use || fd == nil {
				continue
			}
			switch {
			case fd.IsMap() && fd.MapValue().Message() != nil:
				visit(fd.MapValue().Message())
			case fd.Message() != nil:
				visit(fd.Message())
			}
		}
	}
	for _, r := range roots {
		visit(r)
	}
	if len(seen) < 40 {
		t.Errorf("walked only %d messages; the walk is broken", len(seen))
	}
}
