package lenframe

import (
	"bytes"
	"testing"

	"github.com/sidewire/sidewire/codecs"
	"github.com/sidewire/sidewire/codecs/codectest"
)

func TestConformancePipelined(t *testing.T)   { codectest.Run(t, Suite(Pipelined)) }
func TestConformanceMultiplexed(t *testing.T) { codectest.Run(t, Suite(Multiplexed)) }

func FuzzPipelined(f *testing.F)   { codectest.Fuzz(f, Suite(Pipelined)) }
func FuzzMultiplexed(f *testing.F) { codectest.Fuzz(f, Suite(Multiplexed)) }

func BenchmarkPipelined(b *testing.B)   { codectest.Benchmark(b, Suite(Pipelined)) }
func BenchmarkMultiplexed(b *testing.B) { codectest.Benchmark(b, Suite(Multiplexed)) }

func TestHeartbeatIsAnswered(t *testing.T) {
	for _, fl := range []Flavour{Pipelined, Multiplexed} {
		c := New(fl)
		cc := c.NewClientCodec(codecs.Limits{})
		hb := cc.AppendHeartbeat(nil, 42)
		ev, _, err := c.NewServerCodec(codecs.Limits{}).Decode(hb)
		if err != nil || ev.Kind != codecs.KindEvent {
			t.Fatalf("%s: heartbeat decodes as %v, %v", c.Name(), ev.Kind, err)
		}
		reply := c.NewServerCodec(codecs.Limits{}).AppendEventResponse(nil, &ev)
		f, _, err := cc.Decode(reply)
		if err != nil || f.Kind != codecs.KindEventReply || f.ID != ev.ID || !bytes.Equal(fl.Payload(f.Raw), []byte("ping")) {
			t.Fatalf("%s: heartbeat reply decodes as %v id %d, %v", c.Name(), f.Kind, f.ID, err)
		}
		push := fl.Append(nil, Header{Kind: codecs.KindEvent}, []byte("news"))
		pf, _, _ := cc.Decode(push)
		if out := cc.AppendEventResponse(nil, &pf); len(out) != 0 {
			t.Fatalf("%s: a push was answered with %q", c.Name(), out)
		}
	}
}

func TestErrorReplyCarriesRequestID(t *testing.T) {
	fl := Multiplexed
	sc := New(fl).NewServerCodec(codecs.Limits{})
	req, _, err := sc.Decode(fl.AppendRequest(nil, 99, 1, "GET", "k", ""))
	if err != nil {
		t.Fatal(err)
	}
	out := sc.AppendError(nil, &req, codecs.StatusUnavailable, "no upstream")
	f, _, err := New(fl).NewClientCodec(codecs.Limits{}).Decode(out)
	if err != nil || f.ID != 99 || f.Attrs.Status != codecs.StatusUnavailable || string(fl.Body(&f)) != "no upstream" {
		t.Fatalf("error reply = %s id %d body %q, %v", f.Attrs.String(), f.ID, fl.Body(&f), err)
	}
}
