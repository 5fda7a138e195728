package listener

import (
	"slices"
	"strings"
)

// matchInput is what a connection offers to filter chain matching.
type matchInput struct {
	destPort          uint32
	serverName        string
	transportProtocol string
	alpn              []string
}

// selectChain picks the most specific chain for in, narrowing the
// candidates criterion by criterion in Envoy's order: destination port,
// server name, transport protocol, application protocols. At each step,
// chains that name the connection's value win over chains that leave the
// criterion empty. It returns nil when nothing matches.
func selectChain(chains []Chain, in matchInput) *Chain {
	cand := make([]*Chain, 0, len(chains))
	for i := range chains {
		cand = append(cand, &chains[i])
	}
	cand = narrow(cand, func(c *Chain) (bool, bool) {
		p := c.Config.Match.DestinationPort
		return p == 0, p == in.destPort
	})
	cand = narrowServerName(cand, in.serverName)
	cand = narrow(cand, func(c *Chain) (bool, bool) {
		t := c.Config.Match.TransportProtocol
		return t == "", t == in.transportProtocol
	})
	cand = narrow(cand, func(c *Chain) (bool, bool) {
		ap := c.Config.Match.ApplicationProtocols
		return len(ap) == 0, slices.ContainsFunc(in.alpn, func(p string) bool { return slices.Contains(ap, p) })
	})
	if len(cand) == 0 {
		return nil
	}
	return cand[0]
}

// narrow keeps the chains whose criterion matches specifically, or failing
// that, the chains that leave it empty.
func narrow(cand []*Chain, crit func(*Chain) (empty, match bool)) []*Chain {
	var specific, wildcard []*Chain
	for _, c := range cand {
		empty, match := crit(c)
		switch {
		case empty:
			wildcard = append(wildcard, c)
		case match:
			specific = append(specific, c)
		}
	}
	if len(specific) > 0 {
		return specific
	}
	return wildcard
}

// narrowServerName prefers an exact server name, then the longest
// matching "*.suffix" wildcard, then chains without server names.
func narrowServerName(cand []*Chain, sni string) []*Chain {
	best, bestLen := []*Chain(nil), -1
	var wildcard []*Chain
	for _, c := range cand {
		names := c.Config.Match.ServerNames
		if len(names) == 0 {
			wildcard = append(wildcard, c)
			continue
		}
		if l := serverNameScore(names, sni); l > bestLen {
			best, bestLen = []*Chain{c}, l
		} else if l >= 0 && l == bestLen {
			best = append(best, c)
		}
	}
	if bestLen >= 0 {
		return best
	}
	return wildcard
}

// serverNameScore ranks how specifically names match sni: an exact match
// scores above every wildcard, a longer wildcard above a shorter one, and
// -1 means no match.
func serverNameScore(names []string, sni string) int {
	score := -1
	if sni == "" {
		return score
	}
	for _, n := range names {
		switch {
		case n == sni:
			return 1 << 16
		case strings.HasPrefix(n, "*.") && strings.HasSuffix(sni, n[1:]) && len(sni) > len(n)-1:
			score = max(score, len(n))
		}
	}
	return score
}
