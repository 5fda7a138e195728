package xds

import (
	"fmt"

	"github.com/cncf/xds/go/udpa/annotations"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
	"google.golang.org/protobuf/types/known/wrapperspb"
)

// redactedValue replaces sensitive strings and bytes, as in Envoy.
const redactedValue = "[redacted]"

const stringValueTypeURL = "type.googleapis.com/google.protobuf.StringValue"

// redact hides the fields Envoy's API marks sensitive
// (udpa.annotations.sensitive: passwords, private keys) the way Envoy's
// /config_dump does: below a sensitive field, every string and bytes
// value becomes "[redacted]" and every other scalar is cleared. Any
// values are unpacked, redacted and packed again (see redactAny).
func redact(m protoreflect.Message, sensitive bool) {
	if m.Descriptor().FullName() == anyFullName {
		redactAny(m, sensitive)
		return
	}
	var fields []protoreflect.FieldDescriptor
	m.Range(func(fd protoreflect.FieldDescriptor, _ protoreflect.Value) bool {
		fields = append(fields, fd)
		return true
	})
	for _, fd := range fields {
		s := sensitive || proto.GetExtension(fd.Options(), annotations.E_Sensitive).(bool)
		switch {
		case fd.IsMap():
			mp := m.Mutable(fd).Map()
			var keys []protoreflect.MapKey
			mp.Range(func(k protoreflect.MapKey, _ protoreflect.Value) bool {
				keys = append(keys, k)
				return true
			})
			vk := fd.MapValue().Kind()
			for _, k := range keys {
				switch {
				case fd.MapValue().Message() != nil:
					redact(mp.Mutable(k).Message(), s)
				case s && isText(vk):
					mp.Set(k, redactedScalar(vk))
				case s:
					mp.Clear(k)
				}
			}
		case fd.IsList():
			list := m.Mutable(fd).List()
			for i := range list.Len() {
				switch {
				case fd.Message() != nil:
					redact(list.Get(i).Message(), s)
				case s && isText(fd.Kind()):
					list.Set(i, redactedScalar(fd.Kind()))
				}
			}
			if s && fd.Message() == nil && !isText(fd.Kind()) {
				m.Clear(fd)
			}
		case fd.Message() != nil:
			redact(m.Mutable(fd).Message(), s)
		case s && isText(fd.Kind()):
			m.Set(fd, redactedScalar(fd.Kind()))
		case s:
			m.Clear(fd)
		}
	}
}

// redactAny redacts the content of an Any. One of a type this build does
// not know (in a field Sidewire ignores, such as typed_filter_metadata)
// cannot be shown as JSON nor checked for secrets: it becomes a
// google.protobuf.StringValue saying what it was.
func redactAny(m protoreflect.Message, sensitive bool) {
	fields := m.Descriptor().Fields()
	url := m.Get(fields.ByName("type_url")).String()
	vf := fields.ByName("value")
	mt := anyType(typeURLName(url))
	if mt == nil {
		mt, _ = protoregistry.GlobalTypes.FindMessageByURL(url)
	}
	if mt == nil {
		note, err := proto.Marshal(wrapperspb.String(fmt.Sprintf("[%s: a type this build does not know, %d bytes]", url, len(m.Get(vf).Bytes()))))
		if err != nil {
			m.Clear(vf)
			return
		}
		m.Set(fields.ByName("type_url"), protoreflect.ValueOfString(stringValueTypeURL))
		m.Set(vf, protoreflect.ValueOfBytes(note))
		return
	}
	inner := mt.New()
	if err := proto.Unmarshal(m.Get(vf).Bytes(), inner.Interface()); err != nil {
		// Cannot happen for a loaded bootstrap; hide what cannot be read.
		m.Clear(vf)
		return
	}
	redact(inner, sensitive)
	b, err := proto.MarshalOptions{Deterministic: true}.Marshal(inner.Interface())
	if err != nil {
		m.Clear(vf)
		return
	}
	m.Set(vf, protoreflect.ValueOfBytes(b))
}

func isText(k protoreflect.Kind) bool {
	return k == protoreflect.StringKind || k == protoreflect.BytesKind
}

func redactedScalar(k protoreflect.Kind) protoreflect.Value {
	if k == protoreflect.BytesKind {
		return protoreflect.ValueOfBytes([]byte(redactedValue))
	}
	return protoreflect.ValueOfString(redactedValue)
}
