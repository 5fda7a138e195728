package redisproxy

import (
	"net/netip"
	"testing"
)

func TestParseRedirection(t *testing.T) {
	from := netip.MustParseAddrPort("10.0.0.1:7000")
	for _, tc := range []struct {
		raw  string
		ask  bool
		to   string
		fine bool
	}{
		{"-MOVED 3999 127.0.0.1:6381\r\n", false, "127.0.0.1:6381", true},
		{"-ASK 3999 127.0.0.1:6381\r\n", true, "127.0.0.1:6381", true},
		{"-MOVED 1 :6380\r\n", false, "10.0.0.1:6380", true},
		{"-MOVED 1 [::1]:6380\r\n", false, "[::1]:6380", true},
		{"-MOVED 1 redis-0.example:6380\r\n", false, "", false}, // host names are not followed
		{"-MOVED 16384 127.0.0.1:1\r\n", false, "", false},
		{"-MOVED 1 127.0.0.1:0\r\n", false, "", false},
		{"-MOVED 1\r\n", false, "", false},
		{"-ERR MOVED 1 127.0.0.1:1\r\n", false, "", false},
		{"+MOVED 1 127.0.0.1:1\r\n", false, "", false},
	} {
		rd, ok := parseRedirection([]byte(tc.raw), from)
		if ok != tc.fine || (ok && (rd.ask != tc.ask || rd.ap.String() != tc.to)) {
			t.Errorf("parseRedirection(%q) = %+v, %v; want ask=%v to=%s ok=%v", tc.raw, rd, ok, tc.ask, tc.to, tc.fine)
		}
	}
}
