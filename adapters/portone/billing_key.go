package portone

import (
	"context"
	"strings"

	"github.com/paysaga/paysaga/adapters/pg"
	"github.com/paysaga/paysaga/adapters/portone/client"
	"github.com/paysaga/paysaga/cardbin"
)

// IssueBillingKey completes the billing-key issue the customer began in
// PortOne's browser SDK with manual approval: the auth key is the SDK's
// billingIssueToken (POST /billing-keys/confirm), then the key's card is read
// (GET /billing-keys/{billingKey}).
func (c *Connector) IssueBillingKey(ctx context.Context, req pg.IssueBillingKeyRequest) (pg.BillingKey, error) {
	const op = "billing_key"
	switch {
	case req.BankAccount != nil:
		return pg.BillingKey{}, c.api.Invalid(op, "this PG issues billing keys for cards only")
	case req.AuthKey == "" || req.CustomerKey == "":
		return pg.BillingKey{}, c.api.Invalid(op, "an auth key and a customer key are required")
	}
	sum, err := c.api.ConfirmBillingKey(ctx, client.ConfirmBillingKeyBody{StoreID: c.api.StoreID(), BillingIssueToken: req.AuthKey})
	if err != nil {
		return pg.BillingKey{}, translate(err)
	}
	info, err := c.api.GetBillingKey(ctx, sum.BillingKey)
	if err != nil {
		return pg.BillingKey{}, translate(err)
	}
	return billingKey(info), nil
}

// DeleteBillingKey deletes a billing key (DELETE /billing-keys/{billingKey}).
func (c *Connector) DeleteBillingKey(ctx context.Context, billingKey string) error {
	return translate(c.api.DeleteBillingKey(ctx, billingKey))
}

func billingKey(info client.BillingKeyInfo) pg.BillingKey {
	out := pg.BillingKey{BillingKey: info.BillingKey, Method: "card", CardType: "credit"}
	for _, m := range info.Methods {
		if m.Card == nil {
			continue
		}
		out.CardBrand = m.Card.Brand
		if m.Card.Brand == "MASTER" {
			out.CardBrand = "MASTERCARD"
		}
		if m.Card.Type == "DEBIT" {
			out.CardType = "check"
		}
		if n := strings.TrimSpace(m.Card.Number); len(n) >= 4 {
			out.CardLast4 = n[len(n)-4:]
		}
		if out.CardBIN = cardbin.Parse(m.Card.Bin); out.CardBIN == "" {
			out.CardBIN = cardbin.Parse(m.Card.Number)
		}
		break
	}
	return out
}
