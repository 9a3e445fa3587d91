// Package codec encrypts every workflow and activity payload before it leaves
// the process, so Temporal's histories hold ciphertext: customer names, order
// details and provider references are readable only with paysaga's keys (the
// workers, and ops through the codec server the Temporal UI calls).
//
// Payloads are AES-256-GCM sealed; the key id travels in the payload's metadata
// so keys can rotate: new payloads use the active (first) key, old ones still
// decrypt with any key that is configured.
package codec

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"

	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/sdk/converter"
	"google.golang.org/protobuf/proto"
)

// Metadata of an encrypted payload.
const (
	MetadataEncoding = "binary/encrypted"
	metadataKeyID    = "encryption-key-id"
)

// Key is one AES-256 key and its id.
type Key struct {
	ID     string
	Secret []byte // 32 bytes
}

// Encryption is a converter.PayloadCodec.
type Encryption struct {
	active string
	aeads  map[string]cipher.AEAD
}

var _ converter.PayloadCodec = (*Encryption)(nil)

// New builds the codec; keys[0] encrypts, all decrypt.
func New(keys []Key) (*Encryption, error) {
	if len(keys) == 0 {
		return nil, errors.New("codec: no keys")
	}
	e := &Encryption{active: keys[0].ID, aeads: map[string]cipher.AEAD{}}
	for _, k := range keys {
		if k.ID == "" || len(k.Secret) != 32 {
			return nil, fmt.Errorf("codec: key %q must have an id and 32 bytes", k.ID)
		}
		block, err := aes.NewCipher(k.Secret)
		if err != nil {
			return nil, err
		}
		if e.aeads[k.ID], err = cipher.NewGCM(block); err != nil {
			return nil, err
		}
	}
	return e, nil
}

// ParseKeys reads "id:base64,id:base64" (the first is the active key), the
// format of PAYSAGA_CODEC_KEYS.
func ParseKeys(s string) ([]Key, error) {
	var keys []Key
	for _, part := range strings.Split(s, ",") {
		id, b64, ok := strings.Cut(strings.TrimSpace(part), ":")
		if !ok {
			return nil, fmt.Errorf("codec key %q: want id:base64", redact(part))
		}
		secret, err := base64.StdEncoding.DecodeString(b64)
		if err != nil || len(secret) != 32 {
			return nil, fmt.Errorf("codec key %q: want 32 bytes, base64", id)
		}
		keys = append(keys, Key{ID: id, Secret: secret})
	}
	return keys, nil
}

// NewKey makes a random key with the given id, formatted for PAYSAGA_CODEC_KEYS.
func NewKey(id string) string {
	secret := make([]byte, 32)
	_, _ = rand.Read(secret)
	return id + ":" + base64.StdEncoding.EncodeToString(secret)
}

// Encode seals each payload whole (metadata included) under the active key.
func (e *Encryption) Encode(payloads []*commonpb.Payload) ([]*commonpb.Payload, error) {
	out := make([]*commonpb.Payload, len(payloads))
	aead := e.aeads[e.active]
	for i, p := range payloads {
		plain, err := proto.Marshal(p)
		if err != nil {
			return nil, fmt.Errorf("codec encode: %w", err)
		}
		nonce := make([]byte, aead.NonceSize(), aead.NonceSize()+len(plain)+aead.Overhead())
		if _, err := rand.Read(nonce); err != nil {
			return nil, fmt.Errorf("codec nonce: %w", err)
		}
		out[i] = &commonpb.Payload{
			Metadata: map[string][]byte{
				converter.MetadataEncoding: []byte(MetadataEncoding),
				metadataKeyID:              []byte(e.active),
			},
			Data: aead.Seal(nonce, nonce, plain, []byte(e.active)),
		}
	}
	return out, nil
}

// Decode opens payloads this codec sealed and passes others through unchanged.
func (e *Encryption) Decode(payloads []*commonpb.Payload) ([]*commonpb.Payload, error) {
	out := make([]*commonpb.Payload, len(payloads))
	for i, p := range payloads {
		if string(p.GetMetadata()[converter.MetadataEncoding]) != MetadataEncoding {
			out[i] = p
			continue
		}
		id := string(p.Metadata[metadataKeyID])
		aead, ok := e.aeads[id]
		if !ok {
			return nil, fmt.Errorf("codec decode: unknown key id %q", id)
		}
		n := aead.NonceSize()
		if len(p.Data) < n {
			return nil, errors.New("codec decode: short payload")
		}
		plain, err := aead.Open(nil, p.Data[:n], p.Data[n:], []byte(id))
		if err != nil {
			return nil, fmt.Errorf("codec decode with key %q: %w", id, err)
		}
		var inner commonpb.Payload
		if err := proto.Unmarshal(plain, &inner); err != nil {
			return nil, fmt.Errorf("codec decode: %w", err)
		}
		out[i] = &inner
	}
	return out, nil
}

func redact(s string) string {
	if id, _, ok := strings.Cut(s, ":"); ok {
		return id + ":…"
	}
	return "…"
}
