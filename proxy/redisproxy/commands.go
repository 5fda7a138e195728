package redisproxy

import (
	"strings"

	"github.com/sidewire/sidewire/codecs/redis"
)

// cmdKind is how the proxy serves a command.
type cmdKind uint8

const (
	// cmdUnsupported: refused with "unsupported command".
	cmdUnsupported cmdKind = iota
	// cmdKeyed: routed by its first key; every key must reach the same
	// upstream host.
	cmdKeyed
	// cmdFanout: split by key across upstream hosts, replies merged.
	cmdFanout
	// cmdScript: EVAL and friends, routed by the first key, or anywhere
	// with no key.
	cmdScript
	// cmdLocal: answered by the proxy.
	cmdLocal
)

// fanKind says how a fan-out command splits and merges.
type fanKind uint8

const (
	fanMGet fanKind = iota + 1 // one key per element, array in key order
	fanMSet                    // key/value pairs, +OK when every shard says OK
	fanSum                     // keys, integer replies summed (DEL, EXISTS, ...)
)

// localKind names a command the proxy answers itself.
type localKind uint8

const (
	localPing localKind = iota + 1
	localEcho
	localQuit
	localSelect
	localAuth
	localHello
	localClient
)

// cmdInfo is one command as the proxy sees it.
type cmdInfo struct {
	// name is the lower-case command name: its stat segment and metrics
	// label.
	name string
	// cmd is the Redis command; nil for custom commands.
	cmd   *redis.Command
	kind  cmdKind
	fan   fanKind
	local localKind
}

// Commands the proxy never forwards although they name keys: they talk to
// other servers or are only meaningful inside a Redis Cluster.
var deniedKeyed = map[string]bool{"migrate": true, "restore-asking": true}

var fanouts = map[string]fanKind{
	"mget": fanMGet, "mset": fanMSet,
	"del": fanSum, "unlink": fanSum, "exists": fanSum, "touch": fanSum,
}

var locals = map[string]localKind{
	"ping": localPing, "echo": localEcho, "quit": localQuit, "select": localSelect,
	"auth": localAuth, "hello": localHello, "client": localClient,
}

var scripts = map[string]bool{
	"eval": true, "evalsha": true, "eval_ro": true, "evalsha_ro": true, "fcall": true, "fcall_ro": true,
}

// baseCommands is the Redis command table as the proxy serves it, in the
// order of redis.Commands(); baseIndex finds a command's position.
var baseCommands, baseIndex = buildBaseCommands()

func buildBaseCommands() ([]cmdInfo, map[*redis.Command]uint32) {
	all := redis.Commands()
	infos := make([]cmdInfo, len(all))
	index := make(map[*redis.Command]uint32, len(all))
	for i := range all {
		c := &all[i]
		index[c] = uint32(i)
		infos[i] = classify(c)
	}
	return infos, index
}

// classify decides how the proxy serves c.
func classify(c *redis.Command) cmdInfo {
	info := cmdInfo{name: c.Name, cmd: c}
	if l, ok := locals[c.Name]; ok {
		info.kind, info.local = cmdLocal, l
		return info
	}
	if c.Flags&(redis.FlagPubSub|redis.FlagBlocking|redis.FlagTransaction) != 0 || deniedKeyed[c.Name] {
		return info
	}
	switch {
	case fanouts[c.Name] != 0:
		info.kind, info.fan = cmdFanout, fanouts[c.Name]
	case scripts[c.Name]:
		info.kind = cmdScript
	default:
		// Keyless uses (and keyless commands) are refused per request.
		info.kind = cmdKeyed
	}
	return info
}

// maxCommands bounds a filter's command table.
const maxCommands = 1<<16 - 1

// commandTable is a filter's commands: the Redis table plus the
// configured custom commands, which route by their first argument.
type commandTable struct {
	infos  []cmdInfo
	custom []string // upper case, at infos[len(baseCommands)+i]
}

func newCommandTable(custom []string) *commandTable {
	t := &commandTable{infos: baseCommands}
	if len(custom) == 0 {
		return t
	}
	t.infos = append(baseCommands[:len(baseCommands):len(baseCommands)], make([]cmdInfo, 0, len(custom))...)
	for _, name := range custom {
		if len(t.infos) >= maxCommands {
			break // admissions carry command indexes in 16 bits
		}
		if redis.Lookup([]byte(name)) != nil {
			continue // a known command keeps its own handling
		}
		t.custom = append(t.custom, strings.ToUpper(name))
		t.infos = append(t.infos, cmdInfo{name: strings.ToLower(name), kind: cmdKeyed})
	}
	return t
}

// index returns the position of the command named name plus one, or 0
// for an unknown command. It does not allocate.
func (t *commandTable) index(name []byte) uint32 {
	if c := redis.Lookup(name); c != nil {
		return baseIndex[c] + 1
	}
	for i, n := range t.custom {
		if equalFoldUpper(name, n) {
			return uint32(len(baseCommands)+i) + 1
		}
	}
	return 0
}

// info returns the command at index i (as returned by index), or nil.
func (t *commandTable) info(i uint32) *cmdInfo {
	if i == 0 || int(i) > len(t.infos) {
		return nil
	}
	return &t.infos[i-1]
}

// equalFoldUpper reports whether b equals the upper-case ASCII string s,
// ignoring b's case.
func equalFoldUpper(b []byte, s string) bool {
	if len(b) != len(s) {
		return false
	}
	for i, c := range b {
		if 'a' <= c && c <= 'z' {
			c -= 'a' - 'A'
		}
		if c != s[i] {
			return false
		}
	}
	return true
}
