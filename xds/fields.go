package xds

import (
	"slices"
	"strconv"
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
	w := fieldWalker{path: append(make([]byte, 0, 128), path...)}
	w.fields(m.ProtoReflect())
	return w.errs.err()
}

// fieldWalker walks a message tree keeping the current field path in
// one buffer, so that paths become strings only in errors: a resource
// without problems is checked without allocating.
type fieldWalker struct {
	errs errList
	path []byte
}

func (w *fieldWalker) add(format string, args ...any) {
	w.errs.add(string(w.path), format, args...)
}

func (w *fieldWalker) fields(m protoreflect.Message) {
	md := m.Descriptor()
	if len(m.GetUnknown()) > 0 {
		w.add("has fields unknown to %s (sent by a newer Envoy API?)", md.FullName())
	}
	rules := fieldRules[md.FullName()]
	fds := md.Fields()
	for i := range fds.Len() {
		fd := fds.Get(i)
		if !m.Has(fd) {
			continue
		}
		n := len(w.path)
		if n > 0 {
			w.path = append(w.path, '.')
		}
		w.path = append(w.path, fd.Name()...)
		switch rules[fd.Name()] {
		case reject:
			if h := fieldHints[md.FullName()][fd.Name()]; h != "" {
				w.add("not supported: %s", h)
			} else {
				w.add("not supported")
			}
		case use:
			w.value(fd, m.Get(fd))
		}
		w.path = w.path[:n]
	}
}

// value descends into the message values of a used field.
func (w *fieldWalker) value(fd protoreflect.FieldDescriptor, v protoreflect.Value) {
	n := len(w.path)
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
			w.path = append(strconv.AppendQuote(append(w.path, '['), k.String()), ']')
			w.fields(mp.Get(k).Message())
			w.path = w.path[:n]
		}
	case fd.Message() == nil || isOpaque(fd.Message()) || fd.Message().FullName() == anyFullName:
	case fd.IsList():
		list := v.List()
		for i := range list.Len() {
			w.path = append(strconv.AppendInt(append(w.path, '['), int64(i), 10), ']')
			w.fields(list.Get(i).Message())
			w.path = w.path[:n]
		}
	default:
		w.fields(v.Message())
	}
}
