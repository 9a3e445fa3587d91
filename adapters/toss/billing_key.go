package toss

import (
	"context"
	"strings"

	"github.com/paysaga/paysaga/adapters/pg"
	"github.com/paysaga/paysaga/adapters/toss/client"
	"github.com/paysaga/paysaga/cardbin"
)

// IssueBillingKey exchanges the authKey from Toss's billing window for a billing
// key (POST /v1/billing/authorizations/issue). Bank accounts have no billing
// key at this connector (capability BankAccountBilling).
func (c *Connector) IssueBillingKey(ctx context.Context, req pg.IssueBillingKeyRequest) (pg.BillingKey, error) {
	const op = "billing_key"
	switch {
	case req.BankAccount != nil:
		return pg.BillingKey{}, c.api.Invalid(op, "this PG issues billing keys for cards only")
	case req.AuthKey == "" || len(req.CustomerKey) < 2 || len(req.CustomerKey) > 300:
		return pg.BillingKey{}, c.api.Invalid(op, "an auth key and a customer key of 2-300 characters are required")
	}
	b, err := c.api.IssueBillingKey(ctx, client.IssueBillingKeyRequest{AuthKey: req.AuthKey, CustomerKey: req.CustomerKey})
	if err != nil {
		return pg.BillingKey{}, translate(err)
	}
	return billingKey(b), nil
}

// billingKey translates Toss's Billing object.
func billingKey(b client.Billing) pg.BillingKey {
	out := pg.BillingKey{BillingKey: b.BillingKey, Method: "card", CardBrand: b.CardCompany, CardLast4: last4(b.CardNumber), CardBIN: cardbin.Parse(b.CardNumber), CardType: "credit"}
	if b.Card != nil {
		if b.Card.Number != "" {
			out.CardLast4 = last4(b.Card.Number)
			out.CardBIN = cardbin.Parse(b.Card.Number)
		}
		if b.Card.CardType == "체크" {
			out.CardType = "check"
		}
	}
	return out
}

// last4 is the last four characters of a masked number ("433012******1234").
func last4(masked string) string {
	masked = strings.TrimSpace(masked)
	if len(masked) <= 4 {
		return masked
	}
	return masked[len(masked)-4:]
}
