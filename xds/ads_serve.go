package xds

import (
	"context"
	"fmt"
	"sync"
	"time"

	"google.golang.org/protobuf/types/known/anypb"
)

// streamHandler is what serve needs of a stream of either protocol.
type streamHandler[R any] interface {
	// handle validates one response and ACKs or NACKs it.
	handle(res R) error
	// resubscribe brings the EDS subscription in line with the accepted
	// state and returns a channel closed when that state next changes.
	resubscribe() (<-chan struct{}, error)
}

// serve runs an open stream until it fails or ctx is done: responses are
// read on a goroutine of their own, so the subscription also follows
// changes from other sources (a cluster file adding an EDS cluster).
// cancel must cancel the stream's context; serve calls it and waits for
// its goroutine before returning. got reports whether a response arrived.
func serve[R any](ctx context.Context, cancel context.CancelFunc, c *ADSClient, recv func() (R, error), h streamHandler[R]) (got bool, err error) {
	type result struct {
		res R
		err error
	}
	results := make(chan result)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			res, err := recv()
			select {
			case results <- result{res, err}:
			case <-ctx.Done():
				return
			}
			if err != nil {
				return
			}
		}
	}()
	defer func() {
		cancel()
		wg.Wait()
	}()
	for {
		changed, err := h.resubscribe()
		if err != nil {
			return got, err
		}
		select {
		case r := <-results:
			if r.err != nil {
				return got, fmt.Errorf("receive ads response: %w", r.err)
			}
			if !got {
				got = true
				c.setConnected(true)
			}
			if err := h.handle(r.res); err != nil {
				return got, err
			}
		case <-changed:
		case <-ctx.Done():
			return got, ctx.Err()
		}
	}
}

// rejections counts consecutive rejections of one version per type, to
// space out the NACKs of a control plane that resends a bad version at
// once.
type rejections map[string]rejection

type rejection struct {
	version string
	n       int
}

// pause waits before a NACK of version of typ when the same version was
// the last one rejected: the n-th repeat waits Backoff's n-th delay.
func (r rejections) pause(ctx context.Context, b Backoff, typ, version string) error {
	rj := r[typ]
	if rj.version != version || rj.n == 0 {
		r[typ] = rejection{version: version, n: 1}
		return nil
	}
	t := time.NewTimer(b.delay(rj.n - 1))
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
	}
	rj.n++
	r[typ] = rj
	return nil
}

// items wraps the resources of a SotW response or a file.
func items(res []*anypb.Any) []resourceItem {
	out := make([]resourceItem, len(res))
	for i, a := range res {
		out[i] = resourceItem{res: a}
	}
	return out
}

// notSubscribed is the NACK of a response for a type this client takes
// from a file.
func notSubscribed(typ string) error {
	return fmt.Errorf("handle response: %s is not subscribed over ads (its config source is a path)", typ)
}
