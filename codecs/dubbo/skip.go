package dubbo

import "errors"

// A hessian2 value skipper: it walks values without materialising them,
// so the attachments after the arguments of a request can be read with
// no allocation. It follows the hessian 2.0 grammar (and the
// `class-def value` form Java and dubbo-go write), byte by byte:
//
//	x00-x1f x30-x33 'S' 'R'     string (final or chunked)
//	x20-x2f x34-x37 'B' 'A'     binary (final or chunked)
//	'N' 'T' 'F'                 null, true, false
//	x80-xbf xc0-xcf xd0-xd7 'I' int
//	xd8-xef xf0-xff x38-x3f 'L' 'Y'  long
//	x5b x5c x5d x5e x5f 'D'     double (0, 1, byte, short, float, 64-bit)
//	'J' 'K'                     date (ms, minutes)
//	'U' 'V' 'W' 'X' x70-x7f     list (typed/untyped, variable/fixed)
//	'H' 'M'                     map (untyped/typed), pairs until 'Z'
//	'C'                         class definition (then a value follows)
//	'O' x60-x6f                 object instance of a defined class
//	'Q'                         reference to an earlier list, map or object
//
// Strings are read as Java's Hessian2Input and dubbo-go-hessian2 read
// them: their length counts UTF-16 units and only the lead byte of a
// UTF-8 sequence decides its size (continuation bytes are not checked);
// 4-byte sequences are refused. A high surrogate must be followed, in
// the same segment, by a low one: dubbo-go-hessian2 reads a lone high
// surrogate together with the next three bytes, so its reading and
// Java's would disagree on where the value ends.

// MaxNesting bounds how deeply lists, maps and objects may nest in a
// request body read by ScanAttachments or DecodeRequestBody. Deeper
// bodies are refused: decoding them recursively could exhaust the stack.
const MaxNesting = 512

// Errors of ScanAttachments (and of the checks DecodeRequestBody makes
// before decoding).
var (
	// ErrMalformedBody: the body is not a well-formed hessian2 request
	// body (truncated, unknown tag, count past the end, ...).
	ErrMalformedBody = errors.New("malformed hessian2 request body")
	// ErrUnsupportedBody: the body is valid but uses something the
	// scanner does not follow without allocating (a chunked attachment
	// key, attachments sent as a reference or an object) or nests deeper than
	// MaxNesting. DecodeRequestBody reads all but the last.
	ErrUnsupportedBody = errors.New("hessian2 request body not scannable")
)

// inlineDefs is how many class definitions a walker tracks without
// allocating.
const inlineDefs = 16

// walker skips hessian2 values in b. It records the field count of every
// class definition it meets, which object instances refer to by index.
type walker struct {
	b     []byte
	depth int
	ndefs int
	defs  [inlineDefs]int32
	more  []int32 // definitions past inlineDefs
}

// skip returns the offset after the value at off.
func (w *walker) skip(off int) (int, error) {
	off, err := w.classDefs(off)
	if err != nil {
		return 0, err
	}
	b := w.b
	tag := b[off]
	switch {
	case tag <= 0x1f || tag >= 0x30 && tag <= 0x33 || tag == 'S' || tag == 'R':
		_, _, next, _, err := w.str(off)
		return next, err
	case tag >= 0x20 && tag <= 0x2f || tag >= 0x34 && tag <= 0x37 || tag == 'A' || tag == 'B':
		return w.binary(off)
	case tag >= 0x80 && tag <= 0xbf, tag >= 0xd8 && tag <= 0xef,
		tag == 'N', tag == 'T', tag == 'F', tag == 0x5b, tag == 0x5c:
		return w.fixed(off, 1)
	case tag >= 0xc0 && tag <= 0xcf, tag >= 0xf0, tag == 0x5d:
		return w.fixed(off, 2)
	case tag >= 0xd0 && tag <= 0xd7, tag >= 0x38 && tag <= 0x3f, tag == 0x5e:
		return w.fixed(off, 3)
	case tag == 'I', tag == 'Y', tag == 'K', tag == 0x5f:
		return w.fixed(off, 5)
	case tag == 'L', tag == 'D', tag == 'J':
		return w.fixed(off, 9)
	case tag == 'Q':
		_, next, err := w.int(off + 1)
		return next, err
	case tag == 'H' || tag == 'M':
		return w.mapValue(off)
	case tag >= 0x55 && tag <= 0x58 || tag >= 0x70 && tag <= 0x7f:
		return w.list(off)
	case tag == 'O' || tag >= 0x60 && tag <= 0x6f:
		return w.object(off)
	}
	return 0, ErrMalformedBody // '@' 'E' 'G' 'P' 'Z'
}

// fixed skips a value of n bytes, tag included.
func (w *walker) fixed(off, n int) (int, error) {
	if off+n > len(w.b) {
		return 0, ErrMalformedBody
	}
	return off + n, nil
}

// classDefs reads the class definitions at off, if any, and returns the
// offset of the value they precede.
func (w *walker) classDefs(off int) (int, error) {
	for {
		if off >= len(w.b) {
			return 0, ErrMalformedBody
		}
		if w.b[off] != 'C' {
			return off, nil
		}
		_, _, next, _, err := w.str(off + 1) // class name
		if err != nil {
			return 0, err
		}
		n, next, err := w.count(next)
		if err != nil {
			return 0, err
		}
		for range n {
			if _, _, next, _, err = w.str(next); err != nil {
				return 0, err
			}
		}
		if w.ndefs < inlineDefs {
			w.defs[w.ndefs] = int32(n)
		} else {
			w.more = append(w.more, int32(n))
		}
		w.ndefs++
		off = next
	}
}

// fields returns the field count of class definition i.
func (w *walker) fields(i int64) (int, bool) {
	switch {
	case i < 0 || i >= int64(w.ndefs):
		return 0, false
	case i < inlineDefs:
		return int(w.defs[i]), true
	}
	return int(w.more[i-inlineDefs]), true
}

// object skips an instance: 'O' int, or x60-x6f, then its fields.
func (w *walker) object(off int) (int, error) {
	var idx int64
	next := off + 1
	if tag := w.b[off]; tag == 'O' {
		var err error
		if idx, next, err = w.int(next); err != nil {
			return 0, err
		}
	} else {
		idx = int64(tag - 0x60)
	}
	n, ok := w.fields(idx)
	if !ok {
		return 0, ErrMalformedBody
	}
	return w.values(next, n)
}

// list skips a list of any of the six forms.
func (w *walker) list(off int) (int, error) {
	tag := w.b[off]
	next, n := off+1, -1 // -1: variable length, ends with 'Z'
	var err error
	if tag == 'U' || tag == 'V' || tag >= 0x70 && tag <= 0x77 {
		if next, err = w.typ(next); err != nil {
			return 0, err
		}
	}
	switch {
	case tag == 'V' || tag == 'X':
		if n, next, err = w.count(next); err != nil {
			return 0, err
		}
	case tag >= 0x70:
		n = int(tag-0x70) & 7
	}
	if n >= 0 {
		return w.values(next, n)
	}
	if err := w.enter(); err != nil {
		return 0, err
	}
	for {
		if next >= len(w.b) {
			return 0, ErrMalformedBody
		}
		if w.b[next] == 'Z' {
			w.depth--
			return next + 1, nil
		}
		if next, err = w.skip(next); err != nil {
			return 0, err
		}
	}
}

// values skips n values, one level down.
func (w *walker) values(off, n int) (int, error) {
	if err := w.enter(); err != nil {
		return 0, err
	}
	var err error
	for range n {
		if off, err = w.skip(off); err != nil {
			return 0, err
		}
	}
	w.depth--
	return off, nil
}

// mapValue skips a map: 'H', or 'M' type, then pairs until 'Z'.
func (w *walker) mapValue(off int) (int, error) {
	next, err := w.mapStart(off)
	if err != nil {
		return 0, err
	}
	if err := w.enter(); err != nil {
		return 0, err
	}
	for {
		if next >= len(w.b) {
			return 0, ErrMalformedBody
		}
		if w.b[next] == 'Z' {
			w.depth--
			return next + 1, nil
		}
		if next, err = w.skip(next); err != nil { // key
			return 0, err
		}
		if next, err = w.skip(next); err != nil { // value
			return 0, err
		}
	}
}

// mapStart returns the offset of the first key of the map at off.
func (w *walker) mapStart(off int) (int, error) {
	if w.b[off] == 'M' {
		return w.typ(off + 1)
	}
	return off + 1, nil
}

func (w *walker) enter() error {
	if w.depth++; w.depth > MaxNesting {
		return ErrUnsupportedBody
	}
	return nil
}

// typ skips the type of a typed list or map: a string, or an int
// referring to an earlier type.
func (w *walker) typ(off int) (int, error) {
	if off >= len(w.b) {
		return 0, ErrMalformedBody
	}
	if isStringTag(w.b[off]) {
		_, _, next, _, err := w.str(off)
		return next, err
	}
	_, next, err := w.int(off)
	return next, err
}

// count reads a length: an int no greater than the bytes left, as every
// element takes at least one byte.
func (w *walker) count(off int) (int, int, error) {
	n, next, err := w.int(off)
	if err != nil {
		return 0, 0, err
	}
	if n < 0 || n > int64(len(w.b)-next) {
		return 0, 0, ErrMalformedBody
	}
	return int(n), next, nil
}

// int reads a hessian2 int (the compact forms and 'I').
func (w *walker) int(off int) (int64, int, error) {
	v, next, ok := readInt(w.b, off, false)
	if !ok {
		return 0, 0, ErrMalformedBody
	}
	return v, next, nil
}

// readInt reads a hessian2 int at b[off] and, with long, a long too.
func readInt(b []byte, off int, long bool) (v int64, next int, ok bool) {
	if off >= len(b) {
		return 0, 0, false
	}
	tag := b[off]
	need := func(n int) bool { return off+n <= len(b) }
	switch {
	case tag >= 0x80 && tag <= 0xbf:
		return int64(tag) - 0x90, off + 1, true
	case tag >= 0xc0 && tag <= 0xcf && need(2):
		return (int64(tag)-0xc8)<<8 | int64(b[off+1]), off + 2, true
	case tag >= 0xd0 && tag <= 0xd7 && need(3):
		return (int64(tag)-0xd4)<<16 | int64(b[off+1])<<8 | int64(b[off+2]), off + 3, true
	case tag == 'I' && need(5):
		return int64(int32(be32(b[off+1:]))), off + 5, true
	case !long:
		return 0, 0, false
	case tag >= 0xd8 && tag <= 0xef:
		return int64(tag) - 0xe0, off + 1, true
	case tag >= 0xf0 && need(2):
		return (int64(tag)-0xf8)<<8 | int64(b[off+1]), off + 2, true
	case tag >= 0x38 && tag <= 0x3f && need(3):
		return (int64(tag)-0x3c)<<16 | int64(b[off+1])<<8 | int64(b[off+2]), off + 3, true
	case tag == 'Y' && need(5):
		return int64(int32(be32(b[off+1:]))), off + 5, true
	case tag == 'L' && need(9):
		return int64(uint64(be32(b[off+1:]))<<32 | uint64(be32(b[off+5:]))), off + 9, true
	}
	return 0, 0, false
}

func be32(b []byte) uint32 {
	return uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
}

func isStringTag(tag byte) bool {
	return tag <= 0x1f || tag >= 0x30 && tag <= 0x33 || tag == 'S' || tag == 'R'
}

// binary skips binary data: chunks 'A' b1 b0 <data> until a final one
// ('B' b1 b0, x20-x2f, x34-x37 b0).
func (w *walker) binary(off int) (int, error) {
	b := w.b
	for {
		if off >= len(b) {
			return 0, ErrMalformedBody
		}
		tag := b[off]
		var n, start int
		switch {
		case tag >= 0x20 && tag <= 0x2f:
			n, start = int(tag-0x20), off+1
		case tag >= 0x34 && tag <= 0x37 && off+1 < len(b):
			n, start = int(tag-0x34)<<8|int(b[off+1]), off+2
		case (tag == 'A' || tag == 'B') && off+2 < len(b):
			n, start = int(b[off+1])<<8|int(b[off+2]), off+3
		default:
			return 0, ErrMalformedBody
		}
		if start+n > len(b) {
			return 0, ErrMalformedBody
		}
		if off = start + n; tag != 'A' {
			return off, nil
		}
	}
}

// str reads the string at off. For a string in one segment it returns
// the data's bounds; chunked is true for a string in several chunks
// (then start and end are 0).
func (w *walker) str(off int) (start, end, next int, chunked bool, err error) {
	b := w.b
	for segs := 0; ; segs++ {
		if off >= len(b) {
			return 0, 0, 0, false, ErrMalformedBody
		}
		tag := b[off]
		var units int
		switch {
		case tag <= 0x1f:
			units, start = int(tag), off+1
		case tag >= 0x30 && tag <= 0x33 && off+1 < len(b):
			units, start = int(tag-0x30)<<8|int(b[off+1]), off+2
		case (tag == 'S' || tag == 'R') && off+2 < len(b):
			units, start = int(b[off+1])<<8|int(b[off+2]), off+3
		default:
			return 0, 0, 0, false, ErrMalformedBody
		}
		if end, err = skipUnitsLax(b, start, units); err != nil {
			return 0, 0, 0, false, err
		}
		if tag != 'R' {
			if segs > 0 {
				return 0, 0, end, true, nil
			}
			return start, end, end, false, nil
		}
		off = end
	}
}

// skipUnitsLax returns the offset after n UTF-16 units of hessian2 UTF-8
// at b[off], sized by their lead bytes (see the top of the file).
func skipUnitsLax(b []byte, off, n int) (int, error) {
	// Fast path: ASCII, one byte per unit.
	if end := off + n; end <= len(b) {
		i := off
		for i < end && b[i] < 0x80 {
			i++
		}
		if i == end {
			return end, nil
		}
		n, off = n-(i-off), i
	}
	for n > 0 {
		if off >= len(b) {
			return 0, ErrMalformedBody
		}
		c := b[off]
		switch {
		case c < 0x80:
			off++
		case c&0xe0 == 0xc0:
			off += 2
		case c&0xf0 == 0xe0:
			if off+3 > len(b) {
				return 0, ErrMalformedBody
			}
			if surrogate(b[off:]) == highSurrogate {
				if n < 2 || off+6 > len(b) || b[off+3]&0xf0 != 0xe0 || surrogate(b[off+3:]) != lowSurrogate {
					return 0, ErrMalformedBody
				}
				off += 6
				n -= 2
				continue
			}
			off += 3
		default:
			return 0, ErrMalformedBody
		}
		n--
	}
	if off > len(b) {
		return 0, ErrMalformedBody
	}
	return off, nil
}

const (
	notSurrogate = iota
	highSurrogate
	lowSurrogate
)

// surrogate classifies the three-byte sequence at b[0:3] as
// dubbo-go-hessian2 computes it (continuation bits unchecked).
func surrogate(b []byte) int {
	c := uint32(b[0]&0x0f)<<12 | uint32(b[1]&0x3f)<<6 | uint32(b[2]&0x3f)
	switch {
	case c >= 0xd800 && c <= 0xdbff:
		return highSurrogate
	case c >= 0xdc00 && c <= 0xdfff:
		return lowSurrogate
	}
	return notSurrogate
}
