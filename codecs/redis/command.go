package redis

import (
	"strings"
)

// Command describes a Redis command as Redis 7.0's COMMAND reports it.
// The table (commands_table.go) is generated from a live redis-server and
// checked against it by TestCommandTableMatchesServer. Commands and their
// fields are shared and read-only.
type Command struct {
	// Name is the canonical lower-case name: "get", or "client|setinfo"
	// for a subcommand. It is a bounded metrics label.
	Name string
	// Arity is the argument count, the name included; negative means at
	// least -Arity.
	Arity int
	// FirstKey, LastKey and KeyStep are COMMAND's legacy key positions
	// (LastKey negative counts from the end; all zero for commands
	// whose keys move, see FlagMovableKeys and KeySpecs).
	FirstKey, LastKey, KeyStep int
	// Flags say what the command does.
	Flags Flags
	// RequestPolicy and ResponsePolicy are COMMAND's cluster tips: how a
	// cluster-aware proxy fans the command out and merges the replies.
	RequestPolicy  RequestPolicy
	ResponsePolicy ResponsePolicy
	// KeySpecs locate the keys in the arguments (Redis 7 key specs).
	KeySpecs []KeySpec
	// Subcommands of a container command (CLIENT, CONFIG, XGROUP, ...).
	Subcommands []Command
}

// Flags describe a command; they come from COMMAND's flags, ACL
// categories and tips.
type Flags uint32

// Command flags.
const (
	// FlagRead: reads data ("readonly").
	FlagRead Flags = 1 << iota
	// FlagWrite: may modify data ("write").
	FlagWrite
	// FlagAdmin: administrative ("admin").
	FlagAdmin
	// FlagPubSub: publish/subscribe ("pubsub" flag or @pubsub).
	FlagPubSub
	// FlagBlocking: may block the connection ("blocking" or @blocking).
	FlagBlocking
	// FlagMultiKey: may name more than one key.
	FlagMultiKey
	// FlagNoKey: names no key.
	FlagNoKey
	// FlagTransaction: MULTI, EXEC, DISCARD, WATCH, UNWATCH
	// (@transaction).
	FlagTransaction
	// FlagMovableKeys: key positions depend on the arguments
	// ("movablekeys").
	FlagMovableKeys
	// FlagFast: constant or logarithmic time ("fast").
	FlagFast
	// FlagDangerous: potentially dangerous (@dangerous).
	FlagDangerous
	// FlagScripting: Lua scripts and functions (@scripting).
	FlagScripting
	// FlagConnection: reads or changes connection state (@connection).
	FlagConnection
	// FlagNoScript: not allowed in scripts ("noscript").
	FlagNoScript
	// FlagNoMulti: not allowed in a transaction ("no_multi").
	FlagNoMulti
	// FlagNoAuth: allowed before authentication ("no_auth").
	FlagNoAuth
	// FlagNondeterministic: output or its order may differ between
	// replicas (tips nondeterministic_output[_order]).
	FlagNondeterministic
	// FlagContainer: has subcommands.
	FlagContainer
)

var flagNames = [...]string{
	"read", "write", "admin", "pubsub", "blocking", "multi_key", "no_key",
	"transaction", "movable_keys", "fast", "dangerous", "scripting",
	"connection", "no_script", "no_multi", "no_auth", "nondeterministic",
	"container",
}

// String returns the flag names joined by '|' (it allocates).
func (f Flags) String() string {
	var names []string
	for i, n := range flagNames {
		if f&(1<<i) != 0 {
			names = append(names, n)
		}
	}
	return strings.Join(names, "|")
}

// RequestPolicy is COMMAND's request_policy tip.
type RequestPolicy uint8

// Request policies.
const (
	// RequestDefault: route by key slot; keyless commands go anywhere.
	RequestDefault RequestPolicy = iota
	// RequestAllNodes: send to every node, primaries and replicas.
	RequestAllNodes
	// RequestAllShards: send to every primary.
	RequestAllShards
	// RequestMultiShard: split the keys by slot, one request per shard.
	RequestMultiShard
	// RequestSpecial: needs command-specific handling (SCAN).
	RequestSpecial
)

// ResponsePolicy is COMMAND's response_policy tip.
type ResponsePolicy uint8

// Response policies.
const (
	// ResponseDefault: a single reply, or arrays concatenated in key order.
	ResponseDefault ResponsePolicy = iota
	ResponseOneSucceeded
	ResponseAllSucceeded
	ResponseAggLogicalAnd
	ResponseAggLogicalOr
	ResponseAggMin
	ResponseAggMax
	ResponseAggSum
	ResponseSpecial
)

// KeyFlags are a key spec's flags.
type KeyFlags uint16

// Key spec flags (Redis names in parentheses).
const (
	KeyRO            KeyFlags = 1 << iota // read only (RO)
	KeyRW                                 // read and write (RW)
	KeyOW                                 // overwrite (OW)
	KeyRM                                 // remove (RM)
	KeyAccess                             // returns or uses the value (access)
	KeyUpdate                             // updates the value (update)
	KeyInsert                             // adds data (insert)
	KeyDelete                             // deletes data (delete)
	KeyNotKey                             // a shard channel, not a key (not_key)
	KeyIncomplete                         // may not find every key (incomplete)
	KeyVariableFlags                      // flags depend on arguments (variable_flags)
)

// BeginSearch is how a key spec finds its first key.
type BeginSearch uint8

// Begin search kinds.
const (
	BeginUnknown BeginSearch = iota
	// BeginIndex: at a fixed position, KeySpec.Index.
	BeginIndex
	// BeginKeyword: after KeySpec.Keyword, searched from
	// KeySpec.StartFrom (forwards, or backwards from the end when
	// negative).
	BeginKeyword
)

// FindKeys is how a key spec finds the keys after the first.
type FindKeys uint8

// Find keys kinds.
const (
	FindUnknown FindKeys = iota
	// FindRange: keys up to LastKey (relative to the first; negative
	// counts from the end), KeyStep apart; with Limit, only the first
	// 1/Limit of the remaining arguments.
	FindRange
	// FindKeyNum: the argument at KeyNumIdx (relative to the begin
	// search result) counts the keys, which start at FirstKey.
	FindKeyNum
)

// KeySpec is one Redis 7 key specification.
type KeySpec struct {
	Flags       KeyFlags
	BeginSearch BeginSearch
	Index       int
	Keyword     string
	StartFrom   int
	FindKeys    FindKeys
	LastKey     int
	KeyStep     int
	Limit       int
	KeyNumIdx   int
	FirstKey    int
}

// maxNameLen bounds the names Lookup considers; longer ones are unknown.
const maxNameLen = 64

var (
	// commandSlots is an open-addressing hash table of the top-level
	// commands, faster than a map for short case-folded names.
	commandSlots = buildSlots()
	// subcommandIndex maps "container|subcommand" names to the table.
	subcommandIndex = buildSubcommandIndex()
	// longestName is the longest top-level command name.
	longestName = func() int {
		n := 0
		for i := range commandTable {
			n = max(n, len(commandTable[i].Name))
		}
		return n
	}()
)

// slotBits sizes commandSlots: 512 slots for about 240 commands.
const slotBits = 9

// nameHash is FNV-1a over the lower-cased name, written to buf.
func nameHash(name []byte, buf *[maxNameLen]byte) uint32 {
	h := uint32(2166136261)
	for i, c := range name {
		c = lower(c)
		buf[i] = c
		h = (h ^ uint32(c)) * 16777619
	}
	return h
}

func buildSlots() *[1 << slotBits]*Command {
	var slots [1 << slotBits]*Command
	var buf [maxNameLen]byte
	for i := range commandTable {
		c := &commandTable[i]
		h := nameHash([]byte(c.Name), &buf)
		for j := h; ; j++ {
			if slots[j&(1<<slotBits-1)] == nil {
				slots[j&(1<<slotBits-1)] = c
				break
			}
		}
	}
	return &slots
}

func buildSubcommandIndex() map[string]*Command {
	m := make(map[string]*Command)
	for i := range commandTable {
		for j := range commandTable[i].Subcommands {
			sub := &commandTable[i].Subcommands[j]
			m[sub.Name] = sub
		}
	}
	return m
}

// Commands returns the command table, sorted by name. It is shared:
// callers must not modify it.
func Commands() []Command { return commandTable[:] }

// Lookup returns the command named name, in any case, or nil. It does
// not allocate.
func Lookup(name []byte) *Command {
	if len(name) == 0 || len(name) > longestName {
		return nil
	}
	var buf [maxNameLen]byte
	h := nameHash(name, &buf)
	lowered := buf[:len(name)]
	for j := h; ; j++ {
		c := commandSlots[j&(1<<slotBits-1)]
		if c == nil || c.Name == string(lowered) {
			return c
		}
	}
}

// Subcommand returns the subcommand of c named name, in any case, or
// nil. It does not allocate.
func (c *Command) Subcommand(name []byte) *Command {
	var buf [maxNameLen]byte
	if len(c.Subcommands) == 0 || len(c.Name)+1+len(name) > len(buf) {
		return nil
	}
	n := copy(buf[:], c.Name)
	buf[n] = '|'
	n++
	for _, ch := range name {
		buf[n] = lower(ch)
		n++
	}
	return subcommandIndex[string(buf[:n])]
}

// CheckArity reports whether argc arguments (the name included, and the
// subcommand for subcommands) satisfy c's arity.
func (c *Command) CheckArity(argc int) bool {
	if c.Arity >= 0 {
		return argc == c.Arity
	}
	return argc >= -c.Arity
}

func lower(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// equalFold reports whether b equals the ASCII string s, ignoring case.
func equalFold(b []byte, s string) bool {
	if len(b) != len(s) {
		return false
	}
	for i := range b {
		if lower(b[i]) != lower(s[i]) {
			return false
		}
	}
	return true
}
