package xds

import (
	"slices"
	"strings"

	"google.golang.org/protobuf/types/known/structpb"

	"github.com/sidewire/sidewire/proxy/config"
)

// redisCommandPolicy translates Sidewire's Redis command policy, the value
// of a TypedStruct of type config.RedisCommandPolicyType:
//
//	routes:                  # optional; rules of prefix routes of the
//	- prefix: "cache:"       # chain's redis_proxy, by exact prefix
//	  allow: [GET, SET]      # only these commands (when not empty)
//	  deny: [DEL]            # never these
//	default: {deny: [FLUSHALL, KEYS]}   # every other command
//
// Command names are case-insensitive and stored upper case; a name may
// not be empty, hold white space, appear twice in a list or in both
// lists; AUTH, HELLO and QUIT cannot be denied. Whether a name is a real
// command is the runtime's business.
// path is the filter's typed_config.value.
func (t *translator) redisCommandPolicy(path string, v *structpb.Struct) *config.RedisCommandPolicy {
	out := &config.RedisCommandPolicy{}
	fields := t.structFields(path, v, "routes", "default")
	if d, ok := fields["default"]; ok {
		dp := field(path, "default")
		if obj, ok := t.structObject(dp, d); ok {
			out.Default = t.redisCommandRules(dp, t.structFields(dp, obj, "allow", "deny"))
		}
	}
	if r, ok := fields["routes"]; ok {
		rp := field(path, "routes")
		elems, _ := t.structList(rp, r)
		for i, e := range elems {
			ep := index(rp, i)
			obj, ok := t.structObject(ep, e)
			if !ok {
				continue
			}
			f := t.structFields(ep, obj, "prefix", "allow", "deny")
			pv, ok := f["prefix"]
			if !ok {
				t.errs.add(field(ep, "prefix"), "is required")
				continue
			}
			prefix, ok := t.structString(field(ep, "prefix"), pv)
			if !ok {
				continue
			}
			out.Routes = append(out.Routes, config.RedisRouteCommandRules{
				Prefix:            prefix,
				RedisCommandRules: t.redisCommandRules(ep, f),
			})
		}
	}
	return out
}

// redisCommandRules reads the allow and deny lists of an object at path.
func (t *translator) redisCommandRules(path string, fields map[string]*structpb.Value) config.RedisCommandRules {
	var out config.RedisCommandRules
	allowed := map[string]int{}
	if v, ok := fields["allow"]; ok {
		out.Allow = t.commandList(field(path, "allow"), v, allowed)
	}
	if v, ok := fields["deny"]; ok {
		denied := map[string]int{}
		out.Deny = t.commandList(field(path, "deny"), v, denied)
		for _, name := range out.Deny {
			dp := index(field(path, "deny"), denied[name])
			if config.RedisConnectionCommand(name) {
				t.errs.add(dp, "%s manages the connection and is never refused", name)
			} else if j, both := allowed[name]; both {
				t.errs.add(dp, "%s is also in allow[%d]", name, j)
			}
		}
	}
	return out
}

// commandList reads a list of command names, upper-casing them; seen
// maps each name to its index.
func (t *translator) commandList(path string, v *structpb.Value, seen map[string]int) []string {
	elems, ok := t.structList(path, v)
	if !ok {
		return nil
	}
	out := make([]string, 0, len(elems))
	for i, e := range elems {
		ep := index(path, i)
		s, ok := t.structString(ep, e)
		if !ok {
			continue
		}
		name, ok := t.commandName(ep, s)
		if !ok {
			continue
		}
		if j, dup := seen[name]; dup {
			t.errs.add(ep, "%s is already listed at [%d]", name, j)
			continue
		}
		seen[name] = i
		out = append(out, name)
	}
	return out
}

// commandName checks a Redis command name and returns it upper case.
func (t *translator) commandName(path, s string) (string, bool) {
	switch {
	case s == "":
		t.errs.add(path, "command name is empty")
		return "", false
	case strings.ContainsFunc(s, isSpace):
		t.errs.add(path, "command name %q holds white space (name the command only: \"CONFIG\", not \"CONFIG SET\")", s)
		return "", false
	}
	return asciiUpper(s), true
}

// commandNames normalizes a list of command names from an Envoy field,
// dropping duplicates as Envoy's sets do.
func (t *translator) commandNames(path string, names []string) []string {
	var out []string
	for i, s := range names {
		name, ok := t.commandName(index(path, i), s)
		if ok && !slices.Contains(out, name) {
			out = append(out, name)
		}
	}
	return out
}

func isSpace(r rune) bool {
	return r == ' ' || r == '\t' || r == '\n' || r == '\r' || r == '\v' || r == '\f'
}

// asciiUpper upper-cases ASCII letters only: Redis compares command names
// that way.
func asciiUpper(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'a' <= c && c <= 'z' {
			b[i] = c - 'a' + 'A'
		}
	}
	return string(b)
}
