package xds

import (
	"slices"
	"strings"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// rule says what Sidewire does with a field that is set.
type rule uint8

const (
	// reject is the zero rule: a field missing from the allow-list is an
	// error whenever it holds a non-default value, so fields Envoy adds
	// later are rejected rather than silently ignored.
	reject rule = iota
	// use marks a field Sidewire translates. Message fields are checked
	// recursively against their own allow-list (Any values are checked by
	// the code that unpacks them).
	use
	// inert marks a field that is accepted and ignored because it changes
	// nothing Sidewire does (e.g. metadata nothing reads). Its content is
	// not checked.
	inert
)

// checkFields walks m and reports every populated field that its
// message's allow-list (fieldRules) does not accept, as "<path>: not
// supported", plus unknown fields (a binary resource from a newer API).
// Fields are visited in declaration order, so reports are deterministic.
func checkFields(path string, m proto.Message) error {
	var errs errList
	walkFields(&errs, path, m.ProtoReflect())
	return errs.err()
}

func walkFields(errs *errList, path string, m protoreflect.Message) {
	md := m.Descriptor()
	if len(m.GetUnknown()) > 0 {
		errs.add(path, "has fields unknown to %s (sent by a newer Envoy API?)", md.FullName())
	}
	rules := fieldRules[md.FullName()]
	fds := md.Fields()
	for i := range fds.Len() {
		fd := fds.Get(i)
		if !m.Has(fd) {
			continue
		}
		fp := field(path, string(fd.Name()))
		switch rules[fd.Name()] {
		case reject:
			errs.add(fp, "not supported")
		case use:
			walkValue(errs, fp, fd, m.Get(fd))
		}
	}
}

// walkValue descends into the message values of a used field.
func walkValue(errs *errList, path string, fd protoreflect.FieldDescriptor, v protoreflect.Value) {
	switch {
	case fd.IsMap():
		if vd := fd.MapValue(); vd.Message() == nil || isOpaque(vd.Message()) || vd.Message().FullName() == anyFullName {
			return
		}
		mp := v.Map()
		keys := make([]protoreflect.MapKey, 0, mp.Len())
		mp.Range(func(k protoreflect.MapKey, _ protoreflect.Value) bool {
			keys = append(keys, k)
			return true
		})
		slices.SortFunc(keys, func(a, b protoreflect.MapKey) int {
			return strings.Compare(a.String(), b.String())
		})
		for _, k := range keys {
			walkFields(errs, key(path, k.String()), mp.Get(k).Message())
		}
	case fd.Message() == nil || isOpaque(fd.Message()) || fd.Message().FullName() == anyFullName:
	case fd.IsList():
		list := v.List()
		for i := range list.Len() {
			walkFields(errs, index(path, i), list.Get(i).Message())
		}
	default:
		walkFields(errs, path, v.Message())
	}
}
