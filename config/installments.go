package config

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// InterestFreePlan is one of finance's interest-free installment plans (무이자
// 할부): a card of Issuer charged MinAmount or more in MinMonths..MaxMonths
// installments has its interest paid by the merchant.
//
// Issuer is compared, ignoring case, with the card company the PG reported
// when the card was registered (payment_methods.card_brand, shown as
// card_brand by GET /v1/customers/{id}/payment-methods).
type InterestFreePlan struct {
	Issuer               string
	MinAmount            int64
	MinMonths, MaxMonths int
}

// Name is the plan as written in PAYSAGA_INTEREST_FREE_PLANS; it is what a
// payment records as the plan applied.
func (p InterestFreePlan) Name() string {
	months := strconv.Itoa(p.MinMonths)
	if p.MaxMonths != p.MinMonths {
		months += "-" + strconv.Itoa(p.MaxMonths)
	}
	return fmt.Sprintf("%s:%d:%s", p.Issuer, p.MinAmount, months)
}

// InterestFreePlanFor is the first plan (in config order) that covers a card
// of issuer charged amount in months installments.
func (c Config) InterestFreePlanFor(issuer string, amount int64, months int) (InterestFreePlan, bool) {
	for _, p := range c.InterestFreePlans {
		if strings.EqualFold(p.Issuer, issuer) && amount >= p.MinAmount && months >= p.MinMonths && months <= p.MaxMonths {
			return p, true
		}
	}
	return InterestFreePlan{}, false
}

// parseInterestFreePlans reads "issuer:min_amount:months,..." where months is
// one number or a range, e.g. "shinhan:50000:2-3,현대:100000:2-6".
func parseInterestFreePlans(v string) ([]InterestFreePlan, error) {
	var out []InterestFreePlan
	for _, entry := range strings.Split(v, ",") {
		parts := strings.Split(strings.TrimSpace(entry), ":")
		if len(parts) != 3 || strings.TrimSpace(parts[0]) == "" {
			return nil, fmt.Errorf("%q: want issuer:min_amount:months", entry)
		}
		minAmount, err := strconv.ParseInt(parts[1], 10, 64)
		if err != nil || minAmount <= 0 {
			return nil, fmt.Errorf("%q: the minimum amount must be a positive integer", entry)
		}
		lo, hi, ok := strings.Cut(parts[2], "-")
		if !ok {
			hi = lo
		}
		minMonths, err1 := strconv.Atoi(lo)
		maxMonths, err2 := strconv.Atoi(hi)
		if err1 != nil || err2 != nil || minMonths < 2 || maxMonths > 12 || minMonths > maxMonths {
			return nil, fmt.Errorf("%q: months must be within 2..12 (e.g. 3 or 2-6)", entry)
		}
		out = append(out, InterestFreePlan{Issuer: strings.TrimSpace(parts[0]), MinAmount: minAmount, MinMonths: minMonths, MaxMonths: maxMonths})
	}
	return out, nil
}

// When checkouts earn their points (PAYSAGA_POINTS_EARN_AT).
const (
	PointsAtCapture      = "capture"
	PointsAtConfirmation = "confirmation"
)

// validatePoints checks the points settings (issue 15).
func (c Config) validatePoints() []error {
	var errs []error
	if c.PointsEarnBPS < 0 || c.PointsEarnBPS > 10_000 {
		errs = append(errs, fmt.Errorf("PAYSAGA_POINTS_EARN_BPS=%d: must be within 0..10000", c.PointsEarnBPS))
	}
	if c.PointsValidity < time.Hour {
		errs = append(errs, fmt.Errorf("PAYSAGA_POINTS_VALIDITY=%s: must be >= 1h", c.PointsValidity))
	}
	if c.PointsEarnAt != PointsAtCapture && c.PointsEarnAt != PointsAtConfirmation {
		errs = append(errs, fmt.Errorf("PAYSAGA_POINTS_EARN_AT=%q: must be capture or confirmation", c.PointsEarnAt))
	}
	if c.PointsExpiryNotice < 0 || c.PointsExpiryNotice >= c.PointsValidity {
		errs = append(errs, errors.New("PAYSAGA_POINTS_EXPIRY_NOTICE must be >= 0 and shorter than PAYSAGA_POINTS_VALIDITY"))
	}
	return errs
}
