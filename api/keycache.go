package api

import (
	"context"
	"sync"
	"time"

	"github.com/paysaga/paysaga/db"
)

// keyCache keeps API keys the API has looked up for a short TTL, so a busy key
// costs one PostgreSQL round trip per TTL instead of one per request. A
// revocation (`paysaga keys revoke`, in another process) is seen when the
// entry expires: the TTL is the longest a revoked key keeps working. Unknown
// keys are never cached, so a revoked key is not remembered as valid past its
// entry, and garbage keys cannot fill the cache.
type keyCache struct {
	ttl  time.Duration
	now  func() time.Time
	mu   sync.Mutex
	keys map[string]cachedKey // by the key's SHA-256
}

type cachedKey struct {
	row     db.GetAPIKeyByHashRow
	expires time.Time
}

// keyCacheMax bounds the cache; at the bound it starts over (keys are few).
const keyCacheMax = 10_000

func newKeyCache(ttl time.Duration) *keyCache {
	return &keyCache{ttl: ttl, now: time.Now, keys: map[string]cachedKey{}}
}

// lookup answers from the cache while the entry is fresh, else from load.
func (k *keyCache) lookup(ctx context.Context, hash []byte, load func(context.Context, []byte) (db.GetAPIKeyByHashRow, error)) (db.GetAPIKeyByHashRow, error) {
	if k.ttl <= 0 {
		return load(ctx, hash)
	}
	now := k.now()
	k.mu.Lock()
	c, ok := k.keys[string(hash)]
	k.mu.Unlock()
	if ok && now.Before(c.expires) {
		return c.row, nil
	}
	row, err := load(ctx, hash)
	k.mu.Lock()
	defer k.mu.Unlock()
	if err != nil {
		delete(k.keys, string(hash))
		return row, err
	}
	if len(k.keys) >= keyCacheMax {
		clear(k.keys)
	}
	k.keys[string(hash)] = cachedKey{row: row, expires: now.Add(k.ttl)}
	return row, nil
}
