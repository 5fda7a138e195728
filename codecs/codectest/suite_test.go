package codectest_test

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/sidewire/sidewire/codecs"
	"github.com/sidewire/sidewire/codecs/codectest"
	"github.com/sidewire/sidewire/internal/lenframe"
)

// The suite must pass a correct codec and catch each injected fault.

type fault int

const (
	healthy        fault = iota
	panicShort           // panics on inputs shorter than a header
	copyRaw              // returns a copy of the frame bytes
	wrapNeedMore         // wraps ErrNeedMore instead of returning it
	ignoreLength         // decodes whatever bytes are there as a frame
	keepID               // AppendRequest ignores the id to rewrite
	rejectPrefix         // Sniff says no_match for short prefixes
	allocate             // Decode allocates
	ignoreMaxFrame       // accepts frames over MaxFrameSize
	plainError           // returns a plain error for bad bytes
)

type faultyCodec struct {
	*lenframe.Codec
	fault fault
}

func (c faultyCodec) Sniff(b []byte) codecs.SniffResult {
	if c.fault == rejectPrefix && len(b) < 3 {
		return codecs.NoMatch
	}
	return c.Codec.Sniff(b)
}

func (c faultyCodec) NewServerCodec(l codecs.Limits) codecs.ServerCodec {
	if c.fault == ignoreMaxFrame {
		l.MaxFrameSize = 0
	}
	return faultyServer{c.Codec.NewServerCodec(l), c}
}

func (c faultyCodec) NewClientCodec(l codecs.Limits) codecs.ClientCodec {
	if c.fault == ignoreMaxFrame {
		l.MaxFrameSize = 0
	}
	return faultyClient{c.Codec.NewClientCodec(l), c}
}

func (c faultyCodec) decode(inner func([]byte) (codecs.Frame, int, error), b []byte) (codecs.Frame, int, error) {
	hl := c.Flavour().HeaderLen()
	switch {
	case c.fault == panicShort && len(b) < hl:
		_ = b[hl-1]
	case c.fault == ignoreLength && len(b) >= hl:
		return codecs.Frame{Raw: b, Kind: codecs.Kind(b[2])}, len(b), nil
	}
	f, n, err := inner(b)
	switch {
	case c.fault == copyRaw && err == nil:
		f.Raw = bytes.Clone(f.Raw)
	case c.fault == wrapNeedMore && err == codecs.ErrNeedMore:
		err = fmt.Errorf("short: %w", err)
	case c.fault == allocate && err == nil:
		f.Attrs.Method = []byte(string(f.Attrs.Method) + "")
		sink = append([]byte(nil), f.Raw...)
	case c.fault == plainError && err != nil && err != codecs.ErrNeedMore:
		err = fmt.Errorf("bad bytes")
	}
	return f, n, err
}

var sink []byte

type faultyServer struct {
	codecs.ServerCodec
	c faultyCodec
}

func (s faultyServer) Decode(b []byte) (codecs.Frame, int, error) {
	return s.c.decode(s.ServerCodec.Decode, b)
}

type faultyClient struct {
	codecs.ClientCodec
	c faultyCodec
}

func (s faultyClient) Decode(b []byte) (codecs.Frame, int, error) {
	return s.c.decode(s.ClientCodec.Decode, b)
}

func (s faultyClient) AppendRequest(dst []byte, req *codecs.Frame, id uint64) ([]byte, error) {
	if s.c.fault == keepID {
		id = req.ID
	}
	return s.ClientCodec.AppendRequest(dst, req, id)
}

// recorder collects failures instead of failing the test.
type recorder struct {
	testing.TB
	errs []string
}

func (r *recorder) Errorf(format string, args ...any) {
	r.errs = append(r.errs, fmt.Sprintf(format, args...))
}
func (r *recorder) Logf(string, ...any) {}
func (r *recorder) Helper()             {}

func TestSuiteCatchesFaults(t *testing.T) {
	for _, tc := range []struct {
		fault fault
		flav  lenframe.Flavour
		want  string // substring of some reported failure; "" means none
	}{
		{healthy, lenframe.Pipelined, ""},
		{healthy, lenframe.Multiplexed, ""},
		{panicShort, lenframe.Pipelined, "decode panicked"},
		{copyRaw, lenframe.Pipelined, "not the input's first"},
		{wrapNeedMore, lenframe.Pipelined, "want codecs.ErrNeedMore itself"},
		{ignoreLength, lenframe.Pipelined, "from a truncated sample"},
		{keepID, lenframe.Multiplexed, "after rewriting the id"},
		{rejectPrefix, lenframe.Pipelined, "prefix of a match"},
		{allocate, lenframe.Pipelined, "Decode allocates"},
		{ignoreMaxFrame, lenframe.Multiplexed, "ErrFrameTooLarge"},
		{plainError, lenframe.Pipelined, "want a *codecs.ProtocolError"},
	} {
		s := lenframe.Suite(tc.flav)
		s.Codec = faultyCodec{lenframe.New(tc.flav), tc.fault}
		r := &recorder{TB: t}
		codectest.RunChecks(r, s)
		got := strings.Join(r.errs, "\n")
		switch {
		case tc.want == "" && len(r.errs) > 0:
			t.Errorf("fault %d: suite failed a correct codec:\n%s", tc.fault, got)
		case tc.want != "" && !strings.Contains(got, tc.want):
			if tc.fault == allocate && raceBuild {
				continue // allocation checks are off under -race
			}
			t.Errorf("fault %d: suite reported %q, want a failure containing %q", tc.fault, got, tc.want)
		}
	}
}

func TestCheckArbitraryCatchesFaults(t *testing.T) {
	s := lenframe.Suite(lenframe.Pipelined)
	good := s.Requests[0].Wire
	for _, tc := range []struct {
		fault fault
		in    []byte
		want  string
	}{
		{healthy, good, ""},
		{healthy, []byte("garbage"), ""},
		{panicShort, good[:3], "panicked"},
		{copyRaw, good, "not the input's first"},
		{plainError, []byte("garbage"), "want a *codecs.ProtocolError"},
	} {
		s.Codec = faultyCodec{lenframe.New(lenframe.Pipelined), tc.fault}
		r := &recorder{TB: t}
		codectest.CheckArbitrary(r, s, tc.in)
		got := strings.Join(r.errs, "\n")
		if (tc.want == "") != (len(r.errs) == 0) || !strings.Contains(got, tc.want) {
			t.Errorf("fault %d on %q: reported %q, want %q", tc.fault, tc.in, got, tc.want)
		}
	}
}
