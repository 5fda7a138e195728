package server

import (
	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/known/anypb"
)

// proxyLocalPlaceholder stands in for a DataSource the proxy reads on its
// own host.
const proxyLocalPlaceholder = "sidewire-control-plane-placeholder"

// withoutProxyLocal returns m, or a copy of it in which every DataSource
// naming a file or an environment variable is replaced by an inline
// placeholder. Those name things on the proxy's host (a password file,
// a variable of its environment) that the control plane cannot and must
// not read; Sidewire checks them when the resource arrives. The served
// resource is m, unchanged.
func withoutProxyLocal(m proto.Message) proto.Message {
	c := proto.Clone(m)
	if !replaceLocal(c.ProtoReflect()) {
		return m
	}
	return c
}

// replaceLocal rewrites the DataSources under m, descending into lists,
// maps and Any values whose type is linked; it reports whether anything
// changed.
func replaceLocal(m protoreflect.Message) bool {
	switch v := m.Interface().(type) {
	case *corev3.DataSource:
		switch v.GetSpecifier().(type) {
		case *corev3.DataSource_Filename, *corev3.DataSource_EnvironmentVariable:
			v.Specifier = &corev3.DataSource_InlineString{InlineString: proxyLocalPlaceholder}
			return true
		}
		return false
	case *anypb.Any:
		inner, err := v.UnmarshalNew()
		if err != nil || !replaceLocal(inner.ProtoReflect()) {
			return false
		}
		b, err := proto.MarshalOptions{Deterministic: true}.Marshal(inner)
		if err != nil {
			return false
		}
		v.Value = b
		return true
	}
	changed := false
	m.Range(func(fd protoreflect.FieldDescriptor, val protoreflect.Value) bool {
		switch {
		case fd.IsList() && fd.Message() != nil:
			l := val.List()
			for i := 0; i < l.Len(); i++ {
				changed = replaceLocal(l.Get(i).Message()) || changed
			}
		case fd.IsMap() && fd.MapValue().Message() != nil:
			val.Map().Range(func(_ protoreflect.MapKey, mv protoreflect.Value) bool {
				changed = replaceLocal(mv.Message()) || changed
				return true
			})
		case !fd.IsList() && !fd.IsMap() && fd.Message() != nil:
			changed = replaceLocal(val.Message()) || changed
		}
		return true
	})
	return changed
}
