package pii

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestHashIsKeyedAndStable(t *testing.T) {
	a, err := New(strings.Repeat("a", 32))
	require.NoError(t, err)
	b, err := New(strings.Repeat("b", 32))
	require.NoError(t, err)
	require.Equal(t, a.Hash("ci", "X"), a.Hash("ci", "X"))
	require.NotEqual(t, a.Hash("ci", "X"), b.Hash("ci", "X"), "another key, another hash")
	require.NotEqual(t, a.Hash("ci", "X"), a.Hash("di", "X"), "kinds are separated")
	require.NotContains(t, a.Hash("ci", "X"), "X")
}

func TestSealRoundTrip(t *testing.T) {
	k, err := New(strings.Repeat("k", 32))
	require.NoError(t, err)
	sealed, err := k.Seal("110123456789")
	require.NoError(t, err)
	require.NotContains(t, string(sealed), "110123456789")
	got, err := k.Open(sealed)
	require.NoError(t, err)
	require.Equal(t, "110123456789", got)
	sealed[len(sealed)-1] ^= 1
	_, err = k.Open(sealed)
	require.Error(t, err, "tampering is detected")
	_, err = New("short")
	require.Error(t, err)
}
