package session

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sidewire/sidewire/internal/leakcheck"
	"github.com/sidewire/sidewire/internal/lenframe"
)

// A pipelined session answers in request order although a later
// request's handler finishes first.
func TestPipelinedAnswersInRequestOrder(t *testing.T) {
	leakcheck.Check(t)
	fl := lenframe.Pipelined
	secondDone := make(chan struct{})
	h := HandlerFunc(func(_ context.Context, st *Stream) error {
		switch string(st.Request.Attrs.Key(0)) {
		case "first":
			<-secondDone // finish strictly after "second"
		case "second":
			defer close(secondDone)
		}
		reply(fl, st)
		return nil
	})
	ss := start(t, fl, Config{Handler: h})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		r, err := ss.client.Call("GET", "first", "", 1, callTimeout)
		expect(t, r, err, "GET", "first", "", 1)
	}()
	eventually(t, "first request in flight", func() bool { return ss.s.InFlight() == 1 })
	r, err := ss.client.Call("GET", "second", "", 1, callTimeout)
	expect(t, r, err, "GET", "second", "", 1)
	wg.Wait()
}

// A multiplexed session answers as soon as a request completes.
func TestMultiplexedAnswersAsTheyComplete(t *testing.T) {
	leakcheck.Check(t)
	fl := lenframe.Multiplexed
	release := make(chan struct{})
	h := HandlerFunc(func(_ context.Context, st *Stream) error {
		if string(st.Request.Attrs.Key(0)) == "slow" {
			<-release
		}
		reply(fl, st)
		return nil
	})
	ss := start(t, fl, Config{Handler: h})
	slow := make(chan error, 1)
	go func() {
		r, err := ss.client.Call("GET", "slow", "", 1, callTimeout)
		expect(t, r, err, "GET", "slow", "", 1)
		slow <- err
	}()
	eventually(t, "slow request in flight", func() bool { return ss.s.InFlight() == 1 })
	// The fast answer must arrive while the slow request still runs.
	r, err := ss.client.Call("GET", "fast", "", 1, callTimeout)
	expect(t, r, err, "GET", "fast", "", 1)
	close(release)
	<-slow
}

// Many concurrent callers with randomly slow handlers all get their own
// answers, in both modes, and requests expecting several or no answers
// keep the stream aligned.
func TestConcurrentCallsGetTheirAnswers(t *testing.T) {
	for _, fl := range []lenframe.Flavour{lenframe.Pipelined, lenframe.Multiplexed} {
		t.Run(lenframe.New(fl).Name(), func(t *testing.T) {
			leakcheck.Check(t)
			var seq, inversions atomic.Int64
			h := HandlerFunc(func(_ context.Context, st *Stream) error {
				mine := seq.Add(1)
				time.Sleep(time.Duration(rand.N(500)) * time.Microsecond)
				if seq.Load() != mine {
					inversions.Add(1)
				}
				reply(fl, st)
				return nil
			})
			ss := start(t, fl, Config{Handler: h})
			var wg sync.WaitGroup
			for g := 0; g < 8; g++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for i := 0; i < 50; i++ {
						key := fmt.Sprintf("g%d-%d", g, i)
						n := 1
						switch {
						case i%10 == 3 && fl == lenframe.Pipelined:
							n = 3
						case i%10 == 7:
							if _, err := ss.client.Call("LOG", key, "x", 0, callTimeout); err != nil {
								t.Errorf("one-way: %v", err)
							}
							continue
						}
						r, err := ss.client.Call("GET", key, "b", n, callTimeout)
						expect(t, r, err, "GET", key, "b", n)
					}
				}()
			}
			wg.Wait()
			if inversions.Load() == 0 {
				t.Fatalf("no handler finished out of order: the test did not exercise reordering")
			}
		})
	}
}
