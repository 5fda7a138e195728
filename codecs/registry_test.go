package codecs_test

import (
	"bytes"
	"sync"
	"testing"

	"github.com/sidewire/sidewire/codecs"
	"github.com/sidewire/sidewire/internal/lenframe"
)

// prefixCodec matches connections starting with its magic; it only
// sniffs, its constructors are never called here.
type prefixCodec struct {
	codecs.Codec
	name, magic string
}

func (c prefixCodec) Name() string { return c.name }

func (c prefixCodec) Sniff(b []byte) codecs.SniffResult {
	n := min(len(b), len(c.magic))
	switch {
	case !bytes.Equal(b[:n], []byte(c.magic[:n])):
		return codecs.NoMatch
	case n < len(c.magic):
		return codecs.NeedMore
	}
	return codecs.Match
}

func TestRegistrySniff(t *testing.T) {
	r := codecs.NewRegistry()
	lp, lm := lenframe.New(lenframe.Pipelined), lenframe.New(lenframe.Multiplexed)
	long := prefixCodec{name: "long", magic: "0123456789"}
	for _, c := range []codecs.Codec{lp, lm, long} {
		if err := r.Register(c); err != nil {
			t.Fatalf("Register(%s): %v", c.Name(), err)
		}
	}
	r.SetSniffLimit(8)
	req := lenframe.Multiplexed.AppendRequest(nil, 1, 1, "GET", "k", "")
	for _, tc := range []struct {
		name string
		in   []byte
		want codecs.SniffResult
		c    codecs.Codec
	}{
		{"empty", nil, codecs.NeedMore, nil},
		{"ambiguous L", []byte("L"), codecs.NeedMore, nil},
		{"mux request", req, codecs.Match, lm},
		{"garbage", []byte("zzz"), codecs.NoMatch, nil},
		{"long prefix below limit", []byte("0123"), codecs.NeedMore, nil},
		{"long prefix at limit", []byte("01234567"), codecs.NoMatch, nil},
		{"long match beyond limit", []byte("0123456789"), codecs.NoMatch, nil},
	} {
		c, res := r.Sniff(tc.in)
		if res != tc.want || c != tc.c {
			t.Errorf("%s: Sniff = %v, %v; want %v, %v", tc.name, c, res, tc.want, tc.c)
		}
	}
	if r.SniffLimit() != 8 {
		t.Errorf("SniffLimit = %d, want 8", r.SniffLimit())
	}
}

func TestRegistryRegister(t *testing.T) {
	r := codecs.NewRegistry()
	if r.SniffLimit() != codecs.DefaultSniffLimit {
		t.Fatalf("default sniff limit = %d", r.SniffLimit())
	}
	lp := lenframe.New(lenframe.Pipelined)
	if err := r.Register(lp); err != nil {
		t.Fatal(err)
	}
	if err := r.Register(lenframe.New(lenframe.Pipelined)); err == nil {
		t.Fatalf("duplicate name registered")
	}
	if err := r.Register(prefixCodec{name: ""}); err == nil {
		t.Fatalf("empty name registered")
	}
	if err := r.Register(nil); err == nil {
		t.Fatalf("nil codec registered")
	}
	if c, ok := r.Lookup("lenframe"); !ok || c != lp {
		t.Fatalf("Lookup(lenframe) = %v, %v", c, ok)
	}
	if _, ok := r.Lookup("nope"); ok {
		t.Fatalf("Lookup of a missing name reported ok")
	}
	cs := r.Codecs()
	cs[0] = nil // the returned slice is a copy
	if r.Codecs()[0] != lp {
		t.Fatalf("Codecs() exposed the registry's slice")
	}
}

func TestRegistryConcurrentRegisterAndSniff(t *testing.T) {
	r := codecs.NewRegistry()
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(2)
		go func() {
			defer wg.Done()
			if err := r.Register(prefixCodec{name: string(rune('a' + i)), magic: "m" + string(rune('a'+i))}); err != nil {
				t.Errorf("Register: %v", err)
			}
		}()
		go func() {
			defer wg.Done()
			r.Sniff([]byte("mx"))
		}()
	}
	wg.Wait()
	if n := len(r.Codecs()); n != 8 {
		t.Fatalf("registered %d codecs concurrently, want 8", n)
	}
}
