package dubbo

// A minimal hessian2 string reader for the hot path. Hessian2 strings
// are UTF-8 whose length prefix counts UTF-16 code units, not bytes:
//
//	x00-x1f <utf8>          length 0-31
//	x30-x33 b0 <utf8>       length 0-1023 ((tag-0x30)<<8 | b0)
//	'S' b1 b0 <utf8>        final chunk, length 0-65535
//	'R' b1 b0 <utf8> more   non-final chunk, followed by another chunk
//	'N'                     null
//
// Java and dubbo-go write characters outside the BMP as two 3-byte
// surrogates (CESU-8), each counting one unit. Java's Hessian2Input
// rejects 4-byte UTF-8 sequences, and so does this reader.

// strResult says what readString found.
type strResult uint8

const (
	strPlain   strResult = iota // one final segment: value aliases the input
	strNull                     // 'N'
	strChunked                  // valid but chunked: skipped, no value
	strBad                      // not a string, or truncated
)

// readString reads the hessian2 string at b[off:]. It returns the
// string's bytes (aliasing b) for strPlain, and the offset after the
// string for every result but strBad.
func readString(b []byte, off int) (s []byte, next int, r strResult) {
	chunked := false
	for {
		if off >= len(b) {
			return nil, 0, strBad
		}
		tag := b[off]
		var units, start int
		final := true
		switch {
		case tag <= 0x1f:
			units, start = int(tag), off+1
		case tag >= 0x30 && tag <= 0x33:
			if off+1 >= len(b) {
				return nil, 0, strBad
			}
			units, start = int(tag-0x30)<<8|int(b[off+1]), off+2
		case tag == 'S' || tag == 'R':
			if off+2 >= len(b) {
				return nil, 0, strBad
			}
			units, start = int(b[off+1])<<8|int(b[off+2]), off+3
			final = tag == 'S'
		case tag == 'N' && !chunked:
			return nil, off + 1, strNull
		default:
			return nil, 0, strBad
		}
		end, ok := skipUnits(b, start, units)
		if !ok {
			return nil, 0, strBad
		}
		if final {
			if chunked {
				return nil, end, strChunked
			}
			return b[start:end:end], end, strPlain
		}
		chunked, off = true, end
	}
}

// skipUnits returns the offset after n UTF-16 code units of hessian2
// UTF-8 starting at b[off].
func skipUnits(b []byte, off, n int) (int, bool) {
	for ; n > 0; n-- {
		if off >= len(b) {
			return 0, false
		}
		c := b[off]
		var size int
		switch {
		case c < 0x80:
			size = 1
		case c&0xe0 == 0xc0:
			size = 2
		case c&0xf0 == 0xe0:
			size = 3
		default:
			return 0, false
		}
		if off+size > len(b) {
			return 0, false
		}
		for _, cont := range b[off+1 : off+size] {
			if cont&0xc0 != 0x80 {
				return 0, false
			}
		}
		off += size
	}
	return off, true
}
