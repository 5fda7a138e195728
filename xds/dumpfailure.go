package xds

import (
	"bytes"
	"maps"
	"strconv"
	"strings"
	"time"

	"github.com/sidewire/sidewire/proxy/config"
)

// dumpKinds are the words error paths name resources of each kept type
// with (`listener "l1".filter_chains[0]`, `cluster[3].name`).
var dumpKinds = map[string]string{
	ListenerTypeURL:   "listener",
	ClusterTypeURL:    "cluster",
	EndpointTypeURL:   "cluster_load_assignment",
	SecretTypeURL:     "secret",
	DubboRouteTypeURL: dubboRouteKind,
	RouteTypeURL:      routeKind,
}

// maxFailures bounds the rejections kept per type.
const maxFailures = 1024

// reject records the rejection of ch at now as the error_state of the
// resources it blames: those the errors of cause name by their path, or,
// when no error names one of ch's resources (the Applier failed, say),
// every resource ch changed. Listeners are kept whether or not a version
// was ever accepted (Envoy shows such a listener with its error_state
// alone); other types only beside an accepted version.
func (d *dumpStore) reject(ch *change, cause error, now time.Time) {
	kind := dumpKinds[ch.typ]
	if kind == "" || len(ch.resources) == 0 || cause == nil {
		return
	}
	names := make([]string, len(ch.resources))
	byName := make(map[string]int, len(ch.resources))
	for i, it := range ch.resources {
		if it.res != nil {
			names[i] = itemName(it)
			byName[names[i]] = i
		}
	}
	details := map[int][]string{}
	for _, e := range flatten(cause) {
		if i, ok := blame(e, kind, names, byName); ok {
			details[i] = append(details[i], e.Error())
		}
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	acc := d.accepted[ch.typ]
	if len(details) == 0 {
		for i, n := range names {
			if cur := acc[n]; n != "" && (cur == nil || !bytes.Equal(cur.raw, ch.resources[i].res.GetValue())) {
				details[i] = []string{cause.Error()}
			}
		}
	}
	m := maps.Clone(d.failures[ch.typ])
	if m == nil {
		m = map[string]*dumpFailure{}
	}
	for i, ds := range details {
		n := names[i]
		_, known := m[n]
		if n == "" || ch.typ != ListenerTypeURL && acc[n] == nil || !known && len(m) >= maxFailures {
			continue
		}
		v := ch.version
		if ch.mode == delta {
			v = ch.resources[i].version
		}
		m[n] = &dumpFailure{res: ch.resources[i].res, version: v, at: now, details: strings.Join(ds, "\n")}
	}
	if len(m) == 0 {
		return
	}
	f := maps.Clone(d.failures)
	if f == nil {
		f = map[string]map[string]*dumpFailure{}
	}
	f[ch.typ] = m
	d.failures = f
}

// blame returns the index of the resource of a change err's path names
// (`kind "name"...` or `kind[i]...`).
func blame(err error, kind string, names []string, byName map[string]int) (int, bool) {
	fe, ok := err.(*config.FieldError)
	if !ok {
		return 0, false
	}
	rest, ok := strings.CutPrefix(fe.Path, kind)
	if !ok {
		return 0, false
	}
	if q, ok := strings.CutPrefix(rest, ` "`); ok {
		// Names may hold quotes: try each closing quote a path can follow.
		for j := range len(q) {
			if q[j] != '"' {
				continue
			}
			if after := q[j+1:]; after == "" || after[0] == '.' || after[0] == '[' {
				if i, ok := byName[q[:j]]; ok {
					return i, true
				}
			}
		}
		return 0, false
	}
	if idx, ok := strings.CutPrefix(rest, "["); ok {
		end := strings.IndexByte(idx, ']')
		if end < 0 {
			return 0, false
		}
		i, err := strconv.Atoi(idx[:end])
		if err != nil || i < 0 || i >= len(names) || names[i] == "" {
			return 0, false
		}
		return i, true
	}
	return 0, false
}
