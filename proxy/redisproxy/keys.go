package redisproxy

import (
	"github.com/sidewire/sidewire/codecs"
	"github.com/sidewire/sidewire/codecs/redis"
)

// keyPositions appends to dst the argument positions of the keys of req,
// a request for cmd (nil for custom commands, whose key is argument 1).
// complete is false when some keys could not be located: commands whose
// key positions depend on their arguments keep only the first
// codecs.MaxKeys keys in their attributes, and inline arguments written
// with escapes are copies, not positions.
func keyPositions(dst []int, cmd *redis.Command, req *codecs.Frame, args *redis.Args) (_ []int, complete bool) {
	argc := args.Len()
	if cmd == nil {
		if argc < 2 {
			return dst, false
		}
		return append(dst, 1), true
	}
	if cmd.Flags&redis.FlagContainer != 0 && argc > 1 {
		if sub := cmd.Subcommand(args.At(1)); sub != nil {
			cmd = sub
		}
	}
	if cmd.Flags&redis.FlagMovableKeys == 0 && cmd.FirstKey > 0 {
		last := cmd.LastKey
		if last < 0 {
			last += argc
		}
		for i := cmd.FirstKey; i <= last && i < argc; i += max(cmd.KeyStep, 1) {
			dst = append(dst, i)
		}
		return dst, true
	}
	// Find the kept keys among the arguments by identity: they alias them.
	complete = req.Attrs.KeyCount() <= codecs.MaxKeys
	next := 1
	for _, key := range req.Attrs.Keys() {
		found := false
		for i := next; i < argc; i++ {
			if sameBytes(args.At(i), key) {
				dst, next, found = append(dst, i), i+1, true
				break
			}
		}
		if !found {
			return dst, false
		}
	}
	return dst, complete
}

// sameBytes reports whether a and b are the same bytes in memory, not
// just equal ones. Two empty slices count as the same.
func sameBytes(a, b []byte) bool {
	return len(a) == len(b) && (len(a) == 0 || &a[0] == &b[0])
}

// appendRewritten appends req re-encoded as a multibulk command whose
// keys, at the positions in keys (ascending), pass through their routes
// (routes[i] rewrites the key at keys[i]).
func appendRewritten(dst []byte, args *redis.Args, keys []int, routes []*route, scratch []byte) ([]byte, []byte) {
	dst = redis.AppendArray(dst, args.Len())
	args.Reset()
	k := 0
	for arg, ok := args.Next(); ok; arg, ok = args.Next() {
		i := args.Index() - 1
		if k < len(keys) && keys[k] == i {
			scratch = routes[k].appendKey(scratch[:0], arg)
			arg = scratch
			k++
		}
		dst = redis.AppendBulk(dst, arg)
	}
	return dst, scratch
}
