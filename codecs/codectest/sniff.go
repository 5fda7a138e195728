package codectest

import (
	"fmt"
	"testing"

	"github.com/sidewire/sidewire/codecs"
)

func sniffSafe(c codecs.Codec, b []byte) (r codecs.SniffResult, panicked error) {
	defer func() {
		if p := recover(); p != nil {
			panicked = fmt.Errorf("sniff panicked: %v", p)
		}
	}()
	return c.Sniff(b), nil
}

// checkSniff checks each case, that no prefix of a match is rejected,
// that more bytes keep a match, and that no input matches empty.
func checkSniff(t testing.TB, s *Suite) {
	limit := codecs.DefaultSniffLimit
	for _, sc := range s.Sniff {
		got, p := sniffSafe(s.Codec, sc.Bytes)
		if p != nil || got != sc.Want {
			t.Errorf("sniff %s: %v (panic %v), want %v", sc.Name, got, p, sc.Want)
			continue
		}
		if sc.Want != codecs.Match {
			continue
		}
		if len(sc.Bytes) > limit {
			t.Errorf("sniff %s: matched only after %d bytes, more than the default limit %d", sc.Name, len(sc.Bytes), limit)
		}
		for i := range sc.Bytes {
			if r, p := sniffSafe(s.Codec, sc.Bytes[:i]); p != nil || r == codecs.NoMatch {
				t.Errorf("sniff %s[:%d]: %v (panic %v), want match or need_more for a prefix of a match", sc.Name, i, r, p)
			}
		}
		more := append(append([]byte(nil), sc.Bytes...), "\x00\xffmore"...)
		if r, p := sniffSafe(s.Codec, more); p != nil || r != codecs.Match {
			t.Errorf("sniff %s plus more bytes: %v (panic %v), want match", sc.Name, r, p)
		}
	}
	if r, p := sniffSafe(s.Codec, nil); p != nil || r == codecs.Match {
		t.Errorf("sniff of no bytes: %v (panic %v), want need_more or no_match", r, p)
	}
}
