package redact

import (
	"bytes"
	"testing"

	"github.com/rs/zerolog"
	"github.com/stretchr/testify/require"
)

func TestString(t *testing.T) {
	cases := map[string]string{
		`card 4111111111111111 declined`:     `card [redacted-number] declined`,
		`card 4111-1111-1111-1111`:           `card [redacted-number]`,
		`account 110123456789`:               `account [redacted-number]`,
		`{"cvc":"123","amount":15000}`:       `{"cvc":"[redacted]","amount":15000}`,
		`{"ci":"abc+/=","di":"x"}`:           `{"ci":"[redacted]","di":"[redacted]"}`,
		`amount 15000 port 8080 id 12345678`: `amount 15000 port 8080 id 12345678`,
		`at 2026-11-25T17:10:40.611773Z`:     `at 2026-11-25T17:10:40.611773Z`,
	}
	for in, want := range cases {
		require.Equal(t, want, String(in), in)
	}
}

func TestWriterUnderZerolog(t *testing.T) {
	var buf bytes.Buffer
	log := zerolog.New(Writer{W: &buf})
	log.Info().Str("account_number", "110-1234-5678").Str("note", "card 5555555555554444").Msg("x")
	require.NotContains(t, buf.String(), "5555555555554444")
	require.NotContains(t, buf.String(), "110-1234-5678")
	require.Contains(t, buf.String(), `"message":"x"`)
}
