package redis

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/sidewire/sidewire/codecs"
	"github.com/sidewire/sidewire/codecs/codectest"
)

var fuzzSuite = suite()

// prefixChecks bounds how many strict prefixes of a decoded frame the
// fuzzers decode (all of them for short frames, evenly spaced ones for
// longer), to keep each run fast: slow runs make the fuzzer's input
// minimization stall.
const prefixChecks = 64

// maxSeed bounds the golden frames used as seeds, for the same reason.
const maxSeed = 1024

func FuzzDecodeRequest(f *testing.F) {
	for _, s := range fuzzSuite.Requests {
		f.Add(s.Wire)
	}
	for _, in := range fuzzSuite.Invalid {
		if in.Side == codectest.Server {
			f.Add(in.Wire)
		}
	}
	for _, args := range [][]string{
		{"SET", "k", "v", "EX", "10"}, {"MSET", "a", "1", "b", "2"}, {"EVAL", "return 1", "1", "k"},
		{"XREADGROUP", "GROUP", "g", "c", "STREAMS", "s", "0"}, {"SORT", "k", "STORE", "d"},
		{"MIGRATE", "h", "1", "", "0", "5", "KEYS", "a", "b"}, {"CLIENT", "SETINFO", "lib-name", "x"},
	} {
		f.Add(AppendCommandString(nil, args...))
	}
	f.Add([]byte(`SET "a\x41\n" 'b\'c' d"e f"` + "\r\nGET x\n"))
	f.Add(append(AppendCommandString(nil, "GET", "a"), "PING\r\n*0\r\n"...))
	f.Fuzz(func(t *testing.T, b []byte) {
		codectest.CheckArbitrary(t, fuzzSuite, b)
		sc := NewServerCodec(Limits{}, defaultCodecLimits)
		fr, n, err := sc.Decode(b)
		if !checkOutcome(t, sc.Decode, b, n, err) {
			return
		}
		checkRequest(t, sc, &fr)
	})
}

func FuzzDecodeReply(f *testing.F) {
	for _, s := range fuzzSuite.Responses {
		f.Add(s.Wire)
	}
	for _, in := range fuzzSuite.Invalid {
		if in.Side == codectest.Client {
			f.Add(in.Wire)
		}
	}
	golden, _ := filepath.Glob(filepath.Join("testdata", "*.resp"))
	for _, name := range golden {
		stream, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		cc := NewClientCodec(Limits{}, defaultCodecLimits)
		for len(stream) > 0 {
			_, n, err := cc.Decode(stream)
			if err != nil {
				f.Fatalf("golden %s: %v", name, err)
			}
			if n <= maxSeed {
				f.Add(stream[:n])
			}
			stream = stream[n:]
		}
	}
	for _, p := range []Proto{RESP2, RESP3} {
		b := AppendMap(nil, 2, p)
		b = AppendBulkString(AppendDouble(b, 1.5, p), "k")
		b = AppendBool(AppendSet(b, 1, p), true, p)
		f.Add(AppendVerbatim(AppendPush(nil, 2, p), "txt", []byte("x"), p))
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		codectest.CheckArbitrary(t, fuzzSuite, b)
		cc := NewClientCodec(Limits{}, defaultCodecLimits)
		fr, n, err := cc.Decode(b)
		if !checkOutcome(t, cc.Decode, b, n, err) {
			return
		}
		// An independent recursive parser must agree on the frame's end.
		if _, m, err := parseValue(fr.Raw); err != nil || m != n {
			t.Errorf("reference parser on %q: n=%d err=%v, decoder n=%d", fr.Raw, m, err, n)
		}
		if st := fr.Attrs.Status; st != codecs.StatusOK && st != codecs.StatusError {
			t.Errorf("reply status %s", st)
		}
	})
}

// checkOutcome checks the result of decoding b and reports whether a
// frame was decoded.
func checkOutcome(t *testing.T, dec func([]byte) (codecs.Frame, int, error), b []byte, n int, err error) bool {
	t.Helper()
	var pe *codecs.ProtocolError
	switch {
	case err == codecs.ErrNeedMore:
		return false
	case err != nil:
		if _, ok := ErrorText(err); !ok || !errors.As(err, &pe) || pe.Protocol != Name {
			t.Errorf("error %v on %q is not a redis protocol error", err, b)
		}
		return false
	}
	step := max(1, n/prefixChecks)
	for i := n - 1; i >= 0; i -= step {
		if _, _, err := dec(bytes.Clone(b[:i])); err != codecs.ErrNeedMore {
			t.Errorf("prefix %d of frame %q: %v, want ErrNeedMore", i, b[:n], err)
			break
		}
	}
	return true
}

// checkRequest checks a decoded request against its arguments.
func checkRequest(t *testing.T, sc *ServerCodec, fr *codecs.Frame) {
	t.Helper()
	args := ArgsOf(fr.Raw)
	if fr.Kind == codecs.KindOneWay {
		if args.Len() != 0 || fr.Attrs.Method != nil {
			t.Errorf("empty command %q has %d arguments, method %q", fr.Raw, args.Len(), fr.Attrs.Method)
		}
		return
	}
	var all [][]byte
	for v, ok := args.Next(); ok; v, ok = args.Next() {
		all = append(all, v)
	}
	if len(all) == 0 || len(all) != args.Len() || !bytes.Equal(all[0], fr.Attrs.Method) {
		t.Fatalf("request %q: %d of %d arguments, method %q", fr.Raw, len(all), args.Len(), fr.Attrs.Method)
	}
	again := AppendCommand(nil, all...)
	if fr.Raw[0] == '*' && !bytes.Equal(again, fr.Raw) {
		t.Errorf("request %q re-encodes from its arguments as %q", fr.Raw, again)
	}
	g, _, err := sc.Decode(again)
	if err != nil || !g.Attrs.Equal(&fr.Attrs) {
		t.Errorf("request %q re-encoded as multibulk decodes to %s (err %v), want %s", fr.Raw, g.Attrs.String(), err, fr.Attrs.String())
	}
}

// TestGoldenReplies decodes the reply streams captured from redis-server
// (go test -run TestLiveReplies -update rewrites them).
func TestGoldenReplies(t *testing.T) {
	for _, proto := range []int{2, 3} {
		name := filepath.Join("testdata", "resp"+string(rune('0'+proto))+"-replies.resp")
		stream, err := os.ReadFile(name)
		if err != nil {
			t.Fatalf("read golden stream: %v", err)
		}
		want := 0
		for _, lc := range liveCases(proto) {
			want += len(lc.frames)
		}
		cc := NewClientCodec(Limits{}, defaultCodecLimits)
		got := 0
		for rest := stream; len(rest) > 0; got++ {
			_, n, err := cc.Decode(rest)
			if err != nil {
				t.Fatalf("%s frame %d: %v", name, got, err)
			}
			rest = rest[n:]
		}
		if got != want {
			t.Errorf("%s: %d frames, want %d", name, got, want)
		}
	}
}
