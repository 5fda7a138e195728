package memtrim

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// mapping is one entry of /proc/PID/smaps, with the fields ReleaseCode
// needs.
type mapping struct {
	start, end uintptr
	perms      string // e.g. "r-xp"
	path       string
	rss        int64 // bytes resident
	anonymous  int64 // bytes of anonymous (copy-on-write) pages
}

// releasable reports whether m may be dropped: a private, unwritten,
// read-only mapping of exe with resident pages.
func (m mapping) releasable(exe string) bool {
	return m.path == exe && len(m.perms) == 4 &&
		m.perms[0] == 'r' && m.perms[1] == '-' && m.perms[3] == 'p' &&
		m.anonymous == 0 && m.rss > 0 && m.end > m.start
}

// parseSmaps reads the mappings of an smaps file.
func parseSmaps(r io.Reader) ([]mapping, error) {
	var ms []mapping
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 4096), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		f := strings.Fields(line)
		if len(f) == 0 {
			continue
		}
		if isHeader(f[0]) {
			m, err := parseHeader(f)
			if err != nil {
				return nil, err
			}
			ms = append(ms, m)
			continue
		}
		if len(ms) == 0 || len(f) < 2 {
			continue
		}
		switch f[0] {
		case "Rss:":
			ms[len(ms)-1].rss = kib(f[1])
		case "Anonymous:":
			ms[len(ms)-1].anonymous = kib(f[1])
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read smaps: %w", err)
	}
	return ms, nil
}

// isHeader reports whether a line's first field is an address range
// ("00400000-0101d000"), which starts a mapping's entry.
func isHeader(s string) bool {
	i := strings.IndexByte(s, '-')
	return i > 0 && !strings.HasSuffix(s, ":") && isHex(s[:i]) && isHex(s[i+1:])
}

func isHex(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range s {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

// parseHeader parses "start-end perms offset dev inode [path]".
func parseHeader(f []string) (mapping, error) {
	if len(f) < 5 {
		return mapping{}, fmt.Errorf("parse smaps: short mapping line %q", strings.Join(f, " "))
	}
	lo, hi, _ := strings.Cut(f[0], "-")
	start, err := strconv.ParseUint(lo, 16, 64)
	if err != nil {
		return mapping{}, fmt.Errorf("parse smaps: %w", err)
	}
	end, err := strconv.ParseUint(hi, 16, 64)
	if err != nil {
		return mapping{}, fmt.Errorf("parse smaps: %w", err)
	}
	m := mapping{start: uintptr(start), end: uintptr(end), perms: f[1]}
	if len(f) >= 6 {
		m.path = strings.Join(f[5:], " ")
	}
	return m, nil
}

// kib parses a "123" kB figure into bytes; garbage reads as 0.
func kib(s string) int64 {
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return 0
	}
	return n << 10
}
