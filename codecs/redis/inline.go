package redis

// Inline commands are one line of space-separated arguments, split the
// way Redis's sdssplitargs splits them:
//
//   - blanks (C isspace: space, \t, \n, \v, \f, \r) separate arguments;
//     an unquoted argument ends at a space, \t, \n or \r;
//   - "double quotes" take the escapes \xHH, \n, \r, \t, \b, \a and
//     \<any byte> (that byte); 'single quotes' take only \';
//   - a closing quote must be followed by a blank or the end of the line,
//     else the quotes are unbalanced; an unterminated quote is too;
//   - an argument may start unquoted and end quoted: foo"bar" is foobar;
//   - a NUL byte ends the line (Redis parses it as a C string).

// tokenKind says how an inline argument's value relates to its bytes.
type tokenKind uint8

const (
	// tokenPlain is unquoted: the value is the token's bytes.
	tokenPlain tokenKind = iota
	// tokenQuoted is one quoted section without escapes: the value is
	// the bytes between the quotes.
	tokenQuoted
	// tokenComplex has escapes or joins unquoted and quoted bytes: the
	// value must be decoded into new memory with appendUnquoted.
	tokenComplex
)

// token is one inline argument: line[start:end] holds it with its
// quotes; next is where scanning resumes.
type token struct {
	start, end, next int
	kind             tokenKind
}

// value returns the token's argument, aliasing line unless the token
// needs decoding.
func (t token) value(line []byte) []byte {
	switch t.kind {
	case tokenPlain:
		return line[t.start:t.end:t.end]
	case tokenQuoted:
		return line[t.start+1 : t.end-1 : t.end-1]
	}
	return appendUnquoted(nil, line[t.start:t.end])
}

func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r'
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

func hexVal(c byte) byte {
	switch {
	case c >= 'a':
		return c - 'a' + 10
	case c >= 'A':
		return c - 'A' + 10
	}
	return c - '0'
}

// at returns line[i], or 0 past the end: the C string view of the line.
func at(line []byte, i int) byte {
	if i < len(line) {
		return line[i]
	}
	return 0
}

// nextToken scans the argument at or after line[p]. found is false at
// the end of the line; bad reports unbalanced quotes.
func nextToken(line []byte, p int) (t token, found, bad bool) {
	for at(line, p) != 0 && isSpace(line[p]) {
		p++
	}
	if at(line, p) == 0 {
		return token{}, false, false
	}
	t.start = p
	var quote byte   // the open quote, or 0
	var plain bool   // unquoted bytes were seen
	var escaped bool // an escape was seen
	for {
		c := at(line, p)
		switch {
		case quote == '"':
			switch {
			case c == 0:
				return token{}, false, true
			case c == '\\' && at(line, p+1) == 'x' && isHex(at(line, p+2)) && isHex(at(line, p+3)):
				escaped = true
				p += 4
			case c == '\\' && at(line, p+1) != 0:
				escaped = true
				p += 2
			case c == '"':
				return closeQuote(line, t, p, plain, escaped)
			default:
				p++
			}
		case quote == '\'':
			switch {
			case c == 0:
				return token{}, false, true
			case c == '\\' && at(line, p+1) == '\'':
				escaped = true
				p += 2
			case c == '\'':
				return closeQuote(line, t, p, plain, escaped)
			default:
				p++
			}
		default:
			switch c {
			case 0, ' ', '\n', '\r', '\t':
				t.end, t.next = p, p
				t.kind = tokenPlain
				return t, true, false
			case '"', '\'':
				quote = c
			default:
				plain = true
			}
			p++
		}
	}
}

// closeQuote ends token t at the closing quote line[p].
func closeQuote(line []byte, t token, p int, plain, escaped bool) (token, bool, bool) {
	if c := at(line, p+1); c != 0 && !isSpace(c) {
		return token{}, false, true
	}
	t.end = p + 1
	t.next = t.end
	t.kind = tokenQuoted
	if plain || escaped {
		t.kind = tokenComplex
	}
	return t, true, false
}

// countTokens counts the arguments of an inline line; ok is false when
// its quotes are unbalanced.
func countTokens(line []byte) (n int, ok bool) {
	for p := 0; ; n++ {
		t, found, bad := nextToken(line, p)
		if bad {
			return 0, false
		}
		if !found {
			return n, true
		}
		p = t.next
	}
}

// appendUnquoted appends the value of tok, one complete inline argument
// as nextToken delimited it, decoding quotes and escapes.
func appendUnquoted(dst, tok []byte) []byte {
	var quote byte
	for p := 0; p < len(tok); {
		c := tok[p]
		switch {
		case quote == 0 && (c == '"' || c == '\''):
			quote = c
			p++
		case quote == 0:
			dst = append(dst, c)
			p++
		case c == quote:
			return dst
		case quote == '"' && c == '\\' && at(tok, p+1) == 'x' && isHex(at(tok, p+2)) && isHex(at(tok, p+3)):
			dst = append(dst, hexVal(tok[p+2])<<4|hexVal(tok[p+3]))
			p += 4
		case quote == '"' && c == '\\' && p+1 < len(tok):
			dst = append(dst, unescape(tok[p+1]))
			p += 2
		case quote == '\'' && c == '\\' && at(tok, p+1) == '\'':
			dst = append(dst, '\'')
			p += 2
		default:
			dst = append(dst, c)
			p++
		}
	}
	return dst
}

func unescape(c byte) byte {
	switch c {
	case 'n':
		return '\n'
	case 'r':
		return '\r'
	case 't':
		return '\t'
	case 'b':
		return '\b'
	case 'a':
		return '\a'
	}
	return c
}

// inlineLine returns the command line of an inline request frame: the
// bytes before its line feed, without a trailing carriage return.
func inlineLine(raw []byte) []byte {
	for i, c := range raw {
		if c == '\n' {
			raw = raw[:i]
			break
		}
	}
	if n := len(raw); n > 0 && raw[n-1] == '\r' {
		raw = raw[:n-1]
	}
	return raw
}
