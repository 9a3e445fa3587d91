package redact

import (
	"bytes"
	"testing"

	"github.com/rs/zerolog"
	"github.com/stretchr/testify/require"
)

// What is secret is masked.
func TestStringMasksSecrets(t *testing.T) {
	cases := map[string]string{
		`card 4111111111111111 declined`:           `card [redacted-number] declined`,
		`card 4111-1111-1111-1111`:                 `card [redacted-number]`,
		`card 4111 1111 1111 1111.`:                `card [redacted-number].`,
		`{"note":"5555555555554444"}`:              `{"note":"[redacted-number]"}`,
		`{"n":378282246310005}`:                    `{"n":[redacted-number]}`, // Amex, 15 digits
		`국민 9410123456789010 승인`:                   `국민 [redacted-number] 승인`,
		`account 110-1234-5678 holder`:             `account [redacted-number] holder`,
		`acct 1002-123-456789`:                     `acct [redacted-number]`,
		`{"cvc":"123","amount":15000}`:             `{"cvc":"[redacted]","amount":15000}`,
		`{"cvc":123,"amount":15000}`:               `{"cvc":"[redacted]","amount":15000}`,
		`{"ci":"abc+/=","di":"x"}`:                 `{"ci":"[redacted]","di":"[redacted]"}`,
		`{"account_number":"110123456789"}`:        `{"account_number":"[redacted]"}`,
		`{"pg_auth_key":"ak_\"quoted\"","a":1}`:    `{"pg_auth_key":"[redacted]","a":1}`,
		`{"secret":"whsec_abc","url":"https://x"}`: `{"secret":"[redacted]","url":"https://x"}`,
	}
	for in, want := range cases {
		require.Equal(t, want, String(in), in)
	}
}

// What is not secret passes untouched: digits inside identifiers, timestamps,
// amounts, and long numbers that are neither a card nor an account shape.
func TestStringKeepsIDsAndTimestamps(t *testing.T) {
	for _, in := range []string{
		`amount 15000 port 8080 id 12345678`,
		`at 2026-11-25T17:10:40.611773Z`,
		`event bwe_0677db3c9d4111111111111111d4 delivered`, // a Luhn run inside an id
		`key payment:pay_4111111111111111:capture`,
		`ts 1764583200000 ms`,             // Unix ms (starts with 1)
		`{"ts_us":1764583200000123}`,      // Unix µs
		`{"ts_ns":1764583200000123456}`,   // Unix ns
		`unix 1764583200`,                 // Unix s
		`order o-4111111111111111`,        // glued to a word by a dash
		`ratio 0.4111111111111111`,        // a decimal
		`n 4111111111111112`,              // fails Luhn
		`id 0123456789012`,                // starts with 0
		`request 018f9a0c-7d3e-7b6a-9c41`, // uuid groups
		`on 2026-12-01 at 10:00`,
	} {
		require.Equal(t, in, String(in), in)
	}
}

func TestWriterUnderZerolog(t *testing.T) {
	var buf bytes.Buffer
	log := zerolog.New(Writer{W: &buf})
	log.Info().Str("account_number", "110-1234-5678").Str("note", "card 5555555555554444").
		Str("event_id", "bwe_0677db3c9d1764583200000d4").Int64("at_ms", 1764583200000).Msg("x")
	require.NotContains(t, buf.String(), "5555555555554444")
	require.NotContains(t, buf.String(), "110-1234-5678")
	require.Contains(t, buf.String(), `"message":"x"`)
	require.Contains(t, buf.String(), `bwe_0677db3c9d1764583200000d4`)
	require.Contains(t, buf.String(), `1764583200000`)
}
