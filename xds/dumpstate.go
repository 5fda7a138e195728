package xds

import (
	"bytes"
	"maps"
	"sync"
	"time"

	endpointv3 "github.com/envoyproxy/go-control-plane/envoy/config/endpoint/v3"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"
)

// What /config_dump shows of the dynamic resources is kept beside the
// accepted state by a dumpStore: every accepted resource as it was
// received (the bytes of its Any, not a decoded message, so 10,000
// clusters cost about their wire size), with the version and time it was
// accepted, and the last rejection of each resource. Nothing is decoded
// until /config_dump asks (see configdump_dynamic.go).

// dumpVersion is one accepted version of a resource.
type dumpVersion struct {
	// raw is the Any's value as received: the resource, serialized. It is
	// the slice the response's Any held (protobuf copies bytes fields on
	// unmarshal, so it pins nothing else); never modified.
	raw  []byte
	meta *dumpMeta
}

// dumpMeta is the version and time of acceptance, shared by the
// resources one change brought.
type dumpMeta struct {
	version string
	at      time.Time
}

// dumpFailure is the last rejection of a resource: Envoy's
// UpdateFailureState.
type dumpFailure struct {
	res     *anypb.Any // as received
	version string
	at      time.Time
	details string
}

// dumpSet holds accepted resources by type URL, then name. A published
// set and its maps are never modified: a change makes new maps for the
// types it touches and shares the others.
type dumpSet map[string]map[string]*dumpVersion

// dumpTypes are the resource types the dump keeps.
var dumpTypes = [...]string{ListenerTypeURL, ClusterTypeURL, EndpointTypeURL, SecretTypeURL, DubboRouteTypeURL, RouteTypeURL}

// dumpStore keeps the dynamic resources for /config_dump: those of the
// accepted state (which may be warming), those of the state last applied
// (in force), and the last rejection of each resource. Its methods are
// safe for concurrent use.
type dumpStore struct {
	mu       sync.Mutex
	accepted dumpSet
	applied  dumpSet
	failures map[string]map[string]*dumpFailure // by type, then name; copied on write
}

// dumpView is a consistent, immutable snapshot of a dumpStore.
type dumpView struct {
	accepted, applied dumpSet
	failures          map[string]map[string]*dumpFailure
}

func (d *dumpStore) view() dumpView {
	d.mu.Lock()
	defer d.mu.Unlock()
	return dumpView{accepted: d.accepted, applied: d.applied, failures: d.failures}
}

// accept records ch, which next (the new accepted state) resulted from,
// at now. applied reports whether next was handed to the Applier (it is
// warm). The resources of each type are those next holds: a resource ch
// brought is recorded with ch's version (its own over delta), unless its
// bytes equal the recorded ones, which keep their version and time, as
// Envoy keeps an unchanged resource; resources next dropped (removed,
// pruned) go. It must be called in the order changes are accepted.
func (d *dumpStore) accept(ch *change, next *adsState, applied bool, now time.Time) {
	d.mu.Lock()
	defer d.mu.Unlock()
	acc := make(dumpSet, len(dumpTypes))
	for _, typ := range dumpTypes {
		old := d.accepted[typ]
		n, has := next.dumpIndex(typ)
		switch {
		case typ == ch.typ:
			acc[typ] = changedResources(ch, next, old, n, has, now)
		case len(old) != n:
			// Another type's change only prunes this one.
			acc[typ] = prune(maps.Clone(old), n, has)
		default:
			acc[typ] = old
		}
	}
	d.accepted = acc
	if applied {
		d.applied = acc
	}
	d.clearFailures(ch, next)
}

// changedResources returns the recorded resources of ch's type after ch:
// old itself when ch changed none of them.
func changedResources(ch *change, next *adsState, old map[string]*dumpVersion, n int, has func(string) bool, now time.Time) map[string]*dumpVersion {
	out, copied := old, false
	set := func(name string, v *dumpVersion) {
		if !copied {
			out, copied = make(map[string]*dumpVersion, max(n, len(old))), true
			maps.Copy(out, old)
		}
		out[name] = v
	}
	takes := ch.takes(next)
	metas := map[string]*dumpMeta{}
	meta := func(version string) *dumpMeta {
		m := metas[version]
		if m == nil {
			m = &dumpMeta{version: version, at: now}
			metas[version] = m
		}
		return m
	}
	for _, it := range ch.resources {
		if it.res == nil {
			continue // a delta heartbeat: unchanged
		}
		// Most resources of a state-of-the-world response are unchanged:
		// find them without copying their names.
		name := it.name
		var cur *dumpVersion
		if name != "" {
			cur = out[name]
		} else {
			nb := wireNameBytes(it.res.GetValue())
			if cur = out[string(nb)]; cur == nil || !bytes.Equal(cur.raw, it.res.GetValue()) {
				name = string(nb)
			}
		}
		if cur != nil && bytes.Equal(cur.raw, it.res.GetValue()) {
			continue
		}
		if name == "" || !has(name) || !takes(name) {
			continue
		}
		v := ch.version
		if ch.mode == delta {
			v = it.version
		}
		set(name, &dumpVersion{raw: it.res.GetValue(), meta: meta(v)})
	}
	if ch.typ == EndpointTypeURL {
		// A removed assignment of an EDS cluster that remains is empty
		// (see applyEndpoints).
		for _, name := range ch.removed {
			if has(name) && takes(name) {
				set(name, &dumpVersion{raw: emptyAssignment(name), meta: meta(ch.version)})
			}
		}
	}
	if !copied && len(out) != n {
		out = maps.Clone(old)
	}
	return prune(out, n, has)
}

// takes returns whether ch provides the resource name of its type in
// next: load assignments and secrets fed by a file come from that file
// only (see applyEndpoints and applySecrets), the others from ADS only.
func (ch *change) takes(next *adsState) func(name string) bool {
	all := func(string) bool { return true }
	var files map[FileSource][]string
	var mine func(FileSource) bool
	switch ch.typ {
	case EndpointTypeURL:
		if len(next.edsFiles) == 0 && ch.mode != fileEDS {
			return all
		}
		files = next.edsFileNames()
		mine = func(src FileSource) bool { return src == ch.file }
	case SecretTypeURL:
		files = next.secretFiles()
		mine = func(src FileSource) bool { return src.Path == ch.file.Path }
	default:
		return all
	}
	fromFile := ch.mode == fileEDS || ch.mode == fileSDS
	fed := map[string]bool{}
	for src, names := range files {
		if !fromFile || mine(src) {
			for _, n := range names {
				fed[n] = true
			}
		}
	}
	return func(name string) bool { return fed[name] == fromFile }
}

// prune drops from m, which it may modify, the names has rejects; n is
// how many has accepts.
func prune(m map[string]*dumpVersion, n int, has func(string) bool) map[string]*dumpVersion {
	if len(m) == n {
		return m // has accepts no name m lacks, so they are the same names
	}
	for name := range m {
		if !has(name) {
			delete(m, name)
		}
	}
	return m
}

// emptyAssignment is a ClusterLoadAssignment without endpoints, serialized.
func emptyAssignment(name string) []byte {
	b, err := proto.Marshal(&endpointv3.ClusterLoadAssignment{ClusterName: name})
	if err != nil {
		return nil // cannot happen: the message is valid
	}
	return b
}

// dumpIndex returns how many resources of typ s holds and a test for a
// name.
func (s *adsState) dumpIndex(typ string) (int, func(string) bool) {
	switch typ {
	case ListenerTypeURL:
		return len(s.listeners), func(n string) bool { _, ok := s.listeners[n]; return ok }
	case ClusterTypeURL:
		return len(s.clusters), func(n string) bool { _, ok := s.clusters[n]; return ok }
	case EndpointTypeURL:
		return len(s.endpoints), func(n string) bool { _, ok := s.endpoints[n]; return ok }
	case SecretTypeURL:
		return len(s.secrets), func(n string) bool { _, ok := s.secrets[n]; return ok }
	case DubboRouteTypeURL:
		return len(s.dubboRoutes), func(n string) bool { _, ok := s.dubboRoutes[n]; return ok }
	case RouteTypeURL:
		return len(s.httpRoutes), func(n string) bool { _, ok := s.httpRoutes[n]; return ok }
	}
	return 0, func(string) bool { return false }
}

// clearFailures forgets the rejections of the resources ch settled (every
// one of its type after a state-of-the-world listener or cluster change,
// which carries them all; else those it sent or removed) and those of
// resources next no longer holds, except listeners: a listener that was
// never accepted is shown with its error_state alone, as in Envoy.
func (d *dumpStore) clearFailures(ch *change, next *adsState) {
	if len(d.failures) == 0 {
		return
	}
	all := ch.mode == sotw && (ch.typ == ListenerTypeURL || ch.typ == ClusterTypeURL)
	settled := map[string]bool{}
	for _, it := range ch.resources {
		if it.res != nil {
			settled[itemName(it)] = true
		}
	}
	for _, name := range ch.removed {
		settled[name] = true
	}
	f := make(map[string]map[string]*dumpFailure, len(d.failures))
	for typ, old := range d.failures {
		_, has := next.dumpIndex(typ)
		m := make(map[string]*dumpFailure, len(old))
		for name, fl := range old {
			if typ == ch.typ && (all || settled[name]) || typ != ListenerTypeURL && !has(name) {
				continue
			}
			m[name] = fl
		}
		if len(m) > 0 {
			f[typ] = m
		}
	}
	d.failures = f
}

// itemName is the name of a resource of a change: its delta name, else
// the name in its bytes.
func itemName(it resourceItem) string {
	if it.name != "" {
		return it.name
	}
	return wireName(it.res.GetValue())
}
