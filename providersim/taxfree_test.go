package providersim_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/paysaga/paysaga/adapters"
	"github.com/paysaga/paysaga/adapters/pg"
	"github.com/paysaga/paysaga/providersim"
)

// The grocery example through each connector: 30,000 with 12,000 tax-free, a
// partial cancel of 10,000 with 4,000 tax-free, then a whole cancel of the rest,
// which gives back the other 8,000 tax-free. A cancel whose tax-free part
// exceeds what remains is refused and records nothing.
func TestTaxFreeTravelsOnApprovalAndCancels(t *testing.T) {
	e := newEnv(t)
	tossC := e.tossAt("alpha")
	portC := e.portoneAt("beta")
	connectors := map[string]struct {
		c        pg.Client
		bk       string
		provider string
	}{
		"toss":    {tossC, e.tossCard(tossC, providersim.CardApprove, "cus_tf"), "pg:alpha"},
		"portone": {portC, e.portoneCard(portC, providersim.CardApprove).BillingKey, "pg:beta"},
	}
	for name, cn := range connectors {
		t.Run(name, func(t *testing.T) {
			pay, err := cn.c.Authorize(e.ctx, pg.AuthorizeRequest{IdempotencyKey: "payment:pay_tf_" + name + ":authorize", BillingKey: cn.bk,
				CustomerKey: "cus_tf", OrderID: "o-tf", Amount: 30_000, Currency: "KRW", TaxFreeAmount: 12_000})
			require.NoError(t, err)
			caps := e.sim.Records(providersim.RecordFilter{Provider: cn.provider, Kind: providersim.KindCapture, PaymentKey: pay.PaymentKey})
			require.Len(t, caps, 1)
			require.EqualValues(t, 12_000, caps[0].TaxFreeAmount)

			_, err2 := cn.c.Cancel(e.ctx, pg.CancelRequest{IdempotencyKey: "refund:tf-1-" + name, PaymentKey: pay.PaymentKey,
				Amount: 10_000, TaxFreeAmount: 4_000})
			require.NoError(t, err2)
			_, err3 := cn.c.Cancel(e.ctx, pg.CancelRequest{IdempotencyKey: "refund:tf-over-" + name, PaymentKey: pay.PaymentKey,
				Amount: 9_000, TaxFreeAmount: 9_000})
			require.True(t, adapters.Is(err3, adapters.Invalid), "more tax-free than remains (8,000): %v", err3)
			_, err4 := cn.c.Cancel(e.ctx, pg.CancelRequest{IdempotencyKey: "refund:tf-taxable-" + name, PaymentKey: pay.PaymentKey,
				Amount: 20_000})
			require.True(t, adapters.Is(err4, adapters.Invalid), "20,000 all taxable: only 12,000 taxable remains: %v", err4)
			_, err = cn.c.Cancel(e.ctx, pg.CancelRequest{IdempotencyKey: "refund:tf-rest-" + name, PaymentKey: pay.PaymentKey, Reason: "rest"})
			require.NoError(t, err)

			cancels := e.sim.Records(providersim.RecordFilter{Provider: cn.provider, Kind: providersim.KindCancel, PaymentKey: pay.PaymentKey})
			var amount, taxFree int64
			for _, r := range cancels {
				amount += r.Amount
				taxFree += r.TaxFreeAmount
			}
			require.Len(t, cancels, 2, "the refused cancels recorded nothing")
			require.EqualValues(t, 30_000, amount)
			require.EqualValues(t, 12_000, taxFree, "the cancels give back exactly the tax-free part")
		})
	}
}
