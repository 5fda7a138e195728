package xds

import (
	"errors"
	"fmt"
	"maps"
	"runtime"
	"sync"
	"sync/atomic"

	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	endpointv3 "github.com/envoyproxy/go-control-plane/envoy/config/endpoint/v3"
	listenerv3 "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"

	"github.com/sidewire/sidewire/proxy/config"
)

// change is one transport-neutral update of one resource type: a
// state-of-the-world response, a delta response or a file's contents.
type change struct {
	typ string
	// version is version_info, system_version_info or a file's version.
	version string
	// mode says how resources merge into the accepted state.
	mode changeMode
	// resources are the resources sent; removed the names a delta
	// response removes.
	resources []resourceItem
	removed   []string
	// file is the EDS file a fileEDS change comes from.
	file FileSource
	// ads reports whether the bootstrap has an ads_config, so clusters
	// may take their endpoints over ADS.
	ads bool
	// memo, when set, holds the translations of unchanged resources.
	memo *memo
}

// changeMode is how a change merges into the accepted state.
type changeMode int

const (
	// sotw: listeners and clusters are replaced whole; load assignments
	// merge by name (SotW EDS responses carry the ones that changed).
	sotw changeMode = iota
	// delta: resources merge by name and removed names go.
	delta
	// fileEDS: the assignments of the EDS clusters fed by change.file are
	// replaced by those in it; a name missing from it goes.
	fileEDS
	// fileSDS: the secrets listeners take from change.file are replaced
	// by those in it; a name missing from it goes.
	fileSDS
)

// resourceItem is one resource of a change. name and version are set
// over delta xDS only.
type resourceItem struct {
	name, version string
	res           *anypb.Any
}

// apply translates ch into s, a clone of the accepted state. Every
// resource is translated, so the error lists every problem of the change;
// any error rejects the whole change.
func (s *adsState) apply(ch *change) error {
	var errs errList
	var addedEDS []string // assignment names an EDS change brings
	s.invalidate(ch.typ)
	switch ch.typ {
	case ListenerTypeURL:
		got := decodeAll(&errs, ch, "listener", (*listenerv3.Listener).GetName, dynamicListener(ch.ads))
		s.listeners = merge(s.listeners, got, ch)
	case SecretTypeURL:
		s.applySecrets(&errs, ch)
	case DubboRouteTypeURL:
		s.applyDubboRoutes(&errs, ch)
	case RouteTypeURL:
		s.applyHTTPRoutes(&errs, ch)
	case ClusterTypeURL:
		s.applyClusters(&errs, ch)
	case EndpointTypeURL:
		got := decodeAll(&errs, ch, "cluster_load_assignment", (*endpointv3.ClusterLoadAssignment).GetClusterName, TranslateLoadAssignment)
		// Only names the state does not hold yet can be unwanted: those
		// it holds were checked when they came, and no cluster changed
		// since. A state of the world resends every assignment; this
		// keeps pruning to the new ones.
		addedEDS = make([]string, 0)
		for n := range got {
			if _, held := s.endpoints[n]; !held {
				addedEDS = append(addedEDS, n)
			}
		}
		for _, it := range ch.resources {
			if _, held := s.endpoints[it.name]; it.name != "" && !held {
				addedEDS = append(addedEDS, it.name)
			}
		}
		s.applyEndpoints(got, ch)
		if ch.mode == fileEDS {
			s.warmed = false // a file can take assignments away
		}
	default:
		return fmt.Errorf("handle response: unexpected type %s", ch.typ)
	}
	if errs.len() > 0 {
		return errs.err()
	}
	// With a control plane, the EDS version is its own (it goes back in
	// requests); EDS files then only label their log lines.
	if (ch.mode != fileEDS && ch.mode != fileSDS) || !ch.ads {
		s.versions[ch.typ] = ch.version
	}
	if ch.mode == delta {
		s.setResourceVersions(ch)
	}
	switch ch.typ {
	case ListenerTypeURL:
		s.pruneSecrets()
		s.pruneDubboRoutes()
		s.pruneHTTPRoutes()
	case SecretTypeURL:
		s.pruneSecrets()
	case DubboRouteTypeURL:
		s.pruneDubboRoutes()
	case RouteTypeURL:
		s.pruneHTTPRoutes()
	case ClusterTypeURL:
		s.pruneEndpoints(nil)
		s.pruneSecrets()
	case EndpointTypeURL:
		s.pruneEndpoints(addedEDS)
	}
	return nil
}

// applyClusters translates and merges clusters, noting which EDS
// clusters take their endpoints from a file.
func (s *adsState) applyClusters(errs *errList, ch *change) {
	res := decodeAll(errs, ch, "cluster", (*clusterv3.Cluster).GetName, func(p string, m *clusterv3.Cluster) (clusterIR, error) {
		c, err := TranslateCluster(p, m)
		if err == nil {
			err = checkDynamicSecrets(p, "a cluster from cds", c.TLS.SecretRefs(), ch.ads)
		}
		if err != nil || c.Type != config.EDS {
			return clusterIR{c: c}, err
		}
		src, err := edsSource(p, m.GetEdsClusterConfig().GetEdsConfig(), ch.ads)
		return clusterIR{c: c, edsFile: src}, err
	})
	got := make(map[string]*config.Cluster, len(res))
	files := map[string]FileSource{}
	for n, r := range res {
		got[n] = r.c
		if r.edsFile != nil {
			files[n] = *r.edsFile
		}
	}
	if ch.mode == sotw {
		clear(s.edsFiles)
	}
	for _, n := range ch.removed {
		delete(s.edsFiles, n)
	}
	for n := range got {
		delete(s.edsFiles, n)
	}
	maps.Copy(s.edsFiles, files)
	s.clusters = merge(s.clusters, got, ch)
}

// clusterIR is a translated cluster and, for an EDS cluster whose
// eds_config is a path, that file.
type clusterIR struct {
	c       *config.Cluster
	edsFile *FileSource
}

// applyEndpoints merges translated assignments. A removed assignment of
// an EDS cluster that remains becomes empty (the cluster has no
// endpoints), as in Envoy, rather than warming the cluster again.
func (s *adsState) applyEndpoints(got map[string]*config.LoadAssignment, ch *change) {
	files := s.edsFileNames()
	if ch.mode == fileEDS {
		for _, n := range files[ch.file] {
			delete(s.endpoints, n)
			if la := got[n]; la != nil {
				s.endpoints[n] = la
			}
		}
		return
	}
	// Over ADS, assignments of clusters fed by a file are left alone.
	fromFiles := map[string]bool{}
	for _, names := range files {
		for _, n := range names {
			fromFiles[n] = true
		}
	}
	for _, n := range ch.removed {
		if s.endpoints[n] != nil && !fromFiles[n] {
			s.endpoints[n] = &config.LoadAssignment{OverprovisioningFactor: defaultOverprovisioningFactor}
		}
	}
	for n, la := range got {
		if !fromFiles[n] && s.endpoints[n] != la {
			s.endpoints[n] = la
		}
	}
}

// setResourceVersions records the versions of a delta change.
func (s *adsState) setResourceVersions(ch *change) {
	rv := s.resourceVersions[ch.typ]
	if rv == nil {
		rv = map[string]string{}
		s.resourceVersions[ch.typ] = rv
	}
	for _, it := range ch.resources {
		rv[it.name] = it.version
	}
	for _, n := range ch.removed {
		delete(rv, n)
	}
}

// merge returns cur updated with got as ch's mode says. cur is the
// clone's own map and may be changed.
func merge[T any](cur, got map[string]T, ch *change) map[string]T {
	if ch.mode == sotw {
		return got
	}
	for _, n := range ch.removed {
		delete(cur, n)
	}
	maps.Copy(cur, got)
	return cur
}

// decodeAll unpacks and translates every resource of ch into a map by
// name. Its error paths are `listener "name"`, or `listener[3]` when the
// resource has no name or cannot be decoded. A resource whose bytes the
// memo knows takes its remembered translation; the others are decoded
// and translated in parallel when there are many (a full state of the
// world), and the results are merged in order, so errors come out as if
// one resource after the other had been handled.
func decodeAll[M any, PM interface {
	*M
	proto.Message
}, T any](errs *errList, ch *change, kind string, name func(PM) string, translate func(path string, m PM) (T, error)) map[string]T {
	tm := ch.memo.forChange(ch)
	res := make([]decoded[T], len(ch.resources))
	todo := make([]int, 0, len(ch.resources))
	for i, it := range ch.resources {
		r := &res[i]
		if it.res == nil {
			r.skip = true // a delta heartbeat: the resource is unchanged
			continue
		}
		if tm != nil {
			r.d = tm.digest(it.res)
			if e, ok := tm.lookup(r.d); ok && (it.name == "" || it.name == e.name) {
				r.name, r.v, r.hit = e.name, e.value.(T), true
				continue
			}
		}
		todo = append(todo, i)
	}
	forEach(len(todo), func(k int) {
		i := todo[k]
		decodeOne(&res[i], ch.resources[i], i, kind, name, translate)
	})
	out := make(map[string]T, len(ch.resources))
	for i := range res {
		r := &res[i]
		for _, e := range r.errs {
			if e.path != "" {
				errs.wrap(e.path, e.err)
			} else {
				errs.addErr(e.err)
			}
		}
		if r.skip {
			continue
		}
		if _, dup := out[r.name]; dup {
			errs.wrap(resourceName(kind, r.name), errors.New("sent twice in one response"))
			continue
		}
		out[r.name] = r.v
		if tm != nil && !r.hit {
			tm.store(r.d, r.name, r.v)
		}
	}
	return out
}

// decoded is the outcome of decoding and translating one resource.
type decoded[T any] struct {
	name string
	v    T
	errs []decodeErr
	d    digest // with a memo
	hit  bool   // the memo knew the resource
	skip bool   // nothing to merge: a delta heartbeat, or errors
}

// decodeErr is a problem of one resource: err at path (recorded with
// errList.wrap), or, without a path, errors to record with addErr.
type decodeErr struct {
	path string
	err  error
}

// decodeOne decodes and translates resource i of a change into r. It
// only writes r, so resources can be handled in parallel.
func decodeOne[M any, PM interface {
	*M
	proto.Message
}, T any](r *decoded[T], it resourceItem, i int, kind string, name func(PM) string, translate func(path string, m PM) (T, error)) {
	r.skip = true
	p := index(kind, i)
	m := PM(new(M))
	if err := it.res.UnmarshalTo(m); err != nil {
		r.errs = append(r.errs, decodeErr{p, fmt.Errorf("decode %s: %w", it.res.GetTypeUrl(), err)})
		return
	}
	n := name(m)
	if n == "" {
		f := "name"
		if kind == "cluster_load_assignment" {
			f = "cluster_name"
		}
		r.errs = append(r.errs, decodeErr{field(p, f), errors.New("is required")})
		return
	}
	p = resourceName(kind, n)
	v, err := translate(p, m)
	if err != nil {
		r.errs = append(r.errs, decodeErr{err: err})
		return
	}
	if it.name != "" && it.name != n {
		r.errs = append(r.errs, decodeErr{p, fmt.Errorf("is sent under the name %q", it.name)})
		return
	}
	r.name, r.v, r.skip = n, v, false
}

// minPerWorker is the fewest resources worth a goroutine of their own.
const minPerWorker = 64

// forEach calls f(0) to f(n-1), on up to GOMAXPROCS goroutines when n is
// large, and returns when every call has returned.
func forEach(n int, f func(i int)) {
	workers := min(runtime.GOMAXPROCS(0), n/minPerWorker)
	if workers < 2 {
		for i := range n {
			f(i)
		}
		return
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for {
				i := int(next.Add(1)) - 1
				if i >= n {
					return
				}
				f(i)
			}
		})
	}
	wg.Wait()
}

// edsSource returns an EDS cluster's eds_config when it is a file (nil
// for ads), or an error when it is ads and the bootstrap has no
// ads_config.
func edsSource(path string, cs *corev3.ConfigSource, ads bool) (*FileSource, error) {
	p := field(path, "eds_cluster_config.eds_config")
	if src, ok := fileSource(cs); ok {
		return &src, nil
	}
	if !ads {
		return nil, &config.FieldError{Path: field(p, "ads"), Err: errors.New("needs dynamic_resources.ads_config in the bootstrap")}
	}
	return nil, nil
}

// resourceName is the path of a resource in errors: `listener "l1"`.
func resourceName(kind, name string) string {
	return kind + " " + quote(name)
}
