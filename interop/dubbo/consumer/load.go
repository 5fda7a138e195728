package consumer

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/sidewire/sidewire/interop/dubbo/greeter"
)

// CallFunc makes one call and returns the label of the provider that
// served it ("" when the reply carries none).
type CallFunc func(ctx context.Context) (label string, err error)

// MethodCall returns a CallFunc calling method on c with the argument arg
// given as text: the name for Greet, milliseconds for Sleep, the key for
// Attachment, "a,b" for Add, nothing for Fail.
func MethodCall(c *Client, method, arg string, attachments map[string]string) (CallFunc, error) {
	switch method {
	case greeter.MethodGreet:
		return func(ctx context.Context) (string, error) {
			label, _, err := c.Greet(ctx, arg, attachments)
			return label, err
		}, nil
	case greeter.MethodSleep:
		ms, err := strconv.ParseInt(arg, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("parse Sleep argument: %w", err)
		}
		return func(ctx context.Context) (string, error) {
			label, _, err := c.Sleep(ctx, ms, attachments)
			return label, err
		}, nil
	case greeter.MethodAttachment:
		return func(ctx context.Context) (string, error) {
			label, _, err := c.Attachment(ctx, arg, attachments)
			return label, err
		}, nil
	case greeter.MethodFail:
		return func(ctx context.Context) (string, error) {
			return "", c.Fail(ctx, attachments)
		}, nil
	case greeter.MethodAdd:
		sa, sb, ok := strings.Cut(arg, ",")
		a, errA := strconv.ParseInt(strings.TrimSpace(sa), 10, 64)
		b, errB := strconv.ParseInt(strings.TrimSpace(sb), 10, 64)
		if !ok || errA != nil || errB != nil {
			return nil, fmt.Errorf("parse Add argument %q: want \"a,b\"", arg)
		}
		return func(ctx context.Context) (string, error) {
			sum, err := c.Add(ctx, a, b, attachments)
			if err == nil && sum != a+b {
				err = fmt.Errorf("add %d+%d: got %d", a, b, sum)
			}
			return "", err
		}, nil
	}
	return nil, fmt.Errorf("method %q: unknown (want Greet, Add, Sleep, Fail or Attachment)", method)
}

// Spec shapes a load run.
type Spec struct {
	// Calls is the number of calls to make; 0 runs for Duration.
	Calls int
	// Duration bounds the run when Calls is 0.
	Duration time.Duration
	// Concurrency is the number of callers (default 1).
	Concurrency int
	// Rate, when positive, paces calls at this many per second, open
	// loop: a call's latency counts from the moment it was due, so a
	// stalled peer shows in the tail instead of slowing the schedule.
	// Zero calls as fast as the callers can.
	Rate float64
	// Record keeps every call in Report.Records.
	Record bool
}

func (s Spec) validate() error {
	switch {
	case s.Calls < 0:
		return fmt.Errorf("validate load: negative call count %d", s.Calls)
	case s.Calls == 0 && s.Duration <= 0:
		return errors.New("validate load: neither a call count nor a duration")
	case s.Concurrency < 0:
		return fmt.Errorf("validate load: negative concurrency %d", s.Concurrency)
	case s.Rate < 0:
		return fmt.Errorf("validate load: negative rate %v", s.Rate)
	}
	return nil
}

// Record is one finished call.
type Record struct {
	Start, End time.Time
	Label      string
	Err        error
}

// Run makes the calls spec asks for and reports on them. It stops early,
// without error, when ctx ends.
func Run(ctx context.Context, spec Spec, call CallFunc) (*Report, error) {
	if err := spec.validate(); err != nil {
		return nil, err
	}
	n := max(spec.Concurrency, 1)
	runCtx := ctx
	if spec.Calls == 0 {
		var cancel context.CancelFunc
		runCtx, cancel = context.WithTimeout(ctx, spec.Duration)
		defer cancel()
	}
	due := make(chan time.Time, n)
	results := make([]*tally, n)
	var wg sync.WaitGroup
	start := time.Now()
	for i := range n {
		results[i] = newTally(spec.Record)
		wg.Add(1)
		go func(t *tally) {
			defer wg.Done()
			for at := range due {
				// The call itself is not bound by runCtx: a run that ends
				// lets its calls finish (each has its own timeout).
				label, err := call(context.WithoutCancel(ctx))
				t.add(at, time.Now(), label, err)
			}
		}(results[i])
	}
	schedule(runCtx, spec, start, due)
	close(due)
	wg.Wait()
	return newReport(results, time.Since(start)), nil
}

// schedule sends each call's due time to the callers until the count or
// the context runs out.
func schedule(ctx context.Context, spec Spec, start time.Time, due chan<- time.Time) {
	var interval time.Duration
	if spec.Rate > 0 {
		interval = time.Duration(float64(time.Second) / spec.Rate)
	}
	timer := time.NewTimer(0)
	defer timer.Stop()
	<-timer.C
	for i := 0; spec.Calls == 0 || i < spec.Calls; i++ {
		at := time.Now()
		if interval > 0 {
			at = start.Add(time.Duration(i) * interval)
			if wait := time.Until(at); wait > 0 {
				timer.Reset(wait)
				select {
				case <-timer.C:
				case <-ctx.Done():
					return
				}
			}
		}
		select {
		case due <- at:
		case <-ctx.Done():
			return
		}
	}
}
