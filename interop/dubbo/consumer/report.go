package consumer

import (
	"cmp"
	"errors"
	"maps"
	"slices"
	"strings"
	"time"
)

// maxErrorKinds caps the distinct error texts a report keeps; the rest
// count under "other".
const maxErrorKinds = 16

// Report summarises a load run. Latencies are of successful calls, in
// microseconds, measured from when each call was due.
type Report struct {
	Calls       int64            `json:"calls"`
	OK          int64            `json:"ok"`
	Errors      int64            `json:"errors"`
	ErrorKinds  map[string]int64 `json:"error_kinds,omitempty"`
	ByProvider  map[string]int64 `json:"by_provider,omitempty"`
	ElapsedSec  float64          `json:"elapsed_seconds"`
	CallsPerSec float64          `json:"calls_per_second"`
	Latency     Latency          `json:"latency_us"`
	// Records holds every call when the Spec asked for them.
	Records []Record `json:"-"`
}

// Latency holds percentiles in microseconds.
type Latency struct {
	P50  float64 `json:"p50"`
	P90  float64 `json:"p90"`
	P99  float64 `json:"p99"`
	P999 float64 `json:"p999"`
	Max  float64 `json:"max"`
	Mean float64 `json:"mean"`
}

// tally is one caller's results; merged into a Report at the end.
type tally struct {
	ok, errs   int64
	latencies  []time.Duration
	byProvider map[string]int64
	errKinds   map[string]int64
	records    []Record
	record     bool
}

func newTally(record bool) *tally {
	return &tally{byProvider: map[string]int64{}, errKinds: map[string]int64{}, record: record}
}

func (t *tally) add(start, end time.Time, label string, err error) {
	if t.record {
		t.records = append(t.records, Record{Start: start, End: end, Label: label, Err: err})
	}
	if err != nil {
		t.errs++
		t.errKinds[ErrorKind(err)]++
		return
	}
	t.ok++
	t.latencies = append(t.latencies, end.Sub(start))
	if label != "" {
		t.byProvider[label]++
	}
}

// ErrorKind is a short, bounded text for an error: the innermost error's
// message, cut at 120 bytes.
func ErrorKind(err error) string {
	for {
		u := errors.Unwrap(err)
		if u == nil {
			break
		}
		err = u
	}
	s := strings.Join(strings.Fields(err.Error()), " ")
	if len(s) > 120 {
		s = s[:120]
	}
	return s
}

func newReport(ts []*tally, elapsed time.Duration) *Report {
	r := &Report{ErrorKinds: map[string]int64{}, ByProvider: map[string]int64{}, ElapsedSec: elapsed.Seconds()}
	var lat []time.Duration
	for _, t := range ts {
		r.OK += t.ok
		r.Errors += t.errs
		lat = append(lat, t.latencies...)
		for k, v := range t.byProvider {
			r.ByProvider[k] += v
		}
		for k, v := range t.errKinds {
			r.ErrorKinds[k] += v
		}
		r.Records = append(r.Records, t.records...)
	}
	r.Calls = r.OK + r.Errors
	if elapsed > 0 {
		r.CallsPerSec = float64(r.Calls) / elapsed.Seconds()
	}
	r.ErrorKinds = capKinds(r.ErrorKinds)
	r.Latency = percentiles(lat)
	slices.SortFunc(r.Records, func(a, b Record) int { return a.Start.Compare(b.Start) })
	return r
}

// capKinds keeps the most frequent error kinds and folds the rest into
// "other".
func capKinds(m map[string]int64) map[string]int64 {
	if len(m) <= maxErrorKinds {
		return m
	}
	keys := slices.Collect(maps.Keys(m))
	slices.SortFunc(keys, func(a, b string) int { return cmp.Or(cmp.Compare(m[b], m[a]), strings.Compare(a, b)) })
	out := make(map[string]int64, maxErrorKinds+1)
	for i, k := range keys {
		if i < maxErrorKinds {
			out[k] = m[k]
		} else {
			out["other"] += m[k]
		}
	}
	return out
}

func percentiles(d []time.Duration) Latency {
	if len(d) == 0 {
		return Latency{}
	}
	slices.Sort(d)
	var sum time.Duration
	for _, x := range d {
		sum += x
	}
	at := func(q float64) float64 {
		i := int(q * float64(len(d)-1))
		return us(d[i])
	}
	return Latency{
		P50: at(0.50), P90: at(0.90), P99: at(0.99), P999: at(0.999),
		Max: us(d[len(d)-1]), Mean: us(sum / time.Duration(len(d))),
	}
}

func us(d time.Duration) float64 { return float64(d.Nanoseconds()) / 1e3 }
