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
	// cmdPubSub: the SUBSCRIBE and UNSUBSCRIBE families, served on an
	// upstream connection bound to the client (pubsub.go).
	cmdPubSub
	// cmdPublish: PUBLISH and PUBSUB (the pub/sub host), SPUBLISH (its
	// shard channel's host), on the shared pipeline.
	cmdPublish
	// cmdBlocking: commands that may block, served on a bound upstream
	// connection (blocking.go).
	cmdBlocking
	// cmdTxn: MULTI, EXEC, DISCARD, WATCH, UNWATCH (txn.go).
	cmdTxn
	// cmdAllShards: keyless commands sent to every shard, replies merged
	// (keyless.go).
	cmdAllShards
)

// opKind tells apart the commands of the kinds above.
type opKind uint8

const (
	opNone opKind = iota
	opSubscribe
	opPSubscribe
	opSSubscribe
	opUnsubscribe
	opPUnsubscribe
	opSUnsubscribe
	opPublish
	opPubSubInfo
	opSPublish
	opBlockLast  // the timeout (seconds) is the last argument
	opBlockFirst // the timeout (seconds) is the first argument
	opXRead      // BLOCK <milliseconds> option
	opXReadGroup // BLOCK <milliseconds> option
	opWait       // WAIT numreplicas timeout-milliseconds
	opMulti
	opExec
	opDiscard
	opWatch
	opUnwatch
	opScan
	opKeys
	opDBSize
	opFlushAll
	opFlushDB
	opRandomKey
)

type special struct {
	kind cmdKind
	op   opKind
}

// specials are the commands served by the kinds above.
var specials = map[string]special{
	"subscribe":    {cmdPubSub, opSubscribe},
	"psubscribe":   {cmdPubSub, opPSubscribe},
	"ssubscribe":   {cmdPubSub, opSSubscribe},
	"unsubscribe":  {cmdPubSub, opUnsubscribe},
	"punsubscribe": {cmdPubSub, opPUnsubscribe},
	"sunsubscribe": {cmdPubSub, opSUnsubscribe},
	"publish":      {cmdPublish, opPublish},
	"pubsub":       {cmdPublish, opPubSubInfo},
	"spublish":     {cmdPublish, opSPublish},
	"blpop":        {cmdBlocking, opBlockLast},
	"brpop":        {cmdBlocking, opBlockLast},
	"brpoplpush":   {cmdBlocking, opBlockLast},
	"blmove":       {cmdBlocking, opBlockLast},
	"bzpopmin":     {cmdBlocking, opBlockLast},
	"bzpopmax":     {cmdBlocking, opBlockLast},
	"blmpop":       {cmdBlocking, opBlockFirst},
	"bzmpop":       {cmdBlocking, opBlockFirst},
	"xread":        {cmdBlocking, opXRead},
	"xreadgroup":   {cmdBlocking, opXReadGroup},
	"wait":         {cmdBlocking, opWait},
	"multi":        {cmdTxn, opMulti},
	"exec":         {cmdTxn, opExec},
	"discard":      {cmdTxn, opDiscard},
	"watch":        {cmdTxn, opWatch},
	"unwatch":      {cmdTxn, opUnwatch},
	"scan":         {cmdAllShards, opScan},
	"keys":         {cmdAllShards, opKeys},
	"dbsize":       {cmdAllShards, opDBSize},
	"flushall":     {cmdAllShards, opFlushAll},
	"flushdb":      {cmdAllShards, opFlushDB},
	"randomkey":    {cmdAllShards, opRandomKey},
}

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
	op    opKind
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
	if sp, ok := specials[c.Name]; ok {
		info.kind, info.op = sp.kind, sp.op
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

// faultable reports whether faults apply to the command: those routed
// statelessly. Commands that change the connection's bound state
// (subscriptions, blocking commands, transactions) must be served on
// the read goroutine, in order, which a delay fault would not do.
func (c *cmdInfo) faultable() bool {
	switch c.kind {
	case cmdKeyed, cmdFanout, cmdScript, cmdPublish, cmdAllShards:
		return true
	}
	return false
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
