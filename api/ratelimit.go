package api

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/labstack/echo/v4/middleware"
	"golang.org/x/time/rate"

	"github.com/paysaga/paysaga/db"
)

// rateLimiter says whether one more request of an API key fits its rate.
type rateLimiter interface {
	Allow(ctx context.Context, keyID string) (bool, error)
}

// newRateLimiter is the per-key limiter the configuration names: rps requests
// a second with bursts of twice that, in PostgreSQL (shared by every API
// process; ADR 0015) or, with store "memory", per process.
func newRateLimiter(store string, rps int64, q *db.Queries) rateLimiter {
	if store == "memory" {
		return memoryLimiter{middleware.NewRateLimiterMemoryStoreWithConfig(middleware.RateLimiterMemoryStoreConfig{
			Rate: rate.Limit(rps), Burst: int(2 * rps), ExpiresIn: 3 * time.Minute,
		})}
	}
	return pgLimiter{q: q, rate: float64(rps), burst: float64(2 * rps)}
}

// pgLimiter is a token bucket per key in api_rate_buckets: one upsert a request.
type pgLimiter struct {
	q           *db.Queries
	rate, burst float64
}

func (l pgLimiter) Allow(ctx context.Context, keyID string) (bool, error) {
	_, err := l.q.TakeRateToken(ctx, db.TakeRateTokenParams{ApiKeyID: keyID, Burst: l.burst, Rate: l.rate})
	if errors.Is(err, pgx.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("take rate token: %w", err)
	}
	return true, nil
}

type memoryLimiter struct{ store middleware.RateLimiterStore }

func (l memoryLimiter) Allow(_ context.Context, keyID string) (bool, error) {
	return l.store.Allow(keyID)
}
