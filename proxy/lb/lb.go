package lb

import (
	"errors"
	"fmt"
	"sync/atomic"

	"github.com/sidewire/sidewire/proxy/config"
)

// Picker chooses one host. Pick returns an index into the host slice the
// picker was built from, or -1 when it holds no hosts. hash is used by the
// hash policies (RING_HASH, MAGLEV) when hasHash is true; the other
// policies ignore it. Pick is safe for concurrent use and does not allocate.
type Picker interface {
	Pick(hash uint64, hasHash bool) int
	// Len is the number of hosts the picker was built from.
	Len() int
}

// Weighted is one host as a picker sees it.
type Weighted struct {
	// Key identifies the host to the hash policies, normally its address
	// ("10.0.0.1:80"). Keys should be unique within one picker.
	Key string
	// Weight is the load balancing weight; 0 counts as 1.
	Weight uint32
	// Active is the host's active request count, read by LEAST_REQUEST on
	// every pick; nil counts as 0. The picker never writes it.
	Active *atomic.Int64
}

func (w Weighted) weight() uint64 {
	if w.Weight == 0 {
		return 1
	}
	return uint64(w.Weight)
}

func (w Weighted) active() int64 {
	if w.Active == nil {
		return 0
	}
	return w.Active.Load()
}

// Defaults (Envoy's).
const (
	DefaultChoiceCount       = 2
	DefaultActiveRequestBias = 1.0
	DefaultRingMinSize       = 1024
	DefaultRingMaxSize       = 8 * 1024 * 1024
	DefaultMaglevTableSize   = 65537
	// MaxMaglevTableSize bounds the table (Envoy's limit).
	MaxMaglevTableSize = 5000011
)

// Options tune the policies; the zero value means Envoy's defaults.
type Options struct {
	// ChoiceCount is LEAST_REQUEST's number of random candidates (0 = 2).
	ChoiceCount uint32
	// ActiveRequestBias is LEAST_REQUEST's exponent on active requests
	// when weights differ; nil means 1.0, 0 ignores active requests.
	ActiveRequestBias *float64
	// RingMinSize and RingMaxSize bound the RING_HASH ring (0 = defaults).
	RingMinSize, RingMaxSize uint64
	// MaglevTableSize is the MAGLEV table size, a prime (0 = 65537).
	MaglevTableSize uint64
}

// OptionsFor returns the picker options a cluster config asks for.
func OptionsFor(c *config.Cluster) Options {
	return Options{
		ChoiceCount:     c.LeastRequestChoices,
		RingMinSize:     c.RingMinSize,
		RingMaxSize:     c.RingMaxSize,
		MaglevTableSize: c.MaglevTableSize,
	}
}

// ErrInvalidOptions is wrapped by every option validation error.
var ErrInvalidOptions = errors.New("invalid load balancer options")

func (o Options) withDefaults() Options {
	if o.ChoiceCount == 0 {
		o.ChoiceCount = DefaultChoiceCount
	}
	if o.ActiveRequestBias == nil {
		b := DefaultActiveRequestBias
		o.ActiveRequestBias = &b
	}
	if o.RingMinSize == 0 {
		o.RingMinSize = DefaultRingMinSize
	}
	if o.RingMaxSize == 0 {
		o.RingMaxSize = DefaultRingMaxSize
	}
	if o.MaglevTableSize == 0 {
		o.MaglevTableSize = DefaultMaglevTableSize
	}
	return o
}

// Validate checks the options that policy uses.
func (o Options) Validate(policy config.LBPolicy) error {
	o = o.withDefaults()
	switch policy {
	case config.RoundRobin, config.Random:
		return nil
	case config.LeastRequest:
		if o.ChoiceCount < 2 {
			return fmt.Errorf("%w: least request choice_count %d < 2", ErrInvalidOptions, o.ChoiceCount)
		}
		if b := *o.ActiveRequestBias; b < 0 || b != b {
			return fmt.Errorf("%w: active_request_bias %v must be >= 0", ErrInvalidOptions, b)
		}
		return nil
	case config.RingHash:
		if o.RingMaxSize > DefaultRingMaxSize {
			return fmt.Errorf("%w: ring hash maximum_ring_size %d > %d", ErrInvalidOptions, o.RingMaxSize, DefaultRingMaxSize)
		}
		if o.RingMinSize > o.RingMaxSize {
			return fmt.Errorf("%w: ring hash minimum_ring_size %d > maximum_ring_size %d", ErrInvalidOptions, o.RingMinSize, o.RingMaxSize)
		}
		return nil
	case config.Maglev:
		if o.MaglevTableSize > MaxMaglevTableSize || !isPrime(o.MaglevTableSize) {
			return fmt.Errorf("%w: maglev table_size %d must be a prime <= %d", ErrInvalidOptions, o.MaglevTableSize, MaxMaglevTableSize)
		}
		return nil
	}
	return fmt.Errorf("%w: unknown policy %v", ErrInvalidOptions, policy)
}

// New builds a picker for policy over hosts. It copies what it needs from
// hosts; the caller may reuse the slice afterwards. An empty hosts slice
// gives a picker that always returns -1.
func New(policy config.LBPolicy, hosts []Weighted, opts Options) (Picker, error) {
	if err := opts.Validate(policy); err != nil {
		return nil, err
	}
	opts = opts.withDefaults()
	if len(hosts) == 0 {
		return empty{}, nil
	}
	switch policy {
	case config.RoundRobin:
		return newRoundRobin(hosts), nil
	case config.LeastRequest:
		return newLeastRequest(hosts, int(opts.ChoiceCount), *opts.ActiveRequestBias), nil
	case config.Random:
		return newRandom(hosts), nil
	case config.RingHash:
		return newRingHash(hosts, opts.RingMinSize, opts.RingMaxSize), nil
	default: // config.Maglev; Validate rejected the rest
		return newMaglev(hosts, opts.MaglevTableSize), nil
	}
}

type empty struct{}

func (empty) Pick(uint64, bool) int { return -1 }
func (empty) Len() int              { return 0 }

var _ Picker = empty{}

// equalWeights reports whether every host has the same weight.
func equalWeights(hosts []Weighted) bool {
	for _, h := range hosts[1:] {
		if h.weight() != hosts[0].weight() {
			return false
		}
	}
	return true
}

func isPrime(n uint64) bool {
	if n < 2 {
		return false
	}
	for d := uint64(2); d*d <= n; d++ {
		if n%d == 0 {
			return false
		}
	}
	return true
}

// fastIndex maps a uniformly random 32-bit value to [0, n) without a
// division (Lemire's multiply-shift).
func fastIndex(r uint32, n int) int {
	return int(uint64(r) * uint64(n) >> 32)
}
