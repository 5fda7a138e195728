package redis

import "github.com/sidewire/sidewire/codecs"

// maxKeySpecs bounds the key specs of one command (Redis 7.0 has at most
// three); the table test enforces it.
const maxKeySpecs = 4

// keyRange is where one key spec found keys: first to last inclusive.
type keyRange struct{ first, last, step int }

// addKeys records the keys of a request in a, in key spec order, the way
// Redis's getKeysFromCommandWithSpecs finds them: when every spec
// resolves, the specs decide; otherwise SORT, SORT_RO and MIGRATE use
// their own argument parsers and any other command names no key.
// Unlike Redis, shard channels (the NOT_KEY specs of SPUBLISH,
// SSUBSCRIBE and SUNSUBSCRIBE) count as keys: they choose the slot.
func addKeys(cmd *Command, args *Args, a *codecs.Attributes) {
	var ranges [maxKeySpecs]keyRange
	n, ok := specRanges(cmd, args, &ranges)
	if !ok {
		switch cmd.Name {
		case "sort":
			sortKeys(args, a, true)
		case "sort_ro":
			sortKeys(args, a, false)
		case "migrate":
			migrateKeys(args, a)
		}
		return
	}
	for _, r := range ranges[:n] {
		for i := r.first; i <= r.last; i += r.step {
			addKey(args, a, i)
		}
	}
}

// addKey records argument i as a key; past codecs.MaxKeys only the
// count grows, so the argument is not even located.
func addKey(args *Args, a *codecs.Attributes, i int) {
	if a.KeyCount() >= codecs.MaxKeys {
		a.AddKey(nil)
		return
	}
	a.AddKey(args.At(i))
}

// specRanges resolves each key spec of cmd against the arguments. It
// fails, like Redis, when a spec is unknown or incomplete, its key count
// is not a number, or its keys fall outside the arguments.
func specRanges(cmd *Command, args *Args, out *[maxKeySpecs]keyRange) (int, bool) {
	argc := args.Len()
	n := 0
	for i := range cmd.KeySpecs {
		s := &cmd.KeySpecs[i]
		if n == len(out) || s.Flags&KeyIncomplete != 0 {
			return 0, false
		}
		var first int
		switch s.BeginSearch {
		case BeginIndex:
			first = s.Index
		case BeginKeyword:
			if first = keywordSearch(args, s.Keyword, s.StartFrom); first == 0 {
				continue // an optional keyword that is absent
			}
		default:
			return 0, false
		}
		last, ok := findLast(s, args, &first)
		if !ok || last >= argc || last < first || first >= argc {
			return 0, false
		}
		out[n] = keyRange{first: first, last: last, step: max(s.KeyStep, 1)}
		n++
	}
	return n, true
}

// findLast returns the last key position of spec s whose first key is at
// *first, moving *first for key-count specs.
func findLast(s *KeySpec, args *Args, first *int) (int, bool) {
	argc := args.Len()
	switch s.FindKeys {
	case FindRange:
		switch {
		case s.LastKey >= 0:
			return *first + s.LastKey, true
		case s.Limit <= 0:
			return argc + s.LastKey, true
		}
		return *first + (argc-*first)/s.Limit + s.LastKey, true
	case FindKeyNum:
		idx := *first + s.KeyNumIdx
		if idx >= argc {
			return 0, false
		}
		num, ok := parseInt(args.At(idx))
		if !ok || num < 0 || num > int64(argc) {
			return 0, false
		}
		*first += s.FirstKey
		return *first + int(num) - 1, true
	}
	return 0, false
}

// keywordSearch returns the position after keyword kw, searched as
// Redis does: forwards from startFrom up to (not including) the last
// argument, or for a negative startFrom backwards from argc+startFrom
// down to (not including) argument 1. It returns 0 when kw is absent.
func keywordSearch(args *Args, kw string, startFrom int) int {
	argc := args.Len()
	start, end, step := startFrom, argc-1, 1
	if startFrom <= 0 {
		start, end = argc+startFrom, 1
	}
	if start > end {
		step = -1
	}
	for i := start; i != end; i += step {
		if i >= argc || i < 1 {
			break
		}
		if equalFold(args.At(i), kw) {
			return i + 1
		}
	}
	return 0
}

// sortKeys finds SORT's keys like Redis's sortGetKeys: the sorted key,
// and with store the key after the last STORE option, skipping the
// arguments of LIMIT, GET and BY.
func sortKeys(args *Args, a *codecs.Attributes, store bool) {
	argc := args.Len()
	if argc < 2 {
		return
	}
	dest := 0
	for i := 2; store && i < argc; i++ {
		arg := args.At(i)
		switch {
		case equalFold(arg, "limit"):
			i += 2
		case equalFold(arg, "get"), equalFold(arg, "by"):
			i++
		case equalFold(arg, "store") && i+1 < argc:
			dest = i + 1
		}
	}
	addKey(args, a, 1)
	if dest > 0 {
		addKey(args, a, dest)
	}
}

// migrateKeys finds MIGRATE's keys like Redis's migrateGetKeys: the key
// argument, or with the KEYS option (and an empty key argument) the
// arguments after KEYS.
func migrateKeys(args *Args, a *codecs.Attributes) {
	argc := args.Len()
	first, num := 3, 1
	for i := 6; i < argc; i++ {
		arg := args.At(i)
		switch {
		case equalFold(arg, "keys"):
			if len(args.At(3)) > 0 {
				return // Redis refuses a key argument together with KEYS
			}
			first, num = i+1, argc-i-1
			i = argc
		case equalFold(arg, "auth"):
			i++
		case equalFold(arg, "auth2"):
			i += 2
		}
	}
	for i := first; i < first+num && i < argc; i++ {
		addKey(args, a, i)
	}
}
