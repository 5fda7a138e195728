package session

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sidewire/sidewire/codecs"
	"github.com/sidewire/sidewire/internal/leakcheck"
	"github.com/sidewire/sidewire/internal/lenframe"
	"github.com/sidewire/sidewire/internal/readbuf"
	"github.com/sidewire/sidewire/proxy/pool"
)

// With every handler blocked, the session stops reading at the buffer
// watermark instead of buffering everything the client sends.
func TestBufferLimitStopsReading(t *testing.T) {
	leakcheck.Check(t)
	fl := lenframe.Multiplexed
	const limit = 64 << 10
	release := make(chan struct{})
	h := HandlerFunc(func(_ context.Context, st *Stream) error {
		<-release
		reply(fl, st)
		return nil
	})
	ss := start(t, fl, Config{Handler: h, BufferLimit: limit})
	const n = 300
	body := strings.Repeat("b", 2000) // n*2 KB = 600 KB sent
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			key := fmt.Sprint(i)
			r, err := ss.client.Call("PUT", key, body, 1, callTimeout)
			expect(t, r, err, "PUT", key, body, 1)
		}()
	}
	// Let the session read all it will.
	prev := -1
	eventually(t, "reading to stop", func() bool {
		cur := ss.s.InFlight()
		stable := cur == prev && cur > 0
		prev = cur
		time.Sleep(20 * time.Millisecond)
		return stable
	})
	if held := ss.s.rd.Held(); held > limit+2*readbuf.DefaultChunkSize {
		t.Errorf("session holds %d read buffer bytes, watermark %d", held, limit)
	}
	if got := ss.s.InFlight(); got >= n {
		t.Errorf("all %d requests were read despite the watermark", got)
	}
	close(release)
	wg.Wait()
}

func TestMaxInFlight(t *testing.T) {
	leakcheck.Check(t)
	fl := lenframe.Multiplexed
	const max = 4
	var running, peak atomic.Int64
	release := make(chan struct{})
	h := HandlerFunc(func(_ context.Context, st *Stream) error {
		n := running.Add(1)
		for p := peak.Load(); n > p && !peak.CompareAndSwap(p, n); p = peak.Load() {
		}
		<-release
		running.Add(-1)
		reply(fl, st)
		return nil
	})
	ss := start(t, fl, Config{Handler: h, MaxInFlight: max})
	var wg sync.WaitGroup
	for i := 0; i < 20; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			key := fmt.Sprint(i)
			r, err := ss.client.Call("GET", key, "", 1, callTimeout)
			expect(t, r, err, "GET", key, "", 1)
		}()
	}
	eventually(t, "in-flight limit reached", func() bool { return running.Load() == max })
	time.Sleep(20 * time.Millisecond)
	if got := ss.s.InFlight(); got > max {
		t.Errorf("InFlight = %d, limit %d", got, max)
	}
	close(release)
	wg.Wait()
	if p := peak.Load(); p != max {
		t.Errorf("peak concurrent handlers %d, want %d", p, max)
	}
}

// A push is written after the answers already owed.
func TestPushFollowsOwedAnswers(t *testing.T) {
	leakcheck.Check(t)
	fl := lenframe.Pipelined
	push := fl.Append(nil, lenframe.Header{Kind: codecs.KindEvent}, []byte("news"))
	pf, _, err := lenframe.New(fl).NewClientCodec(codecs.Limits{}).Decode(push)
	if err != nil {
		t.Fatal(err)
	}
	h := HandlerFunc(func(_ context.Context, st *Stream) error {
		st.Session().Push(pool.Response{Frame: pf})
		reply(fl, st)
		return nil
	})
	ss := start(t, fl, Config{Handler: h})
	r, err := ss.client.Call("GET", "k", "", 1, callTimeout)
	expect(t, r, err, "GET", "k", "", 1)
	select {
	case p := <-ss.client.Pushes():
		if p.Kind != codecs.KindEvent || p.Body != "news" {
			t.Fatalf("push = %+v", p)
		}
	case <-time.After(callTimeout):
		t.Fatalf("push not written")
	}
	if got := ss.client.Arrivals(); len(got) != 2 || got[0] != codecs.KindResponse || got[1] != codecs.KindEvent {
		t.Fatalf("frames arrived as %v, want the owed response then the push", got)
	}
	ss.client.Close()
	ss.wait(t)
	ss.s.Push(pool.Response{Frame: pf}) // after the end: dropped, no panic
}
