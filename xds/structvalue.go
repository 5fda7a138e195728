package xds

import (
	"maps"
	"slices"
	"strings"

	"google.golang.org/protobuf/types/known/structpb"
)

// Strict readers for the JSON values of Sidewire extension configs
// (google.protobuf.Struct), reporting problems at their paths the way the
// bootstrap decoder does for Envoy messages. A null value means unset.

// structFields returns the members of s that are not null, reporting
// every key that is not in known as an unknown field.
func (t *translator) structFields(path string, s *structpb.Struct, known ...string) map[string]*structpb.Value {
	out := make(map[string]*structpb.Value, len(s.GetFields()))
	for _, k := range slices.Sorted(maps.Keys(s.GetFields())) {
		if !slices.Contains(known, k) {
			t.errs.add(field(path, k), "unknown field (known fields: %s)", strings.Join(known, ", "))
			continue
		}
		if v := s.GetFields()[k]; !isNullValue(v) {
			out[k] = v
		}
	}
	return out
}

// structObject returns v as an object.
func (t *translator) structObject(path string, v *structpb.Value) (*structpb.Struct, bool) {
	s, ok := v.GetKind().(*structpb.Value_StructValue)
	if !ok {
		t.errs.add(path, "expected an object, got %s", describeValue(v))
		return nil, false
	}
	return s.StructValue, true
}

// structList returns v as a list.
func (t *translator) structList(path string, v *structpb.Value) ([]*structpb.Value, bool) {
	l, ok := v.GetKind().(*structpb.Value_ListValue)
	if !ok {
		t.errs.add(path, "expected a list, got %s", describeValue(v))
		return nil, false
	}
	return l.ListValue.GetValues(), true
}

// structString returns v as a string.
func (t *translator) structString(path string, v *structpb.Value) (string, bool) {
	s, ok := v.GetKind().(*structpb.Value_StringValue)
	if !ok {
		t.errs.add(path, "expected a string, got %s", describeValue(v))
		return "", false
	}
	return s.StringValue, true
}

// structStrings returns v as a list of strings, leaving out (and
// reporting) elements that are not strings.
func (t *translator) structStrings(path string, v *structpb.Value) []string {
	elems, ok := t.structList(path, v)
	if !ok {
		return nil
	}
	out := make([]string, 0, len(elems))
	for i, e := range elems {
		if s, ok := t.structString(index(path, i), e); ok {
			out = append(out, s)
		}
	}
	return out
}

func isNullValue(v *structpb.Value) bool {
	_, null := v.GetKind().(*structpb.Value_NullValue)
	return null || v.GetKind() == nil
}

// describeValue names a JSON value's type for error messages.
func describeValue(v *structpb.Value) string {
	switch v.GetKind().(type) {
	case *structpb.Value_StructValue:
		return "an object"
	case *structpb.Value_ListValue:
		return "a list"
	case *structpb.Value_StringValue:
		return "a string"
	case *structpb.Value_BoolValue:
		return "a boolean"
	case *structpb.Value_NumberValue:
		return "a number"
	}
	return "null"
}
