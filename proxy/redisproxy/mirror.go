package redisproxy

import (
	"math/rand/v2"

	"github.com/sidewire/sidewire/codecs"
	"github.com/sidewire/sidewire/codecs/redis"
	"github.com/sidewire/sidewire/proxy/pool"
)

// mirror copies f, a keyed command as sent to its route's cluster, to the
// route's mirror clusters (Envoy's request_mirror_policy): fire and
// forget, on the host the mirror cluster picks for key. The copies are
// queued in the connection's command order, so each mirror sees the
// client's commands in order; their replies are dropped. Fan-out
// commands are not mirrored.
func (q *exchange) mirror(rt *route, f *codecs.Frame, key []byte) {
	for i := range rt.cfg.Mirrors {
		m := &rt.cfg.Mirrors[i]
		if m.ExcludeReadCommands && readOnly(q.info.cmd) || m.Fraction < 1 && rand.Float64() >= m.Fraction {
			continue
		}
		cl := q.f.deps.Clusters.Get(m.Cluster)
		if cl == nil {
			continue
		}
		h, err := cl.Pick(q.f.lbContext(cl, rt, key))
		if err != nil {
			continue
		}
		up, err := q.f.ups.get(cl, h, q.a.proto)
		if err != nil {
			continue
		}
		_ = up.p.SendAsync(q.ctx, f, discard{}, q.batch) // a failed copy is dropped too
	}
}

// discard is the Completion of mirrored commands: replies are dropped.
type discard struct{}

func (discard) Complete(_ *pool.Batch, resps []pool.Response, _ error) { pool.ReleaseAll(resps) }

// readOnly reports whether cmd only reads (custom commands do not count).
func readOnly(cmd *redis.Command) bool {
	return cmd != nil && cmd.Flags&redis.FlagRead != 0 && cmd.Flags&redis.FlagWrite == 0
}
