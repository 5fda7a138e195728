package httpproxy

import (
	"github.com/cespare/xxhash/v2"
	"github.com/sidewire/sidewire/proxy/cluster"
	"github.com/sidewire/sidewire/proxy/config"
)

// hashPolicy is a compiled config.HTTPHashPolicy.
type hashPolicy struct {
	header   headerMatcher // value reader of the header
	sourceIP bool
	terminal bool
}

func newHashPolicy(h config.HTTPHashPolicy) hashPolicy {
	hp := hashPolicy{sourceIP: h.SourceIP, terminal: h.Terminal}
	if h.Header != "" {
		hp.header, _ = newHeaderMatcher(config.HeaderMatch{Name: h.Header, Kind: config.HeaderPresent, Present: true})
	}
	return hp
}

// lbContext computes the request's hash for RING_HASH and MAGLEV
// clusters as Envoy combines hash policies: each policy that yields a
// hash folds into the previous ones (rotate left one bit, xor), and a
// terminal policy that yields one ends the list. Hashes are xxHash64, as
// in Envoy.
func lbContext(hs []hashPolicy, q *reqView, remote string) cluster.LBContext {
	var ctx cluster.LBContext
	for i := range hs {
		h := &hs[i]
		var v string
		ok := false
		if h.sourceIP {
			v, ok = hostOfAddr(remote), remote != ""
		} else {
			v, ok = h.header.value(q)
		}
		if !ok {
			continue
		}
		n := xxhash.Sum64String(v)
		if ctx.HasHash {
			n ^= ctx.Hash<<1 | ctx.Hash>>63
		}
		ctx.Hash, ctx.HasHash = n, true
		if h.terminal {
			break
		}
	}
	return ctx
}
