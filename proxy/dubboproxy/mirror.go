package dubboproxy

import (
	"sync/atomic"

	"github.com/sidewire/sidewire/codecs"
	"github.com/sidewire/sidewire/proxy/config"
	"github.com/sidewire/sidewire/proxy/pool"
)

// maxMirrorsInFlight bounds mirrored requests per filter; past it copies
// are dropped rather than queued.
const maxMirrorsInFlight = 1024

// mirror is a compiled config.DubboMirror.
type mirror struct {
	scope
	cluster  string
	fraction float64
}

func newMirrors(cfgs []config.DubboMirror) []mirror {
	var out []mirror
	for _, c := range cfgs {
		out = append(out, mirror{scope: newScope(c.Services, c.Methods), cluster: c.Cluster, fraction: c.Fraction})
	}
	return out
}

// mirror sends copies of a two-way request to the shadow clusters that
// want it, fire and forget: each copy is bounded by the router's default
// timeout and Close, and its response is dropped (mirrorSink). The pool
// copies the request's bytes as it queues them, so nothing is cloned.
func (f *Filter) mirror(x *exchange) {
	if len(f.mirrors) == 0 || x.st.Request.Kind != codecs.KindRequest {
		return
	}
	for i := range f.mirrors {
		m := &f.mirrors[i]
		if !m.match(&x.q) || !hit(m.fraction) {
			continue
		}
		cl := f.deps.Clusters.Get(m.cluster)
		if cl == nil {
			continue
		}
		h, err := pickHost(cl, nil)
		if err != nil {
			continue
		}
		up, err := f.ups.get(cl, h)
		if err != nil {
			continue
		}
		if f.sink.inFlight.Add(1) > maxMirrorsInFlight {
			f.sink.inFlight.Add(-1)
			continue // too many in flight: drop the copy
		}
		if err := up.p.SendAsyncTimeout(f.ctx, &x.st.Request, &f.sink, x.batch, f.router.DefaultTimeout); err != nil {
			f.sink.inFlight.Add(-1)
			continue
		}
		f.stats.mirrored.Inc()
	}
}

// mirrorSink completes mirrored requests: their responses are dropped.
type mirrorSink struct {
	inFlight atomic.Int64
}

var _ pool.Completion = (*mirrorSink)(nil)

// Complete implements pool.Completion.
func (m *mirrorSink) Complete(_ *pool.Batch, resps []pool.Response, _ error) {
	pool.ReleaseAll(resps)
	m.inFlight.Add(-1)
}
