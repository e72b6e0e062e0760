package main

import (
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// limiter is a per-client token bucket: perMinute requests a minute with bursts of the
// same size. Clients are keyed by the address echo's IPExtractor trusts, so a forged
// X-Forwarded-For header does not give a new bucket. perMinute 0 turns it off.
type limiter struct {
	perMinute int
	mu        sync.Mutex
	clients   map[string]*clientBucket
	lastPrune time.Time
}

type clientBucket struct {
	lim  *rate.Limiter
	seen time.Time
}

func newLimiter(perMinute int) *limiter {
	return &limiter{perMinute: perMinute, clients: map[string]*clientBucket{}}
}

// allow reports whether key may act now, and uses up one token if so.
func (l *limiter) allow(key string, now time.Time) bool {
	if l.perMinute <= 0 {
		return true
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if now.Sub(l.lastPrune) > time.Minute {
		for k, b := range l.clients {
			if now.Sub(b.seen) > 2*time.Minute { // a full bucket again: forget it
				delete(l.clients, k)
			}
		}
		l.lastPrune = now
	}
	b := l.clients[key]
	if b == nil {
		b = &clientBucket{lim: rate.NewLimiter(rate.Every(time.Minute/time.Duration(l.perMinute)), l.perMinute)}
		l.clients[key] = b
	}
	b.seen = now
	return b.lim.AllowN(now, 1)
}
