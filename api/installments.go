package api

import (
	"fmt"
	"net/http"

	"github.com/paysaga/paysaga/adapters/pg"
	"github.com/paysaga/paysaga/db"
	"github.com/paysaga/paysaga/workflows"
)

// installmentResponse is a payment's card installment plan (할부); absent on a
// single payment (일시불). interest_payer merchant: an interest-free plan (무이자)
// of finance's config, named by plan, whose interest the merchant pays.
type installmentResponse struct {
	Months        int     `json:"months"`
	InterestPayer string  `json:"interest_payer"`
	Plan          *string `json:"plan"`
}

// validateInstallment is the request's own check: 0 (일시불) or 2..12 months,
// and only on a card part.
func (r checkoutRequest) validateInstallment(v *validation) {
	if r.Payment == nil || r.Payment.InstallmentMonths == 0 {
		return
	}
	switch m := r.Payment.InstallmentMonths; {
	case m < 2 || m > 12:
		v.add(codeInvalidInstallmentMonths, "payment.installment_months", "must be 0 (one payment) or 2..12")
	case r.Payment.WalletAmount+r.Payment.PointsAmount >= r.Amount:
		v.add(codeInstallmentNotAvailable, "payment.installment_months", "needs a card part; the wallet and points pay the whole amount")
	}
}

// interestFreePlan checks installment months against the method and every PG
// the payment may be routed to, and answers the name of finance's
// interest-free plan that covers it ("" when none does). A failover never
// lands on a PG that cannot take the plan.
func (s *server) interestFreePlan(method db.PaymentMethod, req checkoutRequest) (string, error) {
	months := req.Payment.InstallmentMonths
	if months == 0 {
		return "", nil
	}
	notAvailable := func(msg string) error {
		p := problem(http.StatusUnprocessableEntity, codeInstallmentNotAvailable, msg)
		p.Errors = []FieldError{{Field: "payment.installment_months", Message: msg}}
		return p
	}
	if method.Kind != "card" {
		return "", notAvailable("installments are for card payments only")
	}
	card := req.Amount - req.Payment.WalletAmount - req.Payment.PointsAmount
	for _, name := range s.cfg.PGs() {
		if lim := pg.CapabilitiesOf(s.pgs[name]).Installments; !lim.Allows(months, card) {
			return "", notAvailable(fmt.Sprintf("PG %s takes 2..%d months on a card part of %d or more", name, lim.MaxMonths, lim.MinAmount))
		}
	}
	if plan, ok := s.cfg.InterestFreePlanFor(method.CardBrand.String, card, months); ok {
		return plan.Name(), nil
	}
	return "", nil
}

// pendingInstallment is the plan a checkout asked for, before its row exists.
func pendingInstallment(in workflows.CheckoutInput) *installmentResponse {
	if in.InstallmentMonths == 0 {
		return nil
	}
	out := &installmentResponse{Months: in.InstallmentMonths, InterestPayer: "customer", Plan: nullable(in.InterestFreePlan)}
	if in.InterestFreePlan != "" {
		out.InterestPayer = "merchant"
	}
	return out
}
