// Package redact keeps card numbers, CVCs, CI/DI and full account numbers out
// of logs. paysaga never logs them on purpose; this is the net under that rule,
// applied to every log line as it is written.
//
// It masks what is secret, not whatever has many digits: a digit run standing
// alone (not part of a word such as an id, nor of a decimal) that is a card
// number (13-19 digits, Luhn-valid, not starting with 0 or 1, so Unix
// timestamps in ms/µs/ns pass) or shaped like a bank account number (10-14
// digits in 2-4 dash-separated groups, as 110-1234-5678); and the value of a
// secret JSON field whatever it looks like.
package redact

import (
	"io"
	"regexp"
)

const (
	maskNumber = "[redacted-number]"
	maskField  = "[redacted]"
)

var (
	// Candidates: runs of 10-19 digits, optionally split by single spaces or dashes.
	digitRun = regexp.MustCompile(`\d(?:[ -]?\d){9,18}`)
	// JSON fields whose value is secret whatever it looks like (a string or a number).
	secretField = regexp.MustCompile(`"(cvc|cvv|card_number|account_number|ci|di|identity_number|identityNumber|pg_auth_key|billing_key|secret|password)":\s*("(?:[^"\\]|\\.)*"|-?[0-9]+)`)
)

// String masks what must not be logged in s.
func String(s string) string {
	return string(Bytes([]byte(s)))
}

// Bytes masks what must not be logged in b.
func Bytes(b []byte) []byte {
	b = secretField.ReplaceAll(b, []byte(`"$1":"`+maskField+`"`))
	matches := digitRun.FindAllIndex(b, -1)
	if len(matches) == 0 {
		return b
	}
	out := make([]byte, 0, len(b))
	last := 0
	for _, m := range matches {
		if !standalone(b, m[0], m[1]) || !secretNumber(b[m[0]:m[1]]) {
			continue
		}
		out = append(out, b[last:m[0]]...)
		out = append(out, maskNumber...)
		last = m[1]
	}
	return append(out, b[last:]...)
}

// standalone reports that b[i:j] is not glued to a word or a decimal around
// it: no letter, digit or _ beside it, nor a '.' or '-' that leads on to one
// (o-4111..., 0.4111...; a full stop ending a sentence is fine).
func standalone(b []byte, i, j int) bool {
	before := i > 0 && (word(b[i-1]) || (glue(b[i-1]) && i > 1 && word(b[i-2])))
	after := j < len(b) && (word(b[j]) || (glue(b[j]) && j+1 < len(b) && word(b[j+1])))
	return !before && !after
}

func word(c byte) bool {
	return c == '_' || (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
}

func glue(c byte) bool { return c == '.' || c == '-' }

// secretNumber is a card number or an account-number shape.
func secretNumber(run []byte) bool {
	var digits []byte
	groups, dashes, spaces, groupLen, badGroup := 1, 0, 0, 0, false
	for _, c := range run {
		switch c {
		case '-', ' ':
			if c == '-' {
				dashes++
			} else {
				spaces++
			}
			if groupLen < 2 || groupLen > 6 {
				badGroup = true
			}
			groups++
			groupLen = 0
		default:
			digits = append(digits, c)
			groupLen++
		}
	}
	if groupLen < 2 || groupLen > 6 {
		badGroup = true
	}
	if card(digits) {
		return true
	}
	return spaces == 0 && dashes > 0 && !badGroup && groups <= 4 && len(digits) >= 10 && len(digits) <= 14
}

// card is 13-19 digits passing the Luhn check, starting with 2-9 (the issuer
// ranges of cards in use; a 1 starts today's Unix timestamps).
func card(d []byte) bool {
	if len(d) < 13 || len(d) > 19 || d[0] < '2' {
		return false
	}
	sum := 0
	for i := len(d) - 1; i >= 0; i-- {
		n := int(d[i] - '0')
		if (len(d)-1-i)%2 == 1 {
			n *= 2
			if n > 9 {
				n -= 9
			}
		}
		sum += n
	}
	return sum%10 == 0
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
