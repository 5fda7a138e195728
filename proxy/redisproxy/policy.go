package redisproxy

import (
	"strings"

	"github.com/sidewire/sidewire/codecs"
	"github.com/sidewire/sidewire/proxy/config"
)

// policy is Sidewire's Redis command policy (config.RedisCommandPolicy)
// compiled against a filter's command table and routes: for each set of
// rules, which command indexes are denied. A keyed command is checked
// against the rules of every route its keys reach; a command without a
// key against the default rules. Denied commands get
// "-NOPERM command '<name>' is not allowed by the proxy's command
// policy", are counted in redis.<stat_prefix>.command_policy_denied, and
// leave the connection usable. Subcommands are not told apart: denying
// CONFIG denies CONFIG GET.
type policy struct {
	def    []bool   // by command index
	routes [][]bool // by route index
}

func newPolicy(cp *config.RedisCommandPolicy, cmds *commandTable, routes *routeTable) *policy {
	if cp == nil {
		return nil
	}
	p := &policy{def: compileRules(&cp.Default, cmds), routes: make([][]bool, len(routes.all))}
	for _, rt := range routes.all {
		p.routes[rt.index] = p.def
		if rt.label == catchAllLabel && rt.cfg.Prefix == "" {
			continue // the catch-all has the default rules
		}
		for i := range cp.Routes {
			if cp.Routes[i].Prefix == rt.cfg.Prefix {
				p.routes[rt.index] = compileRules(&cp.Routes[i].RedisCommandRules, cmds)
			}
		}
	}
	return p
}

// compileRules returns the denied flags of r by command index (index 0,
// unknown commands, is never denied: those get Redis's own error).
func compileRules(r *config.RedisCommandRules, cmds *commandTable) []bool {
	denied := make([]bool, len(cmds.infos)+1)
	for i := range cmds.infos {
		denied[i+1] = !r.Allows(strings.ToUpper(cmds.infos[i].name))
	}
	return denied
}

// rules returns the denied flags of rt (nil: the default's).
func (p *policy) rules(rt *route) []bool {
	if rt == nil {
		return p.def
	}
	return p.routes[rt.index]
}

// deny answers a command the policy refuses; denied is false when the
// policy allows it.
func (q *exchange) deny() (codecs.Status, bool) {
	p := q.f.policy
	if p == nil || !q.denied(p) {
		return 0, false
	}
	q.f.stats.policyDenied.Inc()
	return q.fail(codecs.StatusDenied, "command '"+q.info.name+"' is not allowed by the proxy's command policy"), true
}

// denied checks the command against the rules of its keys' routes.
func (q *exchange) denied(p *policy) bool {
	i := q.a.cmd
	req := &q.st.Request
	switch {
	case q.info.cmd == nil && q.args.Len() > 1: // a custom command
		return p.rules(q.f.routes.lookup(q.args.At(1)))[i]
	case req.Attrs.KeyCount() == 0:
		return p.def[i]
	}
	sc := scratches.Get().(*scratch)
	defer sc.release()
	sc.pos, _ = keyPositions(sc.pos[:0], q.info.cmd, req, &q.args)
	if len(sc.pos) == 0 {
		for _, key := range req.Attrs.Keys() {
			if p.rules(q.f.routes.lookup(key))[i] {
				return true
			}
		}
		return false
	}
	for _, pos := range sc.pos {
		if p.rules(q.f.routes.lookup(q.args.At(pos)))[i] {
			return true
		}
	}
	return false
}
