package api

import (
	"context"
	"sync"
	"time"

	"github.com/paysaga/paysaga/db"
)

// ruleCache keeps ops' enabled step-up rules in memory for a short TTL, so a
// checkout's step-up check costs no round trip for them (issue 19): rules
// change a few times a day, checkouts many times a second. A rule created or
// switched through this process applies at once (forget); one changed through
// another process or straight in PostgreSQL applies when the entry expires,
// within the TTL. A failed load is not cached.
//
// Only the step-up decision reads it. The checkout workflow's risk
// evaluation (block rules) reads the rules inside its own transaction, under
// the counters' locks, as before.
type ruleCache struct {
	ttl time.Duration
	now func() time.Time

	mu      sync.Mutex
	rules   []db.RiskRule
	expires time.Time
	gen     uint64 // raised by forget, so a load that began before it is not kept
}

func newRuleCache(ttl time.Duration) *ruleCache {
	return &ruleCache{ttl: ttl, now: time.Now}
}

// lookup answers from the cache while it is fresh, else from load.
func (r *ruleCache) lookup(ctx context.Context, load func(context.Context) ([]db.RiskRule, error)) ([]db.RiskRule, error) {
	if r.ttl <= 0 {
		return load(ctx)
	}
	now := r.now()
	r.mu.Lock()
	rules, fresh, gen := r.rules, now.Before(r.expires), r.gen
	r.mu.Unlock()
	if fresh {
		return rules, nil
	}
	rules, err := load(ctx)
	if err != nil {
		return nil, err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.gen == gen {
		r.rules, r.expires = rules, now.Add(r.ttl)
	}
	return rules, nil
}

// forget drops the cached rules: the next checkout reads them again.
func (r *ruleCache) forget() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.rules, r.expires = nil, time.Time{}
	r.gen++
}
