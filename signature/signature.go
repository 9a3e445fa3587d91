// Package signature signs and verifies webhook bodies: an HMAC-SHA256 over
// "{unix timestamp}.{body}", sent as "t={timestamp},v1={hex}[,v1={hex}...]".
// paysaga signs the events it sends to the app this way (Paysaga-Signature), and
// the provider sandbox signs its callbacks to paysaga the same way.
package signature

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strconv"
	"strings"
	"time"
)

// Errors Verify returns; all mean "do not trust this body".
var (
	ErrMalformed = errors.New("signature: malformed header")
	ErrStale     = errors.New("signature: timestamp outside the tolerance")
	ErrMismatch  = errors.New("signature: no signature matches")
)

// Compute is the hex HMAC-SHA256 of "{t}.{body}" under secret.
func Compute(secret []byte, t int64, body []byte) string {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(strconv.FormatInt(t, 10)))
	m.Write([]byte("."))
	m.Write(body)
	return hex.EncodeToString(m.Sum(nil))
}

// Header signs body at time t with every secret (the current one first, then a
// rotated-out one still in its grace period): "t=...,v1=...,v1=...".
func Header(t int64, body []byte, secrets ...[]byte) string {
	var b strings.Builder
	b.WriteString("t=" + strconv.FormatInt(t, 10))
	for _, s := range secrets {
		b.WriteString(",v1=" + Compute(s, t, body))
	}
	return b.String()
}

// Verify checks that header carries a v1 signature of body under secret, made
// within tolerance of now (either side).
func Verify(header string, body, secret []byte, tolerance time.Duration, now time.Time) error {
	var t int64 = -1
	var sigs []string
	for _, part := range strings.Split(header, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			return ErrMalformed
		}
		switch k {
		case "t":
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				return ErrMalformed
			}
			t = n
		case "v1":
			sigs = append(sigs, v)
		}
	}
	if t < 0 || len(sigs) == 0 {
		return ErrMalformed
	}
	if d := now.Sub(time.Unix(t, 0)); d > tolerance || d < -tolerance {
		return ErrStale
	}
	want := []byte(Compute(secret, t, body))
	for _, s := range sigs {
		if hmac.Equal([]byte(s), want) {
			return nil
		}
	}
	return ErrMismatch
}
