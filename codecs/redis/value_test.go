package redis

import (
	"fmt"
	"strconv"
)

// value is a parsed reply, for tests only: the codec itself never
// builds trees.
type value struct {
	typ   byte // RESP type byte
	str   string
	num   int64
	null  bool
	elems []value // aggregates; maps and attributes hold k, v, k, v
	attrs []value // attributes preceding the value
}

// parseValue parses one reply at the start of b, recursively.
func parseValue(b []byte) (value, int, error) {
	if len(b) == 0 {
		return value{}, 0, fmt.Errorf("parse value: empty input")
	}
	line := func() (string, int, error) {
		for i := 1; i+1 < len(b); i++ {
			if b[i] == '\r' && b[i+1] == '\n' {
				return string(b[1:i]), i + 2, nil
			}
		}
		return "", 0, fmt.Errorf("parse value: no CRLF in %q", b)
	}
	s, n, err := line()
	if err != nil {
		return value{}, 0, err
	}
	v := value{typ: b[0]}
	switch b[0] {
	case '+', '-', ',', '(', '#':
		v.str = s
		return v, n, nil
	case '_':
		v.null = true
		return v, n, nil
	case ':':
		v.num, err = strconv.ParseInt(s, 10, 64)
		v.str = s
		return v, n, err
	case '$', '=', '!':
		l, err := strconv.Atoi(s)
		if err != nil {
			return value{}, 0, err
		}
		if l < 0 {
			v.null = true
			return v, n, nil
		}
		if n+l+2 > len(b) {
			return value{}, 0, fmt.Errorf("parse value: short bulk")
		}
		v.str = string(b[n : n+l])
		return v, n + l + 2, nil
	case '*', '~', '%', '>', '|':
		count, err := strconv.Atoi(s)
		if err != nil {
			return value{}, 0, err
		}
		if count < 0 {
			v.null = true
			return v, n, nil
		}
		if b[0] == '%' || b[0] == '|' {
			count *= 2
		}
		for range count {
			e, m, err := parseValue(b[n:])
			if err != nil {
				return value{}, 0, err
			}
			v.elems = append(v.elems, e)
			n += m
		}
		if b[0] == '|' {
			inner, m, err := parseValue(b[n:])
			if err != nil {
				return value{}, 0, err
			}
			inner.attrs = v.elems
			return inner, n + m, nil
		}
		return v, n, nil
	}
	return value{}, 0, fmt.Errorf("parse value: type %q", b[0])
}

// field returns the value of key in a map or a flat key/value array.
func (v value) field(key string) (value, bool) {
	for i := 0; i+1 < len(v.elems); i += 2 {
		if v.elems[i].str == key {
			return v.elems[i+1], true
		}
	}
	return value{}, false
}

// strings returns the string elements of an aggregate.
func (v value) strings() []string {
	out := make([]string, 0, len(v.elems))
	for _, e := range v.elems {
		out = append(out, e.str)
	}
	return out
}
