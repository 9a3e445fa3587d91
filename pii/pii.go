// Package pii protects personal data paysaga must keep: the identity provider's
// CI/DI are stored only as a keyed hash (enough to recognise the same person
// again, useless without the key), and bank account numbers needed for debits
// are sealed with AES-GCM. Both keys derive from one configured secret.
package pii

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
)

// Keys hashes and seals with keys derived from one secret.
type Keys struct {
	hashKey []byte
	aead    cipher.AEAD
}

// New derives the hashing and sealing keys from secret (>= 32 bytes).
func New(secret string) (*Keys, error) {
	if len(secret) < 32 {
		return nil, errors.New("pii: the secret must be at least 32 bytes")
	}
	block, err := aes.NewCipher(derive(secret, "seal"))
	if err != nil {
		return nil, fmt.Errorf("pii: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("pii: %w", err)
	}
	return &Keys{hashKey: derive(secret, "hash"), aead: aead}, nil
}

func derive(secret, purpose string) []byte {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte("paysaga/pii/" + purpose))
	return m.Sum(nil)
}

// Hash is the hex HMAC-SHA256 of value under the hashing key, labelled by kind
// ("ci", "di") so the same bytes of two kinds never hash alike.
func (k *Keys) Hash(kind, value string) string {
	m := hmac.New(sha256.New, k.hashKey)
	m.Write([]byte(kind + "\x00" + value))
	return hex.EncodeToString(m.Sum(nil))
}

// Seal encrypts plaintext; the nonce is prepended to the result.
func (k *Keys) Seal(plaintext string) ([]byte, error) {
	nonce := make([]byte, k.aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return nil, fmt.Errorf("pii: nonce: %w", err)
	}
	return k.aead.Seal(nonce, nonce, []byte(plaintext), nil), nil
}

// Open decrypts what Seal returned.
func (k *Keys) Open(sealed []byte) (string, error) {
	n := k.aead.NonceSize()
	if len(sealed) < n {
		return "", errors.New("pii: sealed value too short")
	}
	out, err := k.aead.Open(nil, sealed[:n], sealed[n:], nil)
	if err != nil {
		return "", fmt.Errorf("pii: open: %w", err)
	}
	return string(out), nil
}
