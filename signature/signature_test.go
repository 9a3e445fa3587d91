package signature

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestVerify(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	body := []byte(`{"id":"evt_1"}`)
	cur, old := []byte("whsec_current"), []byte("whsec_previous")
	h := Header(now.Unix(), body, cur, old)

	require.NoError(t, Verify(h, body, cur, 5*time.Minute, now))
	require.NoError(t, Verify(h, body, old, 5*time.Minute, now), "a rotated-out secret verifies during the grace period")
	require.ErrorIs(t, Verify(h, []byte(`{"id":"evt_2"}`), cur, 5*time.Minute, now), ErrMismatch)
	require.ErrorIs(t, Verify(h, body, []byte("forged"), 5*time.Minute, now), ErrMismatch)
	require.ErrorIs(t, Verify(h, body, cur, 5*time.Minute, now.Add(6*time.Minute)), ErrStale)
	require.ErrorIs(t, Verify(h, body, cur, 5*time.Minute, now.Add(-6*time.Minute)), ErrStale)
	for _, bad := range []string{"", "t=abc,v1=00", "v1=00", "t=1", "garbage"} {
		require.ErrorIs(t, Verify(bad, body, cur, 5*time.Minute, now), ErrMalformed, bad)
	}
}
