package redis

// maxCountLine is the longest count or length line (the bytes between
// the type byte and CR) the decoder waits for. Any valid one has at most
// 20 (an int64 with its sign), so a longer line can never become valid.
const maxCountLine = 32

// lineState is the outcome of scanning a CRLF-terminated line.
type lineState uint8

const (
	lineOK      lineState = iota
	lineShort             // no CRLF yet
	lineLong              // no CR within the allowed length
	lineNoLF              // CR not followed by LF
	lineStrayLF           // LF before the CR (simple strings and errors)
)

// scanCount finds the CRLF ending the count line that starts at b[pos]
// and returns its digits and the offset after the LF.
func scanCount(b []byte, pos int) (digits []byte, next int, st lineState) {
	end := min(len(b), pos+maxCountLine+1)
	for i := pos; i < end; i++ {
		if b[i] != '\r' {
			continue
		}
		if i+1 >= len(b) {
			return nil, 0, lineShort
		}
		if b[i+1] != '\n' {
			return nil, 0, lineNoLF
		}
		return b[pos:i], i + 2, lineOK
	}
	if end-pos > maxCountLine {
		return nil, 0, lineLong
	}
	return nil, 0, lineShort
}

// parseInt parses b as Redis's string2ll does: an optional '-', no '+',
// no leading zeros (except "0" itself), no spaces, and the value must fit
// an int64.
func parseInt(b []byte) (int64, bool) {
	if len(b) == 0 || len(b) > 20 {
		return 0, false
	}
	if len(b) == 1 && b[0] == '0' {
		return 0, true
	}
	neg := b[0] == '-'
	if neg {
		b = b[1:]
	}
	if len(b) == 0 || b[0] < '1' || b[0] > '9' {
		return 0, false
	}
	var v uint64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		d := uint64(c - '0')
		if v > (1<<64-1-d)/10 {
			return 0, false
		}
		v = v*10 + d
	}
	switch {
	case neg && v <= 1<<63:
		return int64(-v), true // -v wraps; 1<<63 becomes MinInt64
	case !neg && v < 1<<63:
		return int64(v), true
	}
	return 0, false
}
