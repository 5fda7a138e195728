package config

import "slices"

// RedisCommandPolicyFilter is the name of Sidewire's Redis command policy
// filter. Envoy has no such filter; it is configured through an
// xds.type.v3.TypedStruct whose type_url is RedisCommandPolicyType.
const (
	RedisCommandPolicyFilter = "sidewire.filters.network.redis_command_policy"
	RedisCommandPolicyType   = "sidewire.io/sidewire.filters.network.redis.v1.CommandPolicy"
)

// RedisCommandPolicy allows or denies Redis commands per route of the
// redis_proxy that ends its filter chain. It is not terminal: it stands
// before that redis_proxy, which enforces it; the chain has at most one.
//
// A command is checked against the rules of the route its key is routed
// by: the entry of Routes with that route's prefix, or Default when the
// route has no entry (the catch-all route included). Commands without a
// key (PING, INFO, FLUSHALL, ...) are checked against Default. A command
// with several keys must pass the rules of every route its keys reach.
// An entry replaces Default for its route; it does not add to it. The
// commands that manage the connection (see RedisConnectionCommand) are
// never refused.
type RedisCommandPolicy struct {
	// Routes name prefix routes of the chain's redis_proxy by their exact
	// prefix; each prefix appears once.
	Routes  []RedisRouteCommandRules
	Default RedisCommandRules
}

var _ NetworkFilter = (*RedisCommandPolicy)(nil)

// FilterName implements NetworkFilter.
func (*RedisCommandPolicy) FilterName() string { return RedisCommandPolicyFilter }

// Terminal implements NetworkFilter.
func (*RedisCommandPolicy) Terminal() bool { return false }

// RouteRules returns the rules of the prefix route with exactly this
// prefix, or Default.
func (p *RedisCommandPolicy) RouteRules(prefix string) *RedisCommandRules {
	for i := range p.Routes {
		if p.Routes[i].Prefix == prefix {
			return &p.Routes[i].RedisCommandRules
		}
	}
	return &p.Default
}

// RedisRouteCommandRules are the rules of one prefix route.
type RedisRouteCommandRules struct {
	Prefix string
	RedisCommandRules
}

// RedisCommandRules allow or deny commands by name. Names are upper case
// and unique; no name is in both lists. Subcommands are not told apart:
// "CONFIG" covers CONFIG GET and CONFIG SET.
type RedisCommandRules struct {
	// Allow, when not empty, lists the only commands allowed.
	Allow []string
	// Deny lists commands that are refused.
	Deny []string
}

// Allows reports whether command (upper case) passes the rules: it
// manages the connection, or it is not denied and, when Allow is not
// empty, it is listed there.
func (r *RedisCommandRules) Allows(command string) bool {
	if RedisConnectionCommand(command) {
		return true
	}
	if slices.Contains(r.Deny, command) {
		return false
	}
	return len(r.Allow) == 0 || slices.Contains(r.Allow, command)
}

// RedisConnectionCommand reports whether command (upper case) manages the
// connection (AUTH, HELLO, QUIT): a command policy never refuses those,
// so an allow list cannot lock clients out.
func RedisConnectionCommand(command string) bool {
	switch command {
	case "AUTH", "HELLO", "QUIT":
		return true
	}
	return false
}
