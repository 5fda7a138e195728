package redis

import (
	"bytes"
	"fmt"

	"github.com/sidewire/sidewire/codecs"
)

// minReply is the smallest encoded reply element ("_\r\n", "+\r\n").
const minReply = 3

// replyScanner frames replies. Its stack holds, per open aggregate, the
// elements still pending in the aggregate around it; it belongs to one
// connection's read goroutine.
type replyScanner struct {
	bounds
	stack []int
}

func newReplyScanner(bd bounds) replyScanner {
	return replyScanner{bounds: bd, stack: make([]int, bd.maxDepth)}
}

// frame finds the end of the reply at the start of b. top is the offset
// of its first element that is not an attribute (the reply proper). On
// ErrNeedMore, hint is 0 or a lower bound on the frame's size.
func (s *replyScanner) frame(b []byte) (n, top, hint int, err error) {
	w := b[:min(len(b), s.maxFrame)]
	n, top, hint, err = s.scan(w)
	if err == codecs.ErrNeedMore && (len(b) > len(w) || hint > s.maxFrame) {
		return 0, 0, 0, frameTooLarge(len(w), s.maxFrame, false)
	}
	return n, top, hint, err
}

// scan walks one reply element by element without recursion.
func (s *replyScanner) scan(w []byte) (n, top, hint int, err error) {
	pos, depth, remaining, top := 0, 0, 1, -1
	for {
		if remaining == 0 {
			if depth == 0 {
				return pos, top, 0, nil
			}
			depth--
			remaining = s.stack[depth]
			continue
		}
		if pos >= len(w) {
			return 0, 0, pos + minReply*s.pending(remaining, depth), codecs.ErrNeedMore
		}
		t, start := w[pos], pos
		if depth == 0 && top < 0 && t != '|' {
			top = pos
		}
		if t != '|' {
			remaining--
		}
		var elems int
		switch t {
		case '+', '-', ',', '(', '#', '_', ':':
			pos, err = scanLine(w, pos)
		case '$', '=', '!':
			var end int
			end, err = s.scanBulk(w, pos)
			if err == nil && end > len(w) {
				return 0, 0, end + minReply*s.pending(remaining, depth), codecs.ErrNeedMore
			}
			pos = end
		case '*', '~', '%', '>', '|':
			pos, elems, err = s.scanAggregate(w, pos, remaining, depth)
		default:
			err = protoError(pos, fmt.Sprintf(msgInvalidReplyType, t))
		}
		if err != nil {
			return 0, 0, 0, err
		}
		if elems > 0 {
			if depth == len(s.stack) {
				return 0, 0, 0, limitError(start, fmt.Sprintf(msgTooDeep, len(s.stack)))
			}
			s.stack[depth] = remaining
			depth++
			remaining = elems
		}
	}
}

// pending counts the elements still to come: remaining at this level
// plus those of every enclosing aggregate.
func (s *replyScanner) pending(remaining, depth int) int {
	for _, r := range s.stack[:depth] {
		remaining += r
	}
	return remaining
}

// scanLine checks the line element at w[pos] ('+', '-', ',', '(', '#',
// '_', ':') and returns the offset after its CRLF.
func scanLine(w []byte, pos int) (int, error) {
	t := w[pos]
	var body []byte
	var next int
	if t == ':' || t == '#' || t == '_' {
		digits, n, st := scanCount(w, pos+1)
		if err := lineErr(st, pos, t); err != nil {
			return 0, err
		}
		body, next = digits, n
	} else {
		nl := bytes.IndexByte(w[pos+1:], '\n')
		if nl < 0 {
			return 0, codecs.ErrNeedMore
		}
		nl += pos + 1
		if w[nl-1] != '\r' {
			return 0, protoError(nl, msgBareLF)
		}
		body, next = w[pos+1:nl-1], nl+1
	}
	if msg := checkScalar(t, body); msg != "" {
		return 0, protoError(pos, msg)
	}
	return next, nil
}

// lineErr maps a scanCount outcome for the element at pos to an error.
func lineErr(st lineState, pos int, t byte) error {
	switch st {
	case lineShort:
		return codecs.ErrNeedMore
	case lineNoLF:
		return protoError(pos, msgExpectedLF)
	case lineLong:
		switch t {
		case '$', '=', '!':
			return limitError(pos, msgInvalidBulk)
		case '*', '~', '%', '>', '|':
			return limitError(pos, msgInvalidMultibulk)
		case '#':
			return protoError(pos, msgInvalidBoolean)
		case '_':
			return protoError(pos, msgInvalidNull)
		}
		return protoError(pos, msgInvalidInteger)
	}
	return nil
}

// checkScalar validates the body of a line element; it returns the
// error text, or "".
func checkScalar(t byte, body []byte) string {
	switch t {
	case ':':
		if _, ok := parseInt(body); !ok {
			return msgInvalidInteger
		}
	case '#':
		if len(body) != 1 || body[0] != 't' && body[0] != 'f' {
			return msgInvalidBoolean
		}
	case '_':
		if len(body) != 0 {
			return msgInvalidNull
		}
	case '(':
		if !isBigNumber(body) {
			return msgInvalidBigNumber
		}
	case ',':
		if !isDouble(body) {
			return msgInvalidDouble
		}
	}
	return ""
}

// isBigNumber accepts an optional sign and at least one digit.
func isBigNumber(b []byte) bool {
	if len(b) > 0 && (b[0] == '-' || b[0] == '+') {
		b = b[1:]
	}
	if len(b) == 0 {
		return false
	}
	for _, c := range b {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// isDouble accepts the RESP3 double forms: inf, -inf, nan, and decimal
// numbers with an optional fraction and exponent.
func isDouble(b []byte) bool {
	switch string(b) {
	case "inf", "-inf", "+inf", "nan", "-nan":
		return true
	}
	if len(b) > 0 && (b[0] == '-' || b[0] == '+') {
		b = b[1:]
	}
	digits, i := 0, 0
	for ; i < len(b) && b[i] >= '0' && b[i] <= '9'; i++ {
		digits++
	}
	if i < len(b) && b[i] == '.' {
		for i++; i < len(b) && b[i] >= '0' && b[i] <= '9'; i++ {
			digits++
		}
	}
	if digits == 0 {
		return false
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '-' || b[i] == '+') {
			i++
		}
		exp := 0
		for ; i < len(b) && b[i] >= '0' && b[i] <= '9'; i++ {
			exp++
		}
		if exp == 0 {
			return false
		}
	}
	return i == len(b)
}

// scanBulk checks the header of the bulk element ('$', '=', '!') at
// w[pos] and returns the offset after its data and CRLF, which may lie
// past the end of w (more bytes are needed then).
func (s *replyScanner) scanBulk(w []byte, pos int) (int, error) {
	t := w[pos]
	if pos+1 < len(w) && w[pos+1] == '?' {
		return 0, protoError(pos, msgStreamed)
	}
	digits, start, st := scanCount(w, pos+1)
	if err := lineErr(st, pos, t); err != nil {
		return 0, err
	}
	l, ok := parseInt(digits)
	switch {
	case ok && l == -1 && t == '$':
		return start, nil // null bulk string
	case !ok || l < 0:
		return 0, protoError(pos, msgInvalidBulk)
	case l > int64(s.maxBulk):
		return 0, limitError(pos, msgInvalidBulk)
	}
	end := start + int(l) + 2
	if end > len(w) {
		return end, nil
	}
	if w[end-2] != '\r' || w[end-1] != '\n' {
		return 0, protoError(end-2, msgExpectedCRLF)
	}
	if t == '=' && (l < 4 || w[start+3] != ':') {
		return 0, protoError(pos, msgInvalidVerbatim)
	}
	return end, nil
}

// scanAggregate checks the header of the aggregate ('*', '~', '%', '>',
// '|') at w[pos] and returns the offset after it and how many elements
// follow (maps and attributes count keys and values).
func (s *replyScanner) scanAggregate(w []byte, pos, remaining, depth int) (next, elems int, err error) {
	t := w[pos]
	if pos+1 < len(w) && w[pos+1] == '?' {
		return 0, 0, protoError(pos, msgStreamed)
	}
	digits, next, st := scanCount(w, pos+1)
	if err := lineErr(st, pos, t); err != nil {
		return 0, 0, err
	}
	count, ok := parseInt(digits)
	switch {
	case ok && count == -1 && t == '*':
		return next, 0, nil // RESP2 null array
	case !ok || count < 0:
		if t == '*' {
			return 0, 0, protoError(pos, msgInvalidMultibulk)
		}
		return 0, 0, protoError(pos, msgInvalidAggregate)
	case count > int64(s.maxArray):
		return 0, 0, limitError(pos, msgInvalidMultibulk)
	}
	elems = int(count)
	if t == '%' || t == '|' {
		elems *= 2
	}
	if next+minReply*(elems+s.pending(remaining, depth)) > s.maxFrame {
		return 0, 0, frameTooLarge(pos, s.maxFrame, false)
	}
	return next, elems, nil
}
