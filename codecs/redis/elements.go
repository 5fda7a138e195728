package redis

// Readers for elements of a reply the scanner has already validated,
// used to classify it. They are defensive anyway: bytes that are not
// what they expect make them report !ok, never panic.

// scalarAt reads the non-aggregate element at raw[pos]: its type byte,
// its value (bulk data, or the line after the type byte; nil for a null
// bulk string) and the offset after it.
func scalarAt(raw []byte, pos int) (t byte, v []byte, next int, ok bool) {
	if pos >= len(raw) {
		return 0, nil, 0, false
	}
	t = raw[pos]
	switch t {
	case '$', '=', '!':
		digits, start, st := scanCount(raw, pos+1)
		if st != lineOK {
			return 0, nil, 0, false
		}
		l, ok := parseInt(digits)
		switch {
		case ok && l == -1:
			return t, nil, start, true
		case !ok || l < 0 || l > int64(len(raw)-start-2):
			return 0, nil, 0, false
		}
		end := start + int(l)
		return t, raw[start:end:end], end + 2, true
	case '+', '-', ':', ',', '(', '#', '_':
		for i := pos + 1; i+1 < len(raw); i++ {
			if raw[i] == '\r' && raw[i+1] == '\n' {
				return t, raw[pos+1 : i : i], i + 2, true
			}
		}
	}
	return 0, nil, 0, false
}

// aggregateAt reads the header of the aggregate at raw[pos]: its type
// byte, its announced count (-1 for a null array) and the offset of its
// first element.
func aggregateAt(raw []byte, pos int) (t byte, count int, next int, ok bool) {
	if pos >= len(raw) {
		return 0, 0, 0, false
	}
	switch t = raw[pos]; t {
	case '*', '~', '%', '>', '|':
	default:
		return 0, 0, 0, false
	}
	digits, next, st := scanCount(raw, pos+1)
	if st != lineOK {
		return 0, 0, 0, false
	}
	n, ok := parseInt(digits)
	if !ok || n < -1 || n > int64(len(raw)) {
		return 0, 0, 0, false
	}
	return t, int(n), next, true
}

// errorCode returns the first word of an error message: "ERR",
// "WRONGTYPE", "MOVED".
func errorCode(msg []byte) []byte {
	for i, c := range msg {
		if c == ' ' {
			return msg[:i:i]
		}
	}
	return msg
}
