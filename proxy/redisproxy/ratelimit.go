package redisproxy

import (
	"errors"
	"sync"
	"time"
)

// errConnectRate fails a dial over settings.connection_rate_limit.
var errConnectRate = errors.New("upstream connection rate limit reached")

// connectLimits are the per-cluster token buckets of
// settings.connection_rate_limit: each cluster may open that many
// upstream connections per second (bursts of as many).
type connectLimits struct {
	rate float64 // 0: unlimited
	mu   sync.Mutex
	m    map[string]*tokenBucket
}

// allow takes a token for a connection to cluster.
func (l *connectLimits) allow(cluster string, now time.Time) bool {
	if l.rate <= 0 {
		return true
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	b := l.m[cluster]
	if b == nil {
		if l.m == nil {
			l.m = map[string]*tokenBucket{}
		}
		b = &tokenBucket{tokens: l.rate, last: now}
		l.m[cluster] = b
	}
	return b.take(l.rate, now)
}

// tokenBucket holds up to rate tokens, refilled at rate per second.
type tokenBucket struct {
	tokens float64
	last   time.Time
}

func (b *tokenBucket) take(rate float64, now time.Time) bool {
	b.tokens = min(rate, b.tokens+now.Sub(b.last).Seconds()*rate)
	b.last = now
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}
