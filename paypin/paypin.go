// Package paypin hashes and checks payment PINs (결제 비밀번호): six digits,
// stored only as argon2id under a per-customer random salt. A six-digit PIN has
// a million values, so the hash alone cannot protect it against someone holding
// the table; the lock after a few wrong tries (in PostgreSQL) is what protects
// it online, and the argon2id cost is what makes an offline search slow.
package paypin

import (
	"crypto/rand"
	"crypto/subtle"
	"errors"
	"fmt"

	"golang.org/x/crypto/argon2"
)

// Length is the number of digits in a PIN.
const Length = 6

// argon2id cost (RFC 9106's second recommended option, with less memory so a
// busy API replica can afford a check per step-up).
const (
	argonTime    = 3
	argonMemory  = 32 * 1024 // KiB
	argonThreads = 2
	argonKeyLen  = 32
	saltLen      = 16
)

// ErrFormat is a PIN that is not exactly six ASCII digits.
var ErrFormat = errors.New("a payment PIN is exactly 6 digits")

// Validate checks the format only.
func Validate(pin string) error {
	if len(pin) != Length {
		return ErrFormat
	}
	for i := 0; i < len(pin); i++ {
		if pin[i] < '0' || pin[i] > '9' {
			return ErrFormat
		}
	}
	return nil
}

// Hash returns a fresh salt and the PIN's argon2id hash under it.
func Hash(pin string) (hash, salt []byte, err error) {
	if err := Validate(pin); err != nil {
		return nil, nil, err
	}
	salt = make([]byte, saltLen)
	if _, err := rand.Read(salt); err != nil {
		return nil, nil, fmt.Errorf("paypin: salt: %w", err)
	}
	return derive(pin, salt), salt, nil
}

// Matches reports whether pin hashes to hash under salt, in constant time.
func Matches(pin string, hash, salt []byte) bool {
	if Validate(pin) != nil {
		return false
	}
	return subtle.ConstantTimeCompare(derive(pin, salt), hash) == 1
}

func derive(pin string, salt []byte) []byte {
	return argon2.IDKey([]byte(pin), salt, argonTime, argonMemory, argonThreads, argonKeyLen)
}
