package providersim

import (
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Test cards. Any other number with a valid Luhn check digit is an approved credit
// card; the brand follows the number's prefix.
const (
	CardApprove           = "4111111111111111" // approved, credit
	CardApproveCheck      = "5555555555554444" // approved, check card
	CardDecline           = "4000000000000002" // CARD_DECLINED at authorize
	CardInsufficientFunds = "4000000000009995" // INSUFFICIENT_FUNDS at authorize
	CardCaptureFails      = "4000000000000259" // authorize ok, capture declined CAPTURE_FAILED
	CardTimeout           = "4000000000000119" // authorize never answers (until the client gives up or 60 s), commits nothing
	CardAsyncApprove      = "4000000000000077" // authorize answers pending; authorized later, announced by webhook
	CardAsyncDecline      = "4000000000000085" // authorize answers pending; declined later, announced by webhook
)

// Card is what a customer types into the PG's payment window.
type Card struct {
	Number      string `json:"card_number"`
	ExpiryMonth string `json:"expiry_month"` // "1".."12" or "01".."12"
	ExpiryYear  string `json:"expiry_year"`  // "28" or "2028"
	CVC         string `json:"cvc"`
}

// card is a tokenized card as the sandbox keeps it. The number stays here: no
// answer, record or log carries more than brand and last4.
type card struct {
	number string
	brand  string
	typ    string // credit | check
	last4  string
}

// authKey is a one-time key from the client SDK. It can be exchanged for a billing
// key once at each PG instance (so a customer's card can be registered at the
// primary and the secondary PG from one entry).
type authKey struct {
	card card
	used map[string]string // PG name -> customer key it was exchanged for
	bk   map[string]string // PG name -> billing key issued
}

type tokenizeResponse struct {
	AuthKey   string `json:"auth_key"`
	CardBrand string `json:"card_brand"`
	CardLast4 string `json:"card_last4"`
}

// tokenize plays the PG's client SDK: it validates the card and returns an auth key.
func (s *Server) tokenize(w http.ResponseWriter, r *http.Request) {
	var c Card
	if rep, ok := decode(r, &c); !ok {
		writeReply(w, rep)
		return
	}
	number := strings.NewReplacer(" ", "", "-", "").Replace(c.Number)
	if len(number) < 13 || len(number) > 19 || !allDigits(number) || !luhnValid(number) {
		writeReply(w, errReply(http.StatusBadRequest, "INVALID_CARD_NUMBER", "the card number is not valid"))
		return
	}
	if code, msg := s.checkExpiry(c.ExpiryMonth, c.ExpiryYear); code != "" {
		writeReply(w, errReply(http.StatusBadRequest, code, msg))
		return
	}
	if len(c.CVC) < 3 || len(c.CVC) > 4 || !allDigits(c.CVC) {
		writeReply(w, errReply(http.StatusBadRequest, "INVALID_CVC", "the CVC must be 3 or 4 digits"))
		return
	}
	typ := "credit"
	if number == CardApproveCheck {
		typ = "check"
	}
	k := &authKey{
		card: card{number: number, brand: cardBrand(number), typ: typ, last4: number[len(number)-4:]},
		used: map[string]string{},
		bk:   map[string]string{},
	}
	key := newID("ak_")
	s.mu.Lock()
	s.authKeys[key] = k
	s.mu.Unlock()
	writeReply(w, jsonReply(http.StatusOK, tokenizeResponse{AuthKey: key, CardBrand: k.card.brand, CardLast4: k.card.last4}))
}

// checkExpiry accepts a card valid through the end of its expiry month.
func (s *Server) checkExpiry(month, year string) (code, msg string) {
	m, err := strconv.Atoi(month)
	if err != nil || !allDigits(month) || m < 1 || m > 12 || len(month) > 2 {
		return "INVALID_CARD_EXPIRATION", "the expiry month must be 1 to 12"
	}
	if !allDigits(year) || (len(year) != 2 && len(year) != 4) {
		return "INVALID_CARD_EXPIRATION", "the expiry year must be YY or YYYY"
	}
	y, _ := strconv.Atoi(year)
	if len(year) == 2 {
		y += 2000
	}
	now := s.now()
	if y < now.Year() || (y == now.Year() && time.Month(m) < now.Month()) {
		return "CARD_EXPIRED", "the card has expired"
	}
	if y > now.Year()+20 {
		return "INVALID_CARD_EXPIRATION", "the expiry year is too far in the future"
	}
	return "", ""
}

// luhnValid reports whether the last digit of a digit string is its Luhn check digit.
func luhnValid(number string) bool {
	sum := 0
	double := false
	for i := len(number) - 1; i >= 0; i-- {
		d := int(number[i] - '0')
		if double {
			d *= 2
			if d > 9 {
				d -= 9
			}
		}
		sum += d
		double = !double
	}
	return sum%10 == 0
}

// cardBrand names the card scheme from the number's prefix.
func cardBrand(number string) string {
	two, _ := strconv.Atoi(number[:2])
	four, _ := strconv.Atoi(number[:4])
	switch {
	case number[0] == '4':
		return "VISA"
	case two >= 51 && two <= 55, four >= 2221 && four <= 2720:
		return "MASTERCARD"
	case two == 34 || two == 37:
		return "AMEX"
	case two == 35:
		return "JCB"
	case number[0] == '9':
		return "LOCAL"
	default:
		return "OTHER"
	}
}
