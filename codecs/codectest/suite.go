package codectest

import (
	"fmt"
	"testing"

	"github.com/sidewire/sidewire/codecs"
)

// Sample is one frame as it appears on the wire and what decoding it
// must produce.
type Sample struct {
	Name string
	Wire []byte
	Kind codecs.Kind
	ID   uint64
	// Attrs must equal the decoded attributes (Protocol included).
	Attrs codecs.Attributes
}

// SniffCase is a connection prefix and the verdict Codec.Sniff must give.
type SniffCase struct {
	Name  string
	Bytes []byte
	Want  codecs.SniffResult
}

// Side selects which per-connection codec decodes an input.
type Side uint8

// Sides.
const (
	// Server decodes what clients send (requests).
	Server Side = iota
	// Client decodes what servers send (responses).
	Client
)

// Invalid is an input that must fail with a *codecs.ProtocolError once
// complete (its prefixes may ask for more bytes).
type Invalid struct {
	Name string
	Wire []byte
	Side Side
}

// Suite describes a codec to the conformance checks.
type Suite struct {
	Codec  codecs.Codec
	Limits codecs.Limits
	// Requests are frames clients send, decoded by the ServerCodec and
	// re-encoded by ClientCodec.AppendRequest. Include events clients
	// may send (heartbeats) and one-way requests.
	Requests []Sample
	// Responses are frames servers send, decoded by the ClientCodec and
	// re-encoded by ServerCodec.AppendResponse. Include server events.
	Responses []Sample
	Sniff     []SniffCase
	Invalid   []Invalid
	// DecodeAllocs is the allocation budget of one Decode (default 0).
	DecodeAllocs float64
	// RewriteID is the id multiplexed round trips rewrite to (default
	// 0x0123456789abcdef).
	RewriteID uint64
}

func (s *Suite) rewriteID() uint64 {
	if s.RewriteID != 0 {
		return s.RewriteID
	}
	return 0x0123456789abcdef
}

// validate reports a suite that cannot check anything useful.
func (s *Suite) validate() error {
	switch {
	case s.Codec == nil:
		return fmt.Errorf("suite has no codec")
	case s.Codec.Name() == "":
		return fmt.Errorf("codec has an empty name")
	case s.Codec.Mode() < codecs.Pipeline || s.Codec.Mode() > codecs.Bound:
		return fmt.Errorf("codec %s has invalid pool mode %d", s.Codec.Name(), s.Codec.Mode())
	case len(s.Requests) == 0 || len(s.Responses) == 0:
		return fmt.Errorf("suite needs request and response samples")
	case len(s.Sniff) == 0:
		return fmt.Errorf("suite needs sniff cases")
	}
	names := map[string]bool{}
	for _, set := range [][]Sample{s.Requests, s.Responses} {
		for _, smp := range set {
			if names[smp.Name] || len(smp.Wire) == 0 {
				return fmt.Errorf("sample %q: duplicate name or empty wire", smp.Name)
			}
			names[smp.Name] = true
		}
	}
	return nil
}

// decodeFunc is one side's Decode.
type decodeFunc func(b []byte) (codecs.Frame, int, error)

func (s *Suite) decoder(side Side) decodeFunc {
	l := s.Limits.WithDefaults()
	if side == Server {
		return s.Codec.NewServerCodec(l).Decode
	}
	return s.Codec.NewClientCodec(l).Decode
}

// Run runs every conformance check as subtests of t.
func Run(t *testing.T, s Suite) {
	if err := s.validate(); err != nil {
		t.Fatalf("invalid suite: %v", err)
	}
	t.Run("decode", func(t *testing.T) { checkDecode(t, &s) })
	t.Run("roundtrip", func(t *testing.T) { checkRoundTrip(t, &s) })
	t.Run("truncated", func(t *testing.T) { checkTruncated(t, &s) })
	t.Run("stream", func(t *testing.T) { checkStream(t, &s) })
	t.Run("limits", func(t *testing.T) { checkLimits(t, &s) })
	t.Run("sniff", func(t *testing.T) { checkSniff(t, &s) })
	t.Run("invalid", func(t *testing.T) { checkInvalid(t, &s) })
	t.Run("allocs", func(t *testing.T) { checkAllocs(t, &s) })
}

// RunChecks runs every conformance check on tb without subtests, for
// callers that collect failures themselves.
func RunChecks(tb testing.TB, s Suite) {
	if err := s.validate(); err != nil {
		tb.Errorf("invalid suite: %v", err)
		return
	}
	for _, check := range []func(testing.TB, *Suite){
		checkDecode, checkRoundTrip, checkTruncated, checkStream,
		checkLimits, checkSniff, checkInvalid, checkAllocs,
	} {
		check(tb, &s)
	}
}
