package dubbo

// AttachmentKind says what ScanAttachments found for a key.
type AttachmentKind uint8

const (
	// AttachmentMissing: no attachment has the key.
	AttachmentMissing AttachmentKind = iota
	// AttachmentString: a string in one segment; Attachment.Value holds
	// its bytes.
	AttachmentString
	// AttachmentChunked: a string sent in several chunks (over 4096
	// characters from dubbo-go, 32768 from Java). Its value cannot be
	// returned without copying: decode the body to read it.
	AttachmentChunked
	// AttachmentInt: a hessian2 int or long; Attachment.Int holds it.
	AttachmentInt
	// AttachmentOther: any other value (null, double, list, map, ...).
	AttachmentOther
)

// Attachment is the value of one attachment key found by
// ScanAttachments.
type Attachment struct {
	Kind AttachmentKind
	// Value aliases the frame: the string's hessian2 UTF-8 (characters
	// outside the BMP as CESU-8 surrogate pairs) for AttachmentString,
	// nil otherwise.
	Value []byte
	// Int is the number for AttachmentInt.
	Int int64
	// Exact is true when the key matched with its case; false when it
	// matched ignoring ASCII case only.
	Exact bool
}

// String returns the value of a string attachment, "" otherwise. It
// allocates; matchers should use Value.
func (a Attachment) String() string { return string(a.Value) }

// ScanAttachments reads the attachments of the request frame raw
// (Frame.Raw: header and body) without decoding the arguments and
// without allocating. It walks the hessian2 body past the five leading
// strings and the arguments (one per type in the parameter types
// descriptor), then reads the attachments map. For each keys[i] it sets
// out[i] (len(out) must be at least len(keys)) to the attachment whose
// key equals keys[i], or, failing that, equals it ignoring ASCII case;
// among several, the last one wins, as in a decoded map. Keys are
// compared with the wire bytes. Attachments whose key is not a string
// are ignored.
//
// It returns ErrNotHessian2 for another serialization,
// ErrMalformedBody when the body is not a well-formed request body (as
// DecodeRequestBody would mostly also fail), and ErrUnsupportedBody for
// the rare valid bodies it does not follow (then decode the body with
// DecodeRequestBody). On error out is cleared.
func ScanAttachments(raw []byte, keys []string, out []Attachment) error {
	out = out[:len(keys)]
	clear(out)
	if len(raw) < HeaderLen {
		return ErrMalformedBody
	}
	h, _, ok := readHeader(raw)
	switch {
	case !ok || !h.isRequest() || h.isEvent() || len(raw) != HeaderLen+h.length:
		return ErrMalformedBody
	case h.serialization() != SerializationHessian2:
		return ErrNotHessian2
	}
	w := walker{b: raw[HeaderLen:]}
	off, err := w.arguments()
	if err == nil {
		err = w.attachments(off, keys, out)
	}
	if err != nil {
		clear(out)
	}
	return err
}

// arguments skips the leading strings and the arguments, returning the
// offset of the attachments.
func (w *walker) arguments() (int, error) {
	off := 0
	var pc paramCounter
	for field := range 5 {
		if off >= len(w.b) {
			return 0, ErrMalformedBody
		}
		if w.b[off] == 'N' {
			off++
			continue
		}
		if !isStringTag(w.b[off]) {
			return 0, ErrMalformedBody
		}
		if field < 4 {
			_, _, next, _, err := w.str(off)
			if err != nil {
				return 0, err
			}
			off = next
			continue
		}
		next, err := w.countParams(off, &pc)
		if err != nil {
			return 0, err
		}
		off = next
	}
	n, ok := pc.done()
	if !ok {
		return 0, ErrMalformedBody
	}
	var err error
	for range n {
		if off, err = w.skip(off); err != nil {
			return 0, err
		}
	}
	return off, nil
}

// countParams reads the parameter types string at off, segment by
// segment, feeding its bytes to pc.
func (w *walker) countParams(off int, pc *paramCounter) (int, error) {
	for {
		if w.b[off] == 'R' {
			// One chunk: read it as if it were final.
			if off+2 >= len(w.b) {
				return 0, ErrMalformedBody
			}
			units := int(w.b[off+1])<<8 | int(w.b[off+2])
			end, err := skipUnitsLax(w.b, off+3, units)
			if err != nil {
				return 0, err
			}
			pc.feed(w.b[off+3 : end])
			if off = end; off >= len(w.b) || !isStringTag(w.b[off]) {
				return 0, ErrMalformedBody
			}
			continue
		}
		start, end, next, _, err := w.str(off)
		if err != nil {
			return 0, err
		}
		pc.feed(w.b[start:end])
		return next, nil
	}
}

// paramCounter counts the types of a JVM parameter descriptor fed in
// pieces, as CountParamTypes does on the whole.
type paramCounter struct {
	n       int
	inClass bool // inside "L...;"
	named   bool // the class name has a byte
	array   bool // '[' seen, element type pending
	bad     bool
}

func (pc *paramCounter) feed(b []byte) {
	for _, c := range b {
		if pc.inClass {
			if c == ';' {
				if !pc.named {
					pc.bad = true
				}
				pc.inClass, pc.named, pc.array = false, false, false
				pc.n++
			} else {
				pc.named = true
			}
			continue
		}
		switch c {
		case '[':
			pc.array = true
		case 'Z', 'B', 'C', 'D', 'F', 'I', 'J', 'S':
			pc.array = false
			pc.n++
		case 'L':
			pc.inClass = true
		default:
			pc.bad = true
		}
	}
}

func (pc *paramCounter) done() (int, bool) {
	return pc.n, !pc.bad && !pc.inClass && !pc.array
}

// attachments reads the attachments map at off into out.
func (w *walker) attachments(off int, keys []string, out []Attachment) error {
	off, err := w.classDefs(off)
	if err != nil {
		return err
	}
	switch w.b[off] {
	case 'N':
		return nil // no attachments
	case 'H', 'M':
	case 'Q', 'O', 0x60, 0x61, 0x62, 0x63, 0x64, 0x65, 0x66, 0x67, 0x68, 0x69, 0x6a, 0x6b, 0x6c, 0x6d, 0x6e, 0x6f:
		// A reference, or an object, which dubbo-go-hessian2 turns into
		// a map of its fields.
		return ErrUnsupportedBody
	default:
		return ErrMalformedBody
	}
	if off, err = w.mapStart(off); err != nil {
		return err
	}
	w.depth++
	for {
		if off >= len(w.b) {
			return ErrMalformedBody
		}
		if w.b[off] == 'Z' {
			return nil
		}
		var key []byte
		var isKey bool
		if key, isKey, off, err = w.key(off); err != nil {
			return err
		}
		var v Attachment
		if v, off, err = w.value(off); err != nil {
			return err
		}
		if isKey {
			match(key, v, keys, out)
		}
	}
}

// key reads an attachment key: a string in one segment (isKey), or any
// other value, which no key matches.
func (w *walker) key(off int) (key []byte, isKey bool, next int, err error) {
	if off, err = w.classDefs(off); err != nil {
		return nil, false, 0, err
	}
	if !isStringTag(w.b[off]) {
		next, err = w.skip(off)
		return nil, false, next, err
	}
	start, end, next, chunked, err := w.str(off)
	switch {
	case err != nil:
		return nil, false, 0, err
	case chunked:
		return nil, false, 0, ErrUnsupportedBody
	}
	return w.b[start:end:end], true, next, nil
}

// value reads an attachment value.
func (w *walker) value(off int) (Attachment, int, error) {
	off, err := w.classDefs(off)
	if err != nil {
		return Attachment{}, 0, err
	}
	if tag := w.b[off]; isStringTag(tag) {
		start, end, next, chunked, err := w.str(off)
		switch {
		case err != nil:
			return Attachment{}, 0, err
		case chunked:
			return Attachment{Kind: AttachmentChunked}, next, nil
		}
		return Attachment{Kind: AttachmentString, Value: w.b[start:end:end]}, next, nil
	}
	if n, next, ok := readInt(w.b, off, true); ok {
		return Attachment{Kind: AttachmentInt, Int: n}, next, nil
	}
	next, err := w.skip(off)
	return Attachment{Kind: AttachmentOther}, next, err
}

// match stores v for the wanted keys equal to key: an exact match
// replaces anything, a case-insensitive one only another of its kind.
func match(key []byte, v Attachment, keys []string, out []Attachment) {
	for i, k := range keys {
		if len(k) != len(key) {
			continue
		}
		switch {
		case string(key) == k:
			v.Exact = true
			out[i] = v
		case !out[i].Exact && equalFoldASCII(key, k):
			v.Exact = false
			out[i] = v
		}
	}
}

// equalFoldASCII compares a and b ignoring ASCII case (len(a) == len(b)).
func equalFoldASCII(a []byte, b string) bool {
	for i := range len(a) {
		x, y := a[i], b[i]
		if x == y {
			continue
		}
		if x|0x20 != y|0x20 || x|0x20 < 'a' || x|0x20 > 'z' {
			return false
		}
	}
	return true
}
