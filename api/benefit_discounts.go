package api

import "github.com/paysaga/paysaga/benefit"

// Instant discounts on partner-card rules (issue 15): validated here, the
// rest of the rule as before.

// discounts: the rule takes an instant discount (rate or fixed).
func (r benefitRuleRequest) discounts() bool { return r.DiscountBPS != nil || r.DiscountAmount != nil }

// validateDiscount refuses a negative or over-100% rate, a fixed amount of 0
// or less, and both kinds at once (422, nothing stored).
func validateDiscount(v *validation, field string, r benefitRuleRequest) {
	if r.DiscountBPS != nil && (*r.DiscountBPS < 1 || *r.DiscountBPS > benefit.MaxBPS) {
		v.add(codeInvalidRate, field+".discount_bps", "must be within 1..10000 basis points")
	}
	if r.DiscountAmount != nil && *r.DiscountAmount <= 0 {
		v.add(codeInvalidAmount, field+".discount_amount", "must be > 0")
	}
	if r.DiscountBPS != nil && r.DiscountAmount != nil {
		v.add(codeValidationFailed, field, "takes discount_bps or discount_amount, not both")
	}
}

func deref0(v *int64) int64 {
	if v == nil {
		return 0
	}
	return *v
}

// positive is v as a JSON value, or null when it is 0 (none).
func positive(v int64) *int64 {
	if v == 0 {
		return nil
	}
	return &v
}
