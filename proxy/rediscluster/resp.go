package rediscluster

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strconv"
)

// Bounds of a discovery reply. CLUSTER SLOTS nests four deep (the reply,
// a slot range, a node, a node's metadata); a cluster has at most 16384
// ranges.
const (
	maxDepth    = 6
	maxElements = 1 << 20 // in the whole reply
	maxBulk     = 1 << 16 // one bulk string (a host name, a node id)
	maxLine     = 1 << 10
)

// errReply is wrapped by every malformed-reply error.
var errReply = errors.New("malformed reply")

// value is one decoded RESP2 reply element.
type value struct {
	kind  byte // '+', '-', ':', '$', '*'
	str   []byte
	num   int64
	elems []value
	null  bool
}

// reader decodes RESP2 replies from r within the bounds above.
type reader struct {
	r     *bufio.Reader
	elems int
}

// readValue reads one complete reply.
func readValue(r *bufio.Reader) (value, error) {
	rd := reader{r: r}
	return rd.value(0)
}

func (rd *reader) line() ([]byte, error) {
	var out []byte
	for {
		frag, err := rd.r.ReadSlice('\n')
		out = append(out, frag...)
		if len(out) > maxLine {
			return nil, fmt.Errorf("read reply: %w: line longer than %d bytes", errReply, maxLine)
		}
		if err == bufio.ErrBufferFull {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("read reply: %w", err)
		}
		if len(out) < 3 || out[len(out)-2] != '\r' {
			return nil, fmt.Errorf("read reply: %w: line not ended by CRLF", errReply)
		}
		return out[:len(out)-2], nil
	}
}

func (rd *reader) value(depth int) (value, error) {
	if depth > maxDepth {
		return value{}, fmt.Errorf("read reply: %w: nested deeper than %d", errReply, maxDepth)
	}
	if rd.elems++; rd.elems > maxElements {
		return value{}, fmt.Errorf("read reply: %w: more than %d elements", errReply, maxElements)
	}
	l, err := rd.line()
	if err != nil {
		return value{}, err
	}
	v := value{kind: l[0]}
	body := l[1:]
	switch v.kind {
	case '+', '-':
		v.str = append([]byte(nil), body...)
		return v, nil
	case ':':
		if v.num, err = strconv.ParseInt(string(body), 10, 64); err != nil {
			return value{}, fmt.Errorf("read reply: %w: integer %q", errReply, body)
		}
		return v, nil
	case '$':
		n, err := strconv.Atoi(string(body))
		switch {
		case err != nil || n < -1 || n > maxBulk:
			return value{}, fmt.Errorf("read reply: %w: bulk length %q", errReply, body)
		case n == -1:
			v.null = true
			return v, nil
		}
		buf := make([]byte, n+2)
		if _, err := io.ReadFull(rd.r, buf); err != nil {
			return value{}, fmt.Errorf("read reply: %w", err)
		}
		if buf[n] != '\r' || buf[n+1] != '\n' {
			return value{}, fmt.Errorf("read reply: %w: bulk string not ended by CRLF", errReply)
		}
		v.str = buf[:n]
		return v, nil
	case '*':
		n, err := strconv.Atoi(string(body))
		switch {
		case err != nil || n < -1 || n > maxElements:
			return value{}, fmt.Errorf("read reply: %w: array length %q", errReply, body)
		case n == -1:
			v.null = true
			return v, nil
		}
		v.elems = make([]value, 0, min(n, 1024))
		for range n {
			e, err := rd.value(depth + 1)
			if err != nil {
				return value{}, err
			}
			v.elems = append(v.elems, e)
		}
		return v, nil
	}
	return value{}, fmt.Errorf("read reply: %w: type byte %q", errReply, v.kind)
}
