package xds

import (
	"strings"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// pgvError is the shape of every error protoc-gen-validate generates
// (e.g. ListenerValidationError): a Go field name, a reason and the error
// of the embedded message that failed, if any.
type pgvError interface {
	error
	Field() string
	Reason() string
	Cause() error
}

// pgvMultiError is the shape of the XxxMultiError types ValidateAll returns.
type pgvMultiError interface {
	error
	AllErrors() []error
}

// validate runs m's generated ValidateAll and reports each violation at
// its Envoy field path under path.
func validate(path string, m proto.Message) error {
	v, ok := m.(interface{ ValidateAll() error })
	if !ok {
		return nil
	}
	err := v.ValidateAll()
	if err == nil {
		return nil
	}
	var errs errList
	flattenPGV(&errs, path, m.ProtoReflect().Descriptor(), err)
	return errs.err()
}

// flattenPGV turns the nested validation errors of message md into one
// FieldError per violation, translating Go field names back to proto
// names on the way down.
func flattenPGV(errs *errList, path string, md protoreflect.MessageDescriptor, err error) {
	if me, ok := err.(pgvMultiError); ok {
		for _, e := range me.AllErrors() {
			flattenPGV(errs, path, md, e)
		}
		return
	}
	pe, ok := err.(pgvError)
	if !ok {
		errs.add(path, "%v", err)
		return
	}
	p, next, oneof := pgvField(path, md, pe.Field())
	cause := pe.Cause()
	switch {
	case cause != nil && next != nil && isPGV(cause):
		flattenPGV(errs, p, next, cause)
	case cause != nil:
		errs.add(p, "%s: %v", pe.Reason(), cause)
	case oneof != nil && pe.Reason() == "value is required":
		errs.add(path, "one of %s must be set", oneofFieldNames(oneof))
	default:
		errs.add(p, "%s", pe.Reason())
	}
}

func isPGV(err error) bool {
	switch err.(type) {
	case pgvError, pgvMultiError:
		return true
	}
	return false
}

// pgvField resolves a generated Go field name such as "Listeners[0]" or
// "FilterMetadata[envoy.lb]" in message md. It returns the Envoy path, the
// descriptor of the field's message values (nil for scalars), and the
// oneof when the name is a oneof rather than a field.
func pgvField(path string, md protoreflect.MessageDescriptor, goName string) (string, protoreflect.MessageDescriptor, protoreflect.OneofDescriptor) {
	name, idx, indexed := strings.Cut(goName, "[")
	idx = strings.TrimSuffix(idx, "]")
	fds := md.Fields()
	for i := range fds.Len() {
		fd := fds.Get(i)
		if !sameGoName(string(fd.Name()), name) {
			continue
		}
		p := field(path, string(fd.Name()))
		switch {
		case fd.IsMap():
			if indexed {
				p = key(p, idx)
			}
			return p, fd.MapValue().Message(), nil
		case indexed:
			p += "[" + idx + "]"
		}
		return p, fd.Message(), nil
	}
	oos := md.Oneofs()
	for i := range oos.Len() {
		if od := oos.Get(i); sameGoName(string(od.Name()), name) {
			return field(path, string(od.Name())), nil, od
		}
	}
	return field(path, goName), nil, nil
}

// sameGoName reports whether the generated Go name goName belongs to the
// proto name protoName. protoc-gen-go drops most underscores and changes
// case; comparing without underscores, case-insensitively, is enough to
// tell the fields of one message apart.
func sameGoName(protoName, goName string) bool {
	return strings.EqualFold(strings.ReplaceAll(protoName, "_", ""), strings.ReplaceAll(goName, "_", ""))
}

func oneofFieldNames(od protoreflect.OneofDescriptor) string {
	fds := od.Fields()
	names := make([]string, fds.Len())
	for i := range fds.Len() {
		names[i] = string(fds.Get(i).Name())
	}
	return strings.Join(names, ", ")
}
