package session

import (
	"context"
	"errors"
	"io"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sidewire/sidewire/codecs"
	"github.com/sidewire/sidewire/internal/leakcheck"
	"github.com/sidewire/sidewire/internal/lenframe"
)

// Heartbeats are answered by the session; the handler never sees them.
func TestClientHeartbeatAnsweredLocally(t *testing.T) {
	leakcheck.Check(t)
	fl := lenframe.Multiplexed
	var calls atomic.Int64
	h := HandlerFunc(func(_ context.Context, st *Stream) error {
		calls.Add(1)
		reply(fl, st)
		return nil
	})
	ss := start(t, fl, Config{Handler: h})
	hb := lenframe.New(fl).NewClientCodec(codecs.Limits{}).AppendHeartbeat(nil, 77)
	if err := ss.client.Send(hb); err != nil {
		t.Fatal(err)
	}
	select {
	case r := <-ss.client.Pushes():
		if r.Kind != codecs.KindEventReply || r.ID != 77 || r.Body != "ping" {
			t.Fatalf("heartbeat answered with %+v", r)
		}
	case <-time.After(callTimeout):
		t.Fatalf("heartbeat not answered")
	}
	if calls.Load() != 0 {
		t.Fatalf("handler saw the heartbeat")
	}
}

// One-way requests reach the handler and get no answer, without
// disturbing the order of later answers.
func TestOneWayGetsNoAnswer(t *testing.T) {
	leakcheck.Check(t)
	fl := lenframe.Pipelined
	var oneway atomic.Int64
	h := HandlerFunc(func(_ context.Context, st *Stream) error {
		if st.Request.Kind == codecs.KindOneWay {
			oneway.Add(1)
			return errors.New("ignored: one-way requests get no error reply")
		}
		reply(fl, st)
		return nil
	})
	ss := start(t, fl, Config{Handler: h})
	for i := 0; i < 5; i++ {
		if _, err := ss.client.Call("LOG", "k", "", 0, callTimeout); err != nil {
			t.Fatal(err)
		}
	}
	r, err := ss.client.Call("GET", "after", "", 1, callTimeout)
	expect(t, r, err, "GET", "after", "", 1)
	if oneway.Load() != 5 {
		t.Fatalf("handler saw %d one-way requests, want 5", oneway.Load())
	}
}

// Session values are created once, shared, and closed with the session.
func TestLoadOrCreate(t *testing.T) {
	leakcheck.Check(t)
	fl := lenframe.Multiplexed
	var created, closed atomic.Int64
	var fail atomic.Bool
	fail.Store(true)
	h := HandlerFunc(func(_ context.Context, st *Stream) error {
		v, err := st.Session().LoadOrCreate("upstream", func() (io.Closer, error) {
			created.Add(1)
			if fail.Swap(false) {
				return nil, errors.New("first dial fails")
			}
			return closerFunc(func() error { closed.Add(1); return nil }), nil
		})
		if err != nil {
			return err
		}
		if v == nil {
			return errors.New("nil value")
		}
		reply(fl, st)
		return nil
	})
	ss := start(t, fl, Config{Handler: h})
	r, err := ss.client.Call("GET", "first", "", 1, callTimeout)
	if err != nil || len(r) != 1 || r[0].Status != codecs.StatusInternal {
		t.Fatalf("first call (create fails) = %+v, %v", r, err)
	}
	var wg sync.WaitGroup
	for i := 0; i < 20; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r, err := ss.client.Call("GET", "k", "", 1, callTimeout)
			expect(t, r, err, "GET", "k", "", 1)
		}()
	}
	wg.Wait()
	if created.Load() != 2 {
		t.Fatalf("create called %d times, want 2 (one failure, one success)", created.Load())
	}
	ss.client.Close()
	ss.wait(t)
	if closed.Load() != 1 {
		t.Fatalf("value closed %d times at session end, want 1", closed.Load())
	}
}

type closerFunc func() error

func (f closerFunc) Close() error { return f() }
