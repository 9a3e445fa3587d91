// Package pii protects personal data paysaga must keep: the identity provider's
// CI/DI are stored only as a keyed hash (enough to recognise the same person
// again, useless without the key), and secrets needed in full later (bank
// account numbers, billing keys, webhook secrets) are sealed with AES-GCM.
//
// Sealing keys rotate like the payload codec's keys: a keyring of several keys
// by id, one active. New seals carry the active key's id in a short header, old
// seals still open with any configured key, and the re-sealing workflow
// (workflows.PIIReseal) moves every sealed row to the active key so an old key
// can be retired. The hashing key does not rotate: the hashes are of values
// paysaga never keeps in clear (CI/DI), so they could not be re-hashed.
package pii

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
)

// DefaultKeyID names the sealing key derived from the hashing secret, the only
// key of a deployment that configures no sealing keys (and of rows sealed
// before keys had ids).
const DefaultKeyID = "v0"

// header starts every seal made since keys have ids: magic, then the key id's
// length and the id. Seals made before have no header (a random nonce first);
// they open with any configured key, AES-GCM telling which one is right.
var header = []byte{0x00, 'p', 'k'}

// SealKey is one sealing key of the keyring: an id (stored in each seal) and a
// secret of at least 32 characters the AES key derives from.
type SealKey struct {
	ID     string
	Secret string
}

// Keys hashes with one key and seals with the active key of a keyring.
type Keys struct {
	hashKey []byte
	active  string
	aeads   map[string]cipher.AEAD
	order   []string // ids in configured order, for headerless seals
}

// New derives the hashing key and the one sealing key (id DefaultKeyID) from
// secret (>= 32 bytes).
func New(secret string) (*Keys, error) {
	return NewRing(secret, nil)
}

// NewRing derives the hashing key from hashSecret and seals with seal[0],
// opening with any of seal; with no seal keys it seals with DefaultKeyID
// derived from hashSecret.
func NewRing(hashSecret string, seal []SealKey) (*Keys, error) {
	if len(hashSecret) < 32 {
		return nil, errors.New("pii: the secret must be at least 32 bytes")
	}
	if len(seal) == 0 {
		seal = []SealKey{{ID: DefaultKeyID, Secret: hashSecret}}
	}
	k := &Keys{hashKey: derive(hashSecret, "hash"), active: seal[0].ID, aeads: map[string]cipher.AEAD{}}
	for _, s := range seal {
		if err := checkID(s.ID); err != nil {
			return nil, err
		}
		if len(s.Secret) < 32 {
			return nil, fmt.Errorf("pii: sealing key %q: the secret must be at least 32 bytes", s.ID)
		}
		if _, dup := k.aeads[s.ID]; dup {
			return nil, fmt.Errorf("pii: sealing key %q configured twice", s.ID)
		}
		aead, err := newAEAD(derive(s.Secret, "seal"))
		if err != nil {
			return nil, err
		}
		k.aeads[s.ID] = aead
		k.order = append(k.order, s.ID)
	}
	return k, nil
}

// ParseSealKeys reads "id:secret,id:secret" (the first is active), the format
// of PAYSAGA_PII_SEAL_KEYS; empty means none (DefaultKeyID from the PII key).
func ParseSealKeys(s string) ([]SealKey, error) {
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	var keys []SealKey
	for _, part := range strings.Split(s, ",") {
		id, secret, ok := strings.Cut(strings.TrimSpace(part), ":")
		if !ok {
			return nil, errors.New("pii sealing key: want id:secret")
		}
		if err := checkID(id); err != nil {
			return nil, err
		}
		if len(secret) < 32 {
			return nil, fmt.Errorf("pii sealing key %q: the secret must be at least 32 characters", id)
		}
		keys = append(keys, SealKey{ID: id, Secret: secret})
	}
	return keys, nil
}

func checkID(id string) error {
	if id == "" || len(id) > 32 || strings.ContainsAny(id, ":, ") {
		return fmt.Errorf("pii: sealing key id %q: want 1..32 characters, no ':', ',' or space", id)
	}
	return nil
}

func newAEAD(key []byte) (cipher.AEAD, error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("pii: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("pii: %w", err)
	}
	return aead, nil
}

func derive(secret, purpose string) []byte {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte("paysaga/pii/" + purpose))
	return m.Sum(nil)
}

// ActiveID is the id of the key new seals use.
func (k *Keys) ActiveID() string { return k.active }

// Hash is the hex HMAC-SHA256 of value under the hashing key, labelled by kind
// ("ci", "di") so the same bytes of two kinds never hash alike.
func (k *Keys) Hash(kind, value string) string {
	m := hmac.New(sha256.New, k.hashKey)
	m.Write([]byte(kind + "\x00" + value))
	return hex.EncodeToString(m.Sum(nil))
}

// Seal encrypts plaintext under the active key: header, nonce, ciphertext. The
// header is authenticated too, so a seal cannot be relabelled to another key.
func (k *Keys) Seal(plaintext string) ([]byte, error) {
	aead := k.aeads[k.active]
	head := append(append(bytes.Clone(header), byte(len(k.active))), k.active...)
	nonce := make([]byte, aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return nil, fmt.Errorf("pii: nonce: %w", err)
	}
	return aead.Seal(append(head, nonce...), nonce, []byte(plaintext), head), nil
}

// Open decrypts what Seal returned, under whichever configured key sealed it.
func (k *Keys) Open(sealed []byte) (string, error) {
	out, _, err := k.open(sealed)
	return out, err
}

// KeyID is the id of the key that sealed it ("" when no configured key opens it).
func (k *Keys) KeyID(sealed []byte) string {
	_, id, err := k.open(sealed)
	if err != nil {
		return ""
	}
	return id
}

// IsCurrent says whether sealed is sealed under the active key with a header:
// nothing is left to re-seal.
func (k *Keys) IsCurrent(sealed []byte) bool {
	id, head, ok := splitHeader(sealed)
	if !ok || id != k.active {
		return false
	}
	_, err := k.openWith(k.aeads[id], sealed[len(head):], head)
	return err == nil
}

func (k *Keys) open(sealed []byte) (string, string, error) {
	if id, head, ok := splitHeader(sealed); ok {
		if aead, known := k.aeads[id]; known {
			if out, err := k.openWith(aead, sealed[len(head):], head); err == nil {
				return out, id, nil
			}
		}
	}
	// No header (sealed before keys had ids), or random nonce bytes that looked
	// like one: try every key, AES-GCM's tag tells which is right.
	for _, id := range k.order {
		if out, err := k.openWith(k.aeads[id], sealed, nil); err == nil {
			return out, id, nil
		}
	}
	return "", "", errors.New("pii: open: no configured key opens this value (retired key?)")
}

func (k *Keys) openWith(aead cipher.AEAD, box, ad []byte) (string, error) {
	n := aead.NonceSize()
	if len(box) < n {
		return "", errors.New("pii: sealed value too short")
	}
	out, err := aead.Open(nil, box[:n], box[n:], ad)
	if err != nil {
		return "", fmt.Errorf("pii: open: %w", err)
	}
	return string(out), nil
}

// splitHeader returns the key id and the header bytes of a headed seal.
func splitHeader(sealed []byte) (string, []byte, bool) {
	if len(sealed) < len(header)+1 || !bytes.HasPrefix(sealed, header) {
		return "", nil, false
	}
	n := int(sealed[len(header)])
	end := len(header) + 1 + n
	if n == 0 || len(sealed) < end {
		return "", nil, false
	}
	return string(sealed[len(header)+1 : end]), sealed[:end], true
}
