package redis

// Args iterates over the arguments of a request without copying them:
// the zero-allocation way for a proxy to read a command it fans out.
//
//	args := redis.ArgsOf(f.Raw)
//	for arg, ok := args.Next(); ok; arg, ok = args.Next() { ... }
//
// Arguments alias the frame, except inline arguments written with
// escapes or with quotes joined to unquoted bytes (foo"bar"), which are
// decoded into new memory. Iterating bytes that are not a request frame
// decoded by a ServerCodec yields the well-formed leading arguments and
// then stops; it never panics.
type Args struct {
	raw    []byte // the frame, or an inline frame's command line
	first  int    // offset of argument 0
	pos    int    // offset of argument i
	i, n   int
	inline bool
}

// ArgsOf returns an iterator over the arguments of raw, the Raw of a
// request frame.
func ArgsOf(raw []byte) Args {
	if len(raw) == 0 {
		return Args{}
	}
	if raw[0] != '*' {
		line := inlineLine(raw)
		n, ok := countTokens(line)
		if !ok {
			return Args{}
		}
		return Args{raw: line, n: n, inline: true}
	}
	digits, next, st := scanCount(raw, 1)
	if st != lineOK {
		return Args{}
	}
	n, ok := parseInt(digits)
	if !ok || n <= 0 {
		return Args{}
	}
	// Every argument takes at least 6 bytes ("$0\r\n\r\n").
	n = min(n, int64(len(raw)/6))
	return Args{raw: raw, first: next, pos: next, n: int(n)}
}

// Len returns the number of arguments, the command name included.
func (a *Args) Len() int { return a.n }

// Index returns the index of the argument Next returns next.
func (a *Args) Index() int { return a.i }

// Next returns the next argument, or false after the last one.
func (a *Args) Next() ([]byte, bool) {
	if a.i >= a.n {
		return nil, false
	}
	if a.inline {
		t, found, bad := nextToken(a.raw, a.pos)
		if !found || bad {
			a.n = a.i
			return nil, false
		}
		a.pos = t.next
		a.i++
		return t.value(a.raw), true
	}
	v, next, ok := bulkAt(a.raw, a.pos)
	if !ok {
		a.n = a.i
		return nil, false
	}
	a.pos = next
	a.i++
	return v, true
}

// Skip advances past n arguments without decoding inline escapes.
func (a *Args) Skip(n int) {
	for ; n > 0 && a.i < a.n; n-- {
		if a.inline {
			t, found, bad := nextToken(a.raw, a.pos)
			if !found || bad {
				a.n = a.i
				return
			}
			a.pos = t.next
		} else {
			_, next, ok := bulkAt(a.raw, a.pos)
			if !ok {
				a.n = a.i
				return
			}
			a.pos = next
		}
		a.i++
	}
}

// Reset rewinds the iterator to the first argument.
func (a *Args) Reset() { a.i, a.pos = 0, a.first }

// At returns argument i (nil when out of range), moving the iterator
// just past it. Going back rewinds, so visiting arguments in order costs
// one pass in total.
func (a *Args) At(i int) []byte {
	if i < 0 || i >= a.n {
		return nil
	}
	if i < a.i {
		a.Reset()
	}
	a.Skip(i - a.i)
	v, _ := a.Next()
	return v
}

// ArgAt returns argument i of the request frame raw, or nil. It scans
// from the start: use Args to visit several arguments.
func ArgAt(raw []byte, i int) []byte {
	a := ArgsOf(raw)
	return a.At(i)
}

// bulkAt reads the bulk string whose header starts at raw[pos].
func bulkAt(raw []byte, pos int) (v []byte, next int, ok bool) {
	if pos >= len(raw) || raw[pos] != '$' {
		return nil, 0, false
	}
	digits, start, st := scanCount(raw, pos+1)
	if st != lineOK {
		return nil, 0, false
	}
	l, ok := parseInt(digits)
	if !ok || l < 0 || l > int64(len(raw)-start-2) {
		return nil, 0, false
	}
	end := start + int(l)
	return raw[start:end:end], end + 2, true
}
