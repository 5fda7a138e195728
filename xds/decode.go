package xds

import (
	"encoding/json"
	"regexp"
	"strings"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// decodeJSON fills m from JSON strictly, the way protojson does with
// DiscardUnknown=false, but it reports every problem with the Envoy field
// path where it happened instead of stopping at the first with a byte
// offset. protojson still parses every scalar and well-known type, so
// values mean exactly what they mean to protojson; this walker only
// descends through objects, lists, maps and Any.
//
// An Any whose type Sidewire does not support (see anyType) is kept with
// its type URL and no value: the code that reads that field reports it
// as unsupported, naming the field and the type. Any values in fields
// Sidewire ignores never fail the decode.
func decodeJSON(path string, raw json.RawMessage, m proto.Message) error {
	var d decoder
	d.message(path, raw, m.ProtoReflect())
	return d.errs.err()
}

type decoder struct {
	errs errList
}

const anyFullName protoreflect.FullName = "google.protobuf.Any"

// isOpaque reports whether md is a well-known type that protojson parses
// as one value (Duration, Struct, wrappers, ...). Any is not opaque: its
// content is decoded field by field.
func isOpaque(md protoreflect.MessageDescriptor) bool {
	return md.FullName().Parent() == "google.protobuf" && md.FullName() != anyFullName
}

// message decodes a JSON object into m.
func (d *decoder) message(path string, raw json.RawMessage, m protoreflect.Message) {
	members, ok := objectMembers(raw)
	if !ok {
		d.errs.add(path, "expected an object, got %s", describeJSON(raw))
		return
	}
	d.members(path, members, m)
}

// members decodes the members of a JSON object into m.
func (d *decoder) members(path string, members []member, m protoreflect.Message) {
	md := m.Descriptor()
	fields := md.Fields()
	seen := make(map[protoreflect.FieldNumber]string, len(members))
	oneofs := make(map[protoreflect.Name]protoreflect.Name)
	for _, mem := range members {
		fd := fields.ByJSONName(mem.key)
		if fd == nil {
			fd = fields.ByTextName(mem.key)
		}
		if fd == nil {
			d.errs.add(field(path, mem.key), "unknown field (not in %s)%s", md.FullName(), removedFieldHint(md.FullName(), mem.key))
			continue
		}
		fp := field(path, string(fd.Name()))
		if prev, dup := seen[fd.Number()]; dup {
			d.errs.add(fp, "set twice (as %q and %q)", prev, mem.key)
			continue
		}
		seen[fd.Number()] = mem.key
		if isNull(mem.val) && !isNullable(fd) {
			continue // protojson treats null as unset
		}
		if od := fd.ContainingOneof(); od != nil && !od.IsSynthetic() {
			if other, set := oneofs[od.Name()]; set {
				d.errs.add(fp, "cannot be set together with %s (both belong to oneof %s)", other, od.Name())
				continue
			}
			oneofs[od.Name()] = fd.Name()
		}
		d.field(fp, mem, fd, m)
	}
}

// isNullable reports whether JSON null is a value of fd rather than "unset".
func isNullable(fd protoreflect.FieldDescriptor) bool {
	return fd.Message() != nil && fd.Message().FullName() == "google.protobuf.Value"
}

// field decodes one member into field fd of m.
func (d *decoder) field(path string, mem member, fd protoreflect.FieldDescriptor, m protoreflect.Message) {
	switch {
	case fd.IsMap():
		vd := fd.MapValue()
		if vd.Message() == nil || isOpaque(vd.Message()) || fd.MapKey().Kind() != protoreflect.StringKind {
			d.leaf(path, mem, fd, m)
			return
		}
		entries, ok := objectMembers(mem.val)
		if !ok {
			d.errs.add(path, "expected an object, got %s", describeJSON(mem.val))
			return
		}
		mp := m.Mutable(fd).Map()
		for _, e := range entries {
			ep := key(path, e.key)
			if isNull(e.val) {
				d.errs.add(ep, "null is not a valid map value")
				continue
			}
			v := mp.NewValue()
			d.value(ep, e.val, v.Message())
			mp.Set(protoreflect.ValueOfString(e.key).MapKey(), v)
		}
	case fd.IsList():
		if fd.Message() == nil || isOpaque(fd.Message()) {
			d.leaf(path, mem, fd, m)
			return
		}
		elems, ok := arrayElems(mem.val)
		if !ok && jsonKind(mem.val) == '{' {
			// One message where a list of them goes is a list of one,
			// as Envoy's JSON parser reads it (envoyproxy/examples'
			// dynamic-config-fs writes "filters:" so).
			elems, ok = []json.RawMessage{mem.val}, true
		}
		if !ok {
			d.errs.add(path, "expected a list, got %s", describeJSON(mem.val))
			return
		}
		list := m.Mutable(fd).List()
		for i, e := range elems {
			ep := index(path, i)
			if isNull(e) {
				d.errs.add(ep, "null is not a valid list element")
				continue
			}
			el := list.NewElement()
			d.value(ep, e, el.Message())
			list.Append(el)
		}
	case fd.Message() != nil && !isOpaque(fd.Message()):
		d.value(path, mem.val, m.Mutable(fd).Message())
	default:
		d.leaf(path, mem, fd, m)
	}
}

// value decodes one message value: an Any, an opaque well-known type or an
// ordinary message.
func (d *decoder) value(path string, raw json.RawMessage, m protoreflect.Message) {
	switch {
	case m.Descriptor().FullName() == anyFullName:
		d.anyValue(path, raw, m)
	case isOpaque(m.Descriptor()):
		if err := protojson.Unmarshal(raw, m.Interface()); err != nil {
			d.errs.add(path, "%s", protojsonReason(err))
		}
	default:
		d.message(path, raw, m)
	}
}

// leaf lets protojson parse one field (a scalar, an enum, an opaque
// well-known type, or a list or map of those) by decoding the one-member
// object {key: value} into a fresh message of m's type and copying the
// field over.
func (d *decoder) leaf(path string, mem member, fd protoreflect.FieldDescriptor, m protoreflect.Message) {
	if msg := shapeMismatch(fd, mem.val); msg != "" {
		d.errs.add(path, "%s", msg)
		return
	}
	k, err := json.Marshal(mem.key)
	if err != nil {
		d.errs.add(path, "%v", err)
		return
	}
	buf := make([]byte, 0, len(k)+len(mem.val)+3)
	buf = append(buf, '{')
	buf = append(buf, k...)
	buf = append(buf, ':')
	buf = append(buf, mem.val...)
	buf = append(buf, '}')
	tmp := m.Type().New()
	if err := protojson.Unmarshal(buf, tmp.Interface()); err != nil {
		d.errs.add(path, "%s", protojsonReason(err))
		return
	}
	if tmp.Has(fd) {
		m.Set(fd, tmp.Get(fd))
	}
}

// shapeMismatch names a JSON value whose shape cannot fit fd (a list for
// a string, an object for a list), which protojson reports less clearly.
func shapeMismatch(fd protoreflect.FieldDescriptor, raw json.RawMessage) string {
	k := jsonKind(raw)
	switch {
	case fd.IsList():
		if k != '[' {
			return "expected a list, got " + describeJSON(raw)
		}
	case fd.IsMap():
		if k != '{' {
			return "expected an object, got " + describeJSON(raw)
		}
	case fd.Message() == nil && (k == '{' || k == '['):
		return "expected a " + kindName(fd.Kind()) + ", got " + describeJSON(raw)
	}
	return ""
}

// kindName names a scalar kind the way a YAML author thinks of it.
func kindName(k protoreflect.Kind) string {
	switch k {
	case protoreflect.StringKind:
		return "string"
	case protoreflect.BytesKind:
		return "base64 string"
	case protoreflect.BoolKind:
		return "boolean"
	case protoreflect.EnumKind:
		return "enum name"
	}
	return "number"
}

// anyValue decodes {"@type": url, ...fields} into the Any m.
func (d *decoder) anyValue(path string, raw json.RawMessage, m protoreflect.Message) {
	members, ok := objectMembers(raw)
	if !ok {
		d.errs.add(path, "expected an object with \"@type\", got %s", describeJSON(raw))
		return
	}
	var url string
	var rest []member
	found := false
	for _, mem := range members {
		if mem.key != "@type" {
			rest = append(rest, mem)
			continue
		}
		if err := json.Unmarshal(mem.val, &url); err != nil {
			d.errs.add(path, "\"@type\" must be a string, got %s", describeJSON(mem.val))
			return
		}
		found = true
	}
	if !found {
		if len(rest) > 0 {
			d.errs.add(path, "missing \"@type\"")
		}
		return
	}
	name := typeURLName(url)
	if !name.IsValid() {
		d.errs.add(path, "invalid type URL %q", url)
		return
	}
	fields := m.Descriptor().Fields()
	m.Set(fields.ByName("type_url"), protoreflect.ValueOfString(url))
	mt := anyType(name)
	if mt == nil {
		return // unsupported: reported by the field's consumer
	}
	// Supported configs are ordinary messages, never well-known types
	// (whose JSON form in an Any differs), so fields decode one by one.
	inner := mt.New()
	d.members(path, rest, inner)
	b, err := proto.MarshalOptions{Deterministic: true}.Marshal(inner.Interface())
	if err != nil {
		d.errs.add(path, "encode %s: %v", name, err)
		return
	}
	m.Set(fields.ByName("value"), protoreflect.ValueOfBytes(b))
}

// typeURLName returns the message name an Any type URL refers to: the
// part after the last "/".
func typeURLName(url string) protoreflect.FullName {
	return protoreflect.FullName(url[strings.LastIndexByte(url, '/')+1:])
}

// protojsonPrefix matches what protojson puts before the reason of an
// error: "proto:" with a space or a non-breaking space (protobuf-go picks
// one per build on purpose), and the position in our synthetic input,
// which means nothing to the user.
var protojsonPrefix = regexp.MustCompile(`^proto:[\s\x{00a0}]*(syntax error )?(\(line \d+:\d+\):\s*)?`)

// protojsonReason strips protobuf-go's prefix from err.
func protojsonReason(err error) string {
	return protojsonPrefix.ReplaceAllString(err.Error(), "")
}

// removedFields are v2 fields users still write; the decoder names their
// v3 replacement.
var removedFields = map[string]string{
	"envoy.config.cluster.v3.Cluster.hosts":            "load_assignment",
	"envoy.config.cluster.v3.Cluster.tls_context":      "transport_socket",
	"envoy.config.listener.v3.Filter.config":           "typed_config",
	"envoy.config.listener.v3.ListenerFilter.config":   "typed_config",
	"envoy.config.accesslog.v3.AccessLog.config":       "typed_config",
	"envoy.config.listener.v3.FilterChain.tls_context": "transport_socket",
}

func removedFieldHint(msg protoreflect.FullName, name string) string {
	if repl, ok := removedFields[string(msg)+"."+name]; ok {
		return "; it was removed in Envoy's v3 API: use " + repl
	}
	return ""
}
