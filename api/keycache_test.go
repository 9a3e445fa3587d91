package api

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/paysaga/paysaga/config"
)

// A key revoked in PostgreSQL (as `paysaga keys revoke` does from another
// process) keeps working only while its cached look-up is fresh: within the
// TTL the API answers from memory, once it passes the key is refused.
func TestRevokedKeyIsRefusedOnceItsCacheEntryExpires(t *testing.T) {
	for _, tc := range []struct {
		name            string
		ttl             time.Duration
		withinTTLStatus int
	}{
		{"cached for 5s", 5 * time.Second, http.StatusNotFound},
		{"no cache", 0, http.StatusUnauthorized},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, func(c *config.Config) { c.APIKeyCacheTTL = tc.ttl })
			now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
			f.s.apiKeys.now = func() time.Time { return now }
			get := func() int {
				return f.do(request{method: http.MethodGet, path: "/v1/payments/pay_missing", role: roleApp}).Code
			}
			require.Equal(t, http.StatusNotFound, get(), "a live key passes auth (the payment does not exist)")

			_, err := f.pool.Exec(context.Background(), "UPDATE api_keys SET revoked_at = now() WHERE id = $1", f.keyIDs[roleApp])
			require.NoError(t, err)
			now = now.Add(tc.ttl - time.Millisecond)
			require.Equal(t, tc.withinTTLStatus, get(), "within the TTL")
			now = now.Add(time.Millisecond)
			require.Equal(t, http.StatusUnauthorized, get(), "the TTL has passed: the revocation holds")
			require.Equal(t, http.StatusUnauthorized, get(), "and keeps holding (unknown keys are not cached)")
		})
	}
}
