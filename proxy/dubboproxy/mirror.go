package dubboproxy

import (
	"bytes"
	"context"

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
// want it, fire and forget: each copy runs on its own goroutine, bounded
// by the router's default timeout and Close, and its response is
// dropped. The copy owns its bytes (the request's are the session's).
func (f *Filter) mirror(q *request) {
	if len(f.mirrors) == 0 || q.frame.Kind != codecs.KindRequest {
		return
	}
	for i := range f.mirrors {
		m := &f.mirrors[i]
		if !m.match(q) || !hit(m.fraction) {
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
		select {
		case f.mirrorq <- struct{}{}:
		default:
			continue // too many in flight: drop the copy
		}
		frame := codecs.Frame{Raw: bytes.Clone(q.frame.Raw), Kind: q.frame.Kind, ID: q.frame.ID}
		f.stats.mirrored.Inc()
		f.bg.Add(1)
		go f.sendMirror(up, frame)
	}
}

func (f *Filter) sendMirror(up *upstream, frame codecs.Frame) {
	defer f.bg.Done()
	defer func() { <-f.mirrorq }()
	ctx, cancel := context.WithTimeout(f.ctx, f.router.DefaultTimeout)
	defer cancel()
	resps, _ := up.p.RoundTrip(ctx, &frame, nil)
	pool.ReleaseAll(resps)
}
