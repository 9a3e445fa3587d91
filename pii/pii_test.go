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

// legacySeal is how Seal sealed before keys had ids: nonce, ciphertext.
func legacySeal(t *testing.T, secret, plain string) []byte {
	aead, err := newAEAD(derive(secret, "seal"))
	require.NoError(t, err)
	nonce := make([]byte, aead.NonceSize())
	return aead.Seal(nonce, nonce, []byte(plain), nil)
}

func TestRotationOpensOldSealsAndSealsUnderTheActiveKey(t *testing.T) {
	hashSecret := strings.Repeat("h", 32)
	old, err := New(hashSecret)
	require.NoError(t, err)
	oldBox, err := old.Seal("110123456789")
	require.NoError(t, err)
	require.Equal(t, DefaultKeyID, old.KeyID(oldBox))
	legacy := legacySeal(t, hashSecret, "220123456789")

	ring, err := ParseSealKeys("v1:" + strings.Repeat("n", 32) + ", v0:" + hashSecret)
	require.NoError(t, err)
	both, err := NewRing(hashSecret, ring)
	require.NoError(t, err)
	require.Equal(t, "v1", both.ActiveID())
	require.Equal(t, old.Hash("ci", "X"), both.Hash("ci", "X"), "the hashing key does not rotate")
	for box, want := range map[string]string{string(oldBox): "110123456789", string(legacy): "220123456789"} {
		got, err := both.Open([]byte(box))
		require.NoError(t, err)
		require.Equal(t, want, got)
		require.False(t, both.IsCurrent([]byte(box)))
	}
	newBox, err := both.Seal("330123456789")
	require.NoError(t, err)
	require.True(t, both.IsCurrent(newBox))
	require.Equal(t, "v1", both.KeyID(newBox))

	// The old key retired: new seals open, old ones do not.
	retired, err := NewRing(hashSecret, ring[:1])
	require.NoError(t, err)
	got, err := retired.Open(newBox)
	require.NoError(t, err)
	require.Equal(t, "330123456789", got)
	_, err = retired.Open(oldBox)
	require.Error(t, err)

	// A seal relabelled to another key id does not open.
	forged := append([]byte{}, oldBox...)
	forged[len(header)+1] = 'x'
	_, err = both.Open(forged)
	require.Error(t, err)

	for _, bad := range []string{"v1", "v1:short", ":" + hashSecret, "a b:" + hashSecret} {
		_, err := ParseSealKeys(bad)
		require.Error(t, err, bad)
	}
	_, err = NewRing(hashSecret, []SealKey{ring[0], ring[0]})
	require.Error(t, err, "one id twice")
}
