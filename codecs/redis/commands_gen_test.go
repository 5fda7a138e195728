package redis

import (
	"bytes"
	"flag"
	"fmt"
	"go/format"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "regenerate commands_table.go and testdata from a live redis-server")

// TestCommandTableMatchesServer derives the command table from a live
// redis-server's COMMAND output and requires commands_table.go to equal
// it, so drift (a new Redis version, a hand edit) is caught. With
// -update it rewrites the file instead.
func TestCommandTableMatchesServer(t *testing.T) {
	c := dial(t, startRedis(t))
	cc := NewClientCodec(Limits{}, defaultCodecLimits)
	f := c.do(cc, "COMMAND")
	v, _, err := parseValue(f.Raw)
	if err != nil {
		t.Fatalf("parse COMMAND reply: %v", err)
	}
	version := serverVersion(t, c, cc)
	want := make([]Command, 0, len(v.elems))
	for _, e := range v.elems {
		want = append(want, deriveCommand(t, e))
	}
	sortCommands(want)
	if *update {
		writeTable(t, want, version)
		return
	}
	got := Commands()
	byName := map[string]*Command{}
	for i := range got {
		byName[got[i].Name] = &got[i]
	}
	for i := range want {
		w := &want[i]
		g, ok := byName[w.Name]
		switch {
		case !ok:
			t.Errorf("command %s is missing from the table", w.Name)
		case !reflect.DeepEqual(*g, *w):
			t.Errorf("command %s drifted:\n table  %+v\n server %+v", w.Name, *g, *w)
		}
		delete(byName, w.Name)
	}
	for name := range byName {
		t.Errorf("command %s is in the table but not in redis-server %s", name, version)
	}
	if len(want) < 200 {
		t.Errorf("COMMAND listed only %d commands", len(want))
	}
}

func serverVersion(t *testing.T, c *conn, cc *ClientCodec) string {
	t.Helper()
	f := c.do(cc, "INFO", "server")
	v, _, err := parseValue(f.Raw)
	if err != nil {
		t.Fatalf("parse INFO: %v", err)
	}
	for _, line := range strings.Split(v.str, "\r\n") {
		if s, ok := strings.CutPrefix(line, "redis_version:"); ok {
			return s
		}
	}
	t.Fatalf("INFO has no redis_version")
	return ""
}

func sortCommands(cs []Command) {
	slices.SortFunc(cs, func(a, b Command) int { return strings.Compare(a.Name, b.Name) })
}

// deriveCommand turns one COMMAND entry into a Command: name, arity,
// flags, first key, last key, step, ACL categories, tips, key specs,
// subcommands.
func deriveCommand(t *testing.T, e value) Command {
	t.Helper()
	if len(e.elems) < 10 {
		t.Fatalf("COMMAND entry with %d fields, want 10", len(e.elems))
	}
	c := Command{
		Name:     e.elems[0].str,
		Arity:    int(e.elems[1].num),
		FirstKey: int(e.elems[3].num),
		LastKey:  int(e.elems[4].num),
		KeyStep:  int(e.elems[5].num),
	}
	flags, cats, tips := e.elems[2].strings(), e.elems[6].strings(), e.elems[7].strings()
	has := func(list []string, s string) bool { return slices.Contains(list, s) }
	set := func(f Flags, on bool) {
		if on {
			c.Flags |= f
		}
	}
	set(FlagRead, has(flags, "readonly"))
	set(FlagWrite, has(flags, "write"))
	set(FlagAdmin, has(flags, "admin"))
	set(FlagPubSub, has(flags, "pubsub") || has(cats, "@pubsub"))
	set(FlagBlocking, has(flags, "blocking") || has(cats, "@blocking"))
	set(FlagTransaction, has(cats, "@transaction"))
	set(FlagMovableKeys, has(flags, "movablekeys"))
	set(FlagFast, has(flags, "fast"))
	set(FlagDangerous, has(cats, "@dangerous"))
	set(FlagScripting, has(cats, "@scripting"))
	set(FlagConnection, has(cats, "@connection"))
	set(FlagNoScript, has(flags, "noscript"))
	set(FlagNoMulti, has(flags, "no_multi"))
	set(FlagNoAuth, has(flags, "no_auth"))
	set(FlagNondeterministic, has(tips, "nondeterministic_output") || has(tips, "nondeterministic_output_order"))
	for _, tip := range tips {
		if p, ok := strings.CutPrefix(tip, "request_policy:"); ok {
			c.RequestPolicy = requestPolicies[p]
			if c.RequestPolicy == RequestDefault {
				t.Errorf("%s: unknown request policy %q", c.Name, p)
			}
		}
		if p, ok := strings.CutPrefix(tip, "response_policy:"); ok {
			c.ResponsePolicy = responsePolicies[p]
			if c.ResponsePolicy == ResponseDefault {
				t.Errorf("%s: unknown response policy %q", c.Name, p)
			}
		}
	}
	for _, s := range e.elems[8].elems {
		c.KeySpecs = append(c.KeySpecs, deriveKeySpec(t, c.Name, s))
	}
	if len(c.KeySpecs) > maxKeySpecs {
		t.Errorf("%s has %d key specs, more than maxKeySpecs %d", c.Name, len(c.KeySpecs), maxKeySpecs)
	}
	set(FlagNoKey, len(c.KeySpecs) == 0)
	set(FlagMultiKey, multiKey(c.KeySpecs))
	for _, s := range e.elems[9].elems {
		c.Subcommands = append(c.Subcommands, deriveCommand(t, s))
	}
	sortCommands(c.Subcommands)
	set(FlagContainer, len(c.Subcommands) > 0)
	return c
}

// multiKey reports whether specs can name more than one key.
func multiKey(specs []KeySpec) bool {
	if len(specs) > 1 {
		return true
	}
	for _, s := range specs {
		if s.FindKeys != FindRange || s.LastKey != 0 {
			return true
		}
	}
	return false
}

var requestPolicies = map[string]RequestPolicy{
	"all_nodes": RequestAllNodes, "all_shards": RequestAllShards,
	"multi_shard": RequestMultiShard, "special": RequestSpecial,
}

var responsePolicies = map[string]ResponsePolicy{
	"one_succeeded": ResponseOneSucceeded, "all_succeeded": ResponseAllSucceeded,
	"agg_logical_and": ResponseAggLogicalAnd, "agg_logical_or": ResponseAggLogicalOr,
	"agg_min": ResponseAggMin, "agg_max": ResponseAggMax, "agg_sum": ResponseAggSum,
	"special": ResponseSpecial,
}

var keyFlagNames = map[string]KeyFlags{
	"RO": KeyRO, "RW": KeyRW, "OW": KeyOW, "RM": KeyRM, "access": KeyAccess,
	"update": KeyUpdate, "insert": KeyInsert, "delete": KeyDelete,
	"not_key": KeyNotKey, "incomplete": KeyIncomplete, "variable_flags": KeyVariableFlags,
}

func deriveKeySpec(t *testing.T, cmd string, s value) KeySpec {
	t.Helper()
	var ks KeySpec
	fl, _ := s.field("flags")
	for _, f := range fl.strings() {
		k, ok := keyFlagNames[f]
		if !ok {
			t.Errorf("%s: unknown key spec flag %q", cmd, f)
		}
		ks.Flags |= k
	}
	bs, _ := s.field("begin_search")
	bsType, _ := bs.field("type")
	bsSpec, _ := bs.field("spec")
	num := func(v value, k string) int {
		f, _ := v.field(k)
		return int(f.num)
	}
	switch bsType.str {
	case "index":
		ks.BeginSearch, ks.Index = BeginIndex, num(bsSpec, "index")
	case "keyword":
		kw, _ := bsSpec.field("keyword")
		ks.BeginSearch, ks.Keyword, ks.StartFrom = BeginKeyword, kw.str, num(bsSpec, "startfrom")
	case "unknown":
	default:
		t.Errorf("%s: unknown begin_search type %q", cmd, bsType.str)
	}
	fk, _ := s.field("find_keys")
	fkType, _ := fk.field("type")
	fkSpec, _ := fk.field("spec")
	switch fkType.str {
	case "range":
		ks.FindKeys = FindRange
		ks.LastKey, ks.KeyStep, ks.Limit = num(fkSpec, "lastkey"), num(fkSpec, "keystep"), num(fkSpec, "limit")
	case "keynum":
		ks.FindKeys = FindKeyNum
		ks.KeyNumIdx, ks.FirstKey, ks.KeyStep = num(fkSpec, "keynumidx"), num(fkSpec, "firstkey"), num(fkSpec, "keystep")
	case "unknown":
	default:
		t.Errorf("%s: unknown find_keys type %q", cmd, fkType.str)
	}
	if ks.FindKeys != FindUnknown && ks.KeyStep < 1 {
		t.Errorf("%s: key step %d", cmd, ks.KeyStep)
	}
	return ks
}

// writeTable writes commands_table.go.
func writeTable(t *testing.T, cmds []Command, version string) {
	t.Helper()
	var b bytes.Buffer
	fmt.Fprintf(&b, "// Code generated by go test -run TestCommandTableMatchesServer -update\n")
	fmt.Fprintf(&b, "// from redis-server %s's COMMAND output. DO NOT EDIT.\n\npackage redis\n\n", version)
	fmt.Fprintf(&b, "// commandTable holds every command of redis-server %s, sorted by name.\n", version)
	b.WriteString("var commandTable = [...]Command{\n")
	for _, c := range cmds {
		writeCommand(&b, c)
		b.WriteString(",\n")
	}
	b.WriteString("}\n")
	src, err := format.Source(b.Bytes())
	if err != nil {
		t.Fatalf("format generated table: %v", err)
	}
	if err := os.WriteFile("commands_table.go", src, 0o644); err != nil {
		t.Fatalf("write commands_table.go: %v", err)
	}
}

func writeCommand(b *bytes.Buffer, c Command) {
	fmt.Fprintf(b, "{Name: %q, Arity: %d", c.Name, c.Arity)
	if c.FirstKey != 0 || c.LastKey != 0 || c.KeyStep != 0 {
		fmt.Fprintf(b, ", FirstKey: %d, LastKey: %d, KeyStep: %d", c.FirstKey, c.LastKey, c.KeyStep)
	}
	fmt.Fprintf(b, ", Flags: %s", bitsExpr(uint64(c.Flags), flagConsts[:], "0"))
	if c.RequestPolicy != RequestDefault {
		fmt.Fprintf(b, ", RequestPolicy: %s", requestConsts[c.RequestPolicy])
	}
	if c.ResponsePolicy != ResponseDefault {
		fmt.Fprintf(b, ", ResponsePolicy: %s", responseConsts[c.ResponsePolicy])
	}
	if len(c.KeySpecs) > 0 {
		b.WriteString(", KeySpecs: []KeySpec{")
		for i, s := range c.KeySpecs {
			if i > 0 {
				b.WriteString(", ")
			}
			writeKeySpec(b, s)
		}
		b.WriteString("}")
	}
	if len(c.Subcommands) > 0 {
		b.WriteString(", Subcommands: []Command{\n")
		for _, s := range c.Subcommands {
			writeCommand(b, s)
			b.WriteString(",\n")
		}
		b.WriteString("}")
	}
	b.WriteString("}")
}

func writeKeySpec(b *bytes.Buffer, s KeySpec) {
	fmt.Fprintf(b, "{Flags: %s", bitsExpr(uint64(s.Flags), keyFlagConsts[:], "0"))
	switch s.BeginSearch {
	case BeginIndex:
		fmt.Fprintf(b, ", BeginSearch: BeginIndex, Index: %d", s.Index)
	case BeginKeyword:
		fmt.Fprintf(b, ", BeginSearch: BeginKeyword, Keyword: %q, StartFrom: %d", s.Keyword, s.StartFrom)
	}
	switch s.FindKeys {
	case FindRange:
		fmt.Fprintf(b, ", FindKeys: FindRange, LastKey: %d, KeyStep: %d, Limit: %d", s.LastKey, s.KeyStep, s.Limit)
	case FindKeyNum:
		fmt.Fprintf(b, ", FindKeys: FindKeyNum, KeyNumIdx: %d, FirstKey: %d, KeyStep: %d", s.KeyNumIdx, s.FirstKey, s.KeyStep)
	}
	b.WriteString("}")
}

// bitsExpr writes bits as an OR of constant names.
func bitsExpr(bits uint64, names []string, zero string) string {
	var parts []string
	for i, n := range names {
		if bits&(1<<i) != 0 {
			parts = append(parts, n)
		}
	}
	if len(parts) == 0 {
		return zero
	}
	return strings.Join(parts, " | ")
}

var flagConsts = [...]string{
	"FlagRead", "FlagWrite", "FlagAdmin", "FlagPubSub", "FlagBlocking", "FlagMultiKey",
	"FlagNoKey", "FlagTransaction", "FlagMovableKeys", "FlagFast", "FlagDangerous",
	"FlagScripting", "FlagConnection", "FlagNoScript", "FlagNoMulti", "FlagNoAuth",
	"FlagNondeterministic", "FlagContainer",
}

var keyFlagConsts = [...]string{
	"KeyRO", "KeyRW", "KeyOW", "KeyRM", "KeyAccess", "KeyUpdate", "KeyInsert",
	"KeyDelete", "KeyNotKey", "KeyIncomplete", "KeyVariableFlags",
}

var requestConsts = [...]string{
	RequestAllNodes: "RequestAllNodes", RequestAllShards: "RequestAllShards",
	RequestMultiShard: "RequestMultiShard", RequestSpecial: "RequestSpecial",
}

var responseConsts = [...]string{
	ResponseOneSucceeded: "ResponseOneSucceeded", ResponseAllSucceeded: "ResponseAllSucceeded",
	ResponseAggLogicalAnd: "ResponseAggLogicalAnd", ResponseAggLogicalOr: "ResponseAggLogicalOr",
	ResponseAggMin: "ResponseAggMin", ResponseAggMax: "ResponseAggMax",
	ResponseAggSum: "ResponseAggSum", ResponseSpecial: "ResponseSpecial",
}

// TestGeneratorConstNames keeps the generator's constant names in step
// with the constants.
func TestGeneratorConstNames(t *testing.T) {
	if got := len(flagConsts); 1<<(got-1) != int(FlagContainer) {
		t.Errorf("flagConsts has %d names; FlagContainer is %d", got, FlagContainer)
	}
	if got := len(keyFlagConsts); 1<<(got-1) != int(KeyVariableFlags) {
		t.Errorf("keyFlagConsts has %d names; KeyVariableFlags is %d", got, KeyVariableFlags)
	}
	if len(flagConsts) != len(flagNames) {
		t.Errorf("flagConsts has %d names, flagNames %d", len(flagConsts), len(flagNames))
	}
}
