// Package cardbin reads a card's BIN (the issuer identification number, the
// card number's first 6 or 8 digits) from what PGs return, and matches BIN
// prefixes. Risk uses it for the bin blocklist; benefit rules for partner
// cards can use it too. A BIN with the last four is what PCI DSS lets a
// merchant show; it identifies the issuer's product, not the card.
package cardbin

import "strings"

// Parse returns the leading digits (6 to 8) of a card number as a PG shows it,
// masked ("433012******1234", "43301234****123*") or a bare BIN ("433012");
// "" when it starts with fewer than 6 digits (nothing can be told).
func Parse(number string) string {
	number = strings.TrimSpace(number)
	n := 0
	for n < len(number) && n < 8 && number[n] >= '0' && number[n] <= '9' {
		n++
	}
	if n < 6 {
		return ""
	}
	// A fully shown number (no mask) is cut to 6: paysaga keeps no more of it.
	if n == 8 && len(number) > 8 && number[8] >= '0' && number[8] <= '9' {
		return number[:6]
	}
	return number[:n]
}

// ValidPrefix says whether p can be a BIN prefix to match: 6 to 8 digits.
func ValidPrefix(p string) bool {
	return len(p) >= 6 && len(p) <= 8 && strings.Trim(p, "0123456789") == ""
}

// Matches says whether the card's BIN starts with prefix. An 8-digit prefix
// does not match a 6-digit BIN (the card's 7th and 8th digits are unknown).
func Matches(bin, prefix string) bool {
	return bin != "" && ValidPrefix(prefix) && strings.HasPrefix(bin, prefix)
}
