package xds

import (
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"

	adminv3 "github.com/envoyproxy/go-control-plane/envoy/admin/v3"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// DumpQuery is what a /config_dump query string asks for, as in Envoy's
// admin interface.
type DumpQuery struct {
	// Resource, when set, is a repeated field of one of the dumps
	// ("dynamic_active_clusters"): the output's configs are its elements,
	// each an Any, instead of whole dumps.
	Resource string
	// Mask keeps only these field paths ("version_info",
	// "active_state.version_info") of each dump, or of each element with
	// Resource; a dump no path applies to is left empty, as in Envoy.
	Mask []string
	// NameRegex keeps only the resources whose name it matches, whole
	// (Envoy's RE2 full match); the bootstrap is never filtered.
	NameRegex *regexp.Regexp
	// IncludeEDS adds the EndpointsConfigDump.
	IncludeEDS bool
}

// QueryError is a bad /config_dump query parameter: the request is at
// fault (an HTTP 400).
type QueryError struct {
	Param string
	Err   error
}

func (e *QueryError) Error() string { return "config_dump " + e.Param + ": " + e.Err.Error() }

func (e *QueryError) Unwrap() error { return e.Err }

// dumpQueryParams are the parameters ParseDumpQuery accepts.
var dumpQueryParams = []string{"include_eds", "mask", "name_regex", "resource"}

// dumpMessages are the top-level dumps Sidewire renders, in Envoy's
// order; a resource or mask must name fields of these.
var dumpMessages = []protoreflect.MessageDescriptor{
	(&adminv3.BootstrapConfigDump{}).ProtoReflect().Descriptor(),
	(&adminv3.ClustersConfigDump{}).ProtoReflect().Descriptor(),
	(&adminv3.EndpointsConfigDump{}).ProtoReflect().Descriptor(),
	(&adminv3.ListenersConfigDump{}).ProtoReflect().Descriptor(),
	(&adminv3.RoutesConfigDump{}).ProtoReflect().Descriptor(),
	(&adminv3.SecretsConfigDump{}).ProtoReflect().Descriptor(),
}

var endpointsDump = (&adminv3.EndpointsConfigDump{}).ProtoReflect().Descriptor()

// ParseDumpQuery reads /config_dump's query parameters strictly:
// resource, mask, name_regex and include_eds, each at most once. Any
// problem is a *QueryError.
func ParseDumpQuery(q url.Values) (DumpQuery, error) {
	var out DumpQuery
	for _, k := range slices.Sorted(func(yield func(string) bool) {
		for k := range q {
			if !yield(k) {
				return
			}
		}
	}) {
		if !slices.Contains(dumpQueryParams, k) {
			return DumpQuery{}, &QueryError{k, fmt.Errorf("unknown parameter (known: %s)", strings.Join(dumpQueryParams, ", "))}
		}
		if len(q[k]) > 1 {
			return DumpQuery{}, &QueryError{k, errors.New("given more than once")}
		}
	}
	if v, ok := one(q, "include_eds"); ok {
		b := true
		if v != "" {
			var err error
			if b, err = strconv.ParseBool(v); err != nil {
				return DumpQuery{}, &QueryError{"include_eds", fmt.Errorf("%q is not a boolean (give it with no value, true or false)", v)}
			}
		}
		out.IncludeEDS = b
	}
	if v, ok := one(q, "name_regex"); ok {
		if v == "" {
			return DumpQuery{}, &QueryError{"name_regex", errors.New("is empty")}
		}
		re, err := regexp.Compile(`^(?:` + v + `)$`)
		if err != nil {
			return DumpQuery{}, &QueryError{"name_regex", fmt.Errorf("%q: %w", v, err)}
		}
		out.NameRegex = re
	}
	var elem protoreflect.MessageDescriptor
	if v, ok := one(q, "resource"); ok {
		var err error
		if elem, err = resourceField(v, out.IncludeEDS); err != nil {
			return DumpQuery{}, &QueryError{"resource", err}
		}
		out.Resource = v
	}
	if v, ok := one(q, "mask"); ok {
		paths, err := parseMask(v, elem)
		if err != nil {
			return DumpQuery{}, &QueryError{"mask", err}
		}
		out.Mask = paths
	}
	return out, nil
}

func one(q url.Values, k string) (string, bool) {
	v, ok := q[k]
	if !ok || len(v) == 0 {
		return "", false
	}
	return v[0], true
}

// resourceField returns the element type of the repeated field name of
// a dump.
func resourceField(name string, includeEDS bool) (protoreflect.MessageDescriptor, error) {
	var known []string
	for _, md := range dumpMessages {
		for i := range md.Fields().Len() {
			fd := md.Fields().Get(i)
			if fd.IsList() && fd.Message() != nil {
				known = append(known, string(fd.Name()))
			}
		}
		fd := md.Fields().ByName(protoreflect.Name(name))
		switch {
		case fd == nil:
			continue
		case !fd.IsList() || fd.Message() == nil:
			return nil, fmt.Errorf("%q is not a repeated field of %s; use mask to select it", name, md.Name())
		case md == endpointsDump && !includeEDS:
			return nil, fmt.Errorf("%q is a field of EndpointsConfigDump, which needs include_eds", name)
		}
		return fd.Message(), nil
	}
	return nil, fmt.Errorf("%q is not a repeated field of a dump (known: %s)", name, strings.Join(known, ", "))
}

// fieldPath is a valid field name in a mask path.
var fieldPath = regexp.MustCompile(`^[a-z_][a-z0-9_]*(\.[a-z_][a-z0-9_]*)*$`)

// parseMask reads a FieldMask in its string form (comma-separated paths
// of snake_case field names). Each path must name a field of elem (the
// resource's element type) or, without a resource, of one of the dumps;
// a path may not go through a repeated field.
func parseMask(v string, elem protoreflect.MessageDescriptor) ([]string, error) {
	if v == "" {
		return nil, errors.New("is empty")
	}
	paths := strings.Split(v, ",")
	for _, p := range paths {
		if !fieldPath.MatchString(p) {
			return nil, fmt.Errorf("path %q: not a field path (snake_case names joined by dots, paths by commas)", p)
		}
		ok := false
		if elem != nil {
			ok = validPath(elem, p)
		} else {
			for _, md := range dumpMessages {
				ok = ok || validPath(md, p)
			}
		}
		if !ok {
			where := "any dump"
			if elem != nil {
				where = string(elem.FullName())
			}
			return nil, fmt.Errorf("path %q: not a field of %s (or goes through a repeated field)", p, where)
		}
	}
	return paths, nil
}

// validPath reports whether the dotted path names a field of md, through
// singular message fields only.
func validPath(md protoreflect.MessageDescriptor, path string) bool {
	segs := strings.Split(path, ".")
	for i, seg := range segs {
		fd := md.Fields().ByName(protoreflect.Name(seg))
		if fd == nil {
			return false
		}
		if i == len(segs)-1 {
			return true
		}
		if fd.IsList() || fd.IsMap() || fd.Message() == nil {
			return false
		}
		md = fd.Message()
	}
	return true
}

// maskTree is a field mask as a tree; a field with no children is kept
// whole.
type maskTree map[protoreflect.Name]maskTree

func newMaskTree(paths []string) maskTree {
	t := maskTree{}
	for _, p := range paths {
		cur := t
		segs := strings.Split(p, ".")
		for i, seg := range segs {
			n := protoreflect.Name(seg)
			sub, seen := cur[n]
			if seen && sub == nil {
				break // an ancestor is kept whole
			}
			if i == len(segs)-1 {
				cur[n] = nil
				break
			}
			if sub == nil {
				sub = maskTree{}
				cur[n] = sub
			}
			cur = sub
		}
	}
	return t
}

// trim clears the fields of m the mask does not keep.
func (t maskTree) trim(m protoreflect.Message) {
	type sub struct {
		fd protoreflect.FieldDescriptor
		t  maskTree
	}
	var drop []protoreflect.FieldDescriptor
	var subs []sub
	m.Range(func(fd protoreflect.FieldDescriptor, _ protoreflect.Value) bool {
		st, ok := t[fd.Name()]
		switch {
		case !ok:
			drop = append(drop, fd)
		case st != nil && fd.Message() != nil && !fd.IsList() && !fd.IsMap():
			subs = append(subs, sub{fd, st})
		}
		return true
	})
	for _, fd := range drop {
		m.Clear(fd)
	}
	for _, s := range subs {
		s.t.trim(m.Mutable(s.fd).Message())
	}
}

// keep reports whether a resource named name is shown.
func (q DumpQuery) keep(name string) bool {
	return q.NameRegex == nil || q.NameRegex.MatchString(name)
}
