// Package redact keeps card numbers, CVCs, CI/DI and full account numbers out
// of logs. paysaga never logs them on purpose; this is the net under that rule,
// applied to every log line as it is written.
package redact

import (
	"io"
	"regexp"
)

var (
	// Runs of 10-19 digits, optionally split by spaces or dashes: card numbers
	// (13-19) and bank account numbers (10-14). Shorter numbers (amounts, ports,
	// ids) pass.
	longNumber = regexp.MustCompile(`\d(?:[ -]?\d){9,18}`)
	// JSON fields whose value is secret whatever it looks like.
	secretField = regexp.MustCompile(`"(cvc|cvv|card_number|account_number|ci|di|pg_auth_key|billing_key)":"[^"]*"`)
)

// String masks what must not be logged in s.
func String(s string) string {
	return string(Bytes([]byte(s)))
}

// Bytes masks what must not be logged in b.
func Bytes(b []byte) []byte {
	b = secretField.ReplaceAll(b, []byte(`"$1":"[redacted]"`))
	return longNumber.ReplaceAllFunc(b, func(m []byte) []byte {
		digits := 0
		for _, c := range m {
			if c >= '0' && c <= '9' {
				digits++
			}
		}
		if digits < 10 {
			return m
		}
		return []byte("[redacted-number]")
	})
}

// Writer masks every write before passing it on; zerolog writes one line per
// call, so a line is never split across writes.
type Writer struct{ W io.Writer }

func (r Writer) Write(p []byte) (int, error) {
	if _, err := r.W.Write(Bytes(p)); err != nil {
		return 0, err
	}
	return len(p), nil
}
