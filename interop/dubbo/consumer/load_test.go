package consumer

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"time"
)

func TestSpecValidate(t *testing.T) {
	for _, tc := range []struct {
		spec Spec
		ok   bool
	}{
		{Spec{Calls: 1}, true},
		{Spec{Duration: time.Second}, true},
		{Spec{}, false},
		{Spec{Calls: -1}, false},
		{Spec{Calls: 1, Concurrency: -1}, false},
		{Spec{Calls: 1, Rate: -5}, false},
	} {
		if err := tc.spec.validate(); (err == nil) != tc.ok {
			t.Errorf("validate(%+v) = %v; want ok %v", tc.spec, err, tc.ok)
		}
	}
}

func TestMethodCallArguments(t *testing.T) {
	for _, tc := range []struct {
		method, arg string
		ok          bool
	}{
		{"Greet", "ann", true},
		{"Sleep", "10", true},
		{"Sleep", "ten", false},
		{"Add", "1,2", true},
		{"Add", "1", false},
		{"Add", "1,x", false},
		{"Fail", "", true},
		{"Attachment", "k", true},
		{"Nope", "", false},
	} {
		_, err := MethodCall(&Client{}, tc.method, tc.arg, nil)
		if (err == nil) != tc.ok {
			t.Errorf("MethodCall(%s, %q) = %v; want ok %v", tc.method, tc.arg, err, tc.ok)
		}
	}
}

// TestRunCounts drives the runner with a local function: counts, labels,
// error kinds and records add up.
func TestRunCounts(t *testing.T) {
	var n atomic.Int64
	call := func(context.Context) (string, error) {
		i := n.Add(1)
		switch {
		case i%10 == 0:
			return "", &CallError{Method: "Greet", Address: "x", Err: errors.New("boom")}
		case i%2 == 0:
			return "v2", nil
		}
		return "v1", nil
	}
	rep, err := Run(context.Background(), Spec{Calls: 1000, Concurrency: 4, Record: true}, call)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Calls != 1000 || rep.Errors != 100 || rep.OK != 900 {
		t.Errorf("calls %d ok %d errors %d; want 1000, 900, 100", rep.Calls, rep.OK, rep.Errors)
	}
	if rep.ByProvider["v1"] != 500 || rep.ByProvider["v2"] != 400 {
		t.Errorf("by provider %v; want v1 500, v2 400", rep.ByProvider)
	}
	if rep.ErrorKinds["boom"] != 100 {
		t.Errorf("error kinds %v; want boom: 100", rep.ErrorKinds)
	}
	if len(rep.Records) != 1000 {
		t.Errorf("%d records; want 1000", len(rep.Records))
	}
	for i := 1; i < len(rep.Records); i++ {
		if rep.Records[i].Start.Before(rep.Records[i-1].Start) {
			t.Fatalf("records not sorted by start at %d", i)
		}
	}
}

// TestRunRate checks open-loop pacing: 200 calls at 1000/s take about
// 200ms, and latency counts from the due time.
func TestRunRate(t *testing.T) {
	call := func(context.Context) (string, error) { return "v1", nil }
	rep, err := Run(context.Background(), Spec{Calls: 200, Concurrency: 2, Rate: 1000}, call)
	if err != nil {
		t.Fatal(err)
	}
	if rep.ElapsedSec < 0.19 || rep.ElapsedSec > 1 {
		t.Errorf("200 calls at 1000/s took %.3fs; want about 0.2s", rep.ElapsedSec)
	}
	// A stalled peer shows in the latency of the calls queued behind it.
	var first atomic.Bool
	stall := func(context.Context) (string, error) {
		if first.CompareAndSwap(false, true) {
			time.Sleep(100 * time.Millisecond)
		}
		return "v1", nil
	}
	rep, err = Run(context.Background(), Spec{Calls: 50, Concurrency: 1, Rate: 1000}, stall)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Latency.P50 < 40e3 {
		t.Errorf("p50 %.0fµs behind a 100ms stall at 1000/s; want the queueing counted (≥ 40ms)", rep.Latency.P50)
	}
}

func TestRunDurationStops(t *testing.T) {
	call := func(context.Context) (string, error) { time.Sleep(time.Millisecond); return "", nil }
	start := time.Now()
	rep, err := Run(context.Background(), Spec{Duration: 100 * time.Millisecond, Concurrency: 3}, call)
	if err != nil {
		t.Fatal(err)
	}
	if took := time.Since(start); took > time.Second || rep.Calls == 0 {
		t.Errorf("100ms run took %v with %d calls", took, rep.Calls)
	}
}

func TestCapKinds(t *testing.T) {
	m := map[string]int64{}
	for i := range maxErrorKinds + 5 {
		m[fmt.Sprintf("e%02d", i)] = int64(100 - i)
	}
	got := capKinds(m)
	if len(got) != maxErrorKinds+1 {
		t.Errorf("%d kinds kept; want %d plus other", len(got), maxErrorKinds)
	}
	var sum, want int64
	for _, v := range got {
		sum += v
	}
	for _, v := range m {
		want += v
	}
	if sum != want || got["e00"] != 100 {
		t.Errorf("capped kinds %v lose counts or the most frequent kind", got)
	}
}

func TestPercentiles(t *testing.T) {
	var d []time.Duration
	for i := 1; i <= 100; i++ {
		d = append(d, time.Duration(i)*time.Microsecond)
	}
	l := percentiles(d)
	if l.P50 != 50 || l.P99 != 99 || l.Max != 100 || l.Mean != 50.5 {
		t.Errorf("percentiles of 1..100µs: %+v", l)
	}
	if (percentiles(nil) != Latency{}) {
		t.Errorf("percentiles of nothing are not zero")
	}
}

func TestErrorKindUnwraps(t *testing.T) {
	err := fmt.Errorf("outer: %w", &CallError{Method: "m", Address: "a", Err: errors.New("inner  text\nhere")})
	if got := ErrorKind(err); got != "inner text here" {
		t.Errorf("ErrorKind = %q", got)
	}
}
