package providersim_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/paysaga/paysaga/adapters"
	"github.com/paysaga/paysaga/adapters/pg"
	"github.com/paysaga/paysaga/providersim"
)

// The sandbox holds the issuers' installment rules (2..12 months, 50,000 won
// or more) whatever the client checks, and records the plan of each charge.
func TestInstallmentsFollowTheIssuersRules(t *testing.T) {
	e := newEnv(t)
	bk := e.billingKey("alpha", providersim.CardApprove)
	charge := func(amount int64, months int) (pg.Payment, error) {
		return e.pg["alpha"].Authorize(e.ctx, pg.AuthorizeRequest{IdempotencyKey: key("auth"), BillingKey: bk,
			OrderID: key("order"), Amount: amount, Currency: "KRW", InstallmentMonths: months, InterestFree: true})
	}

	for _, bad := range []struct {
		amount int64
		months int
	}{{15_000, 3}, {60_000, 1}, {60_000, 13}} {
		_, err := charge(bad.amount, bad.months)
		requireKind(t, err, adapters.Invalid, "INVALID_INSTALLMENT")
	}
	require.Empty(t, e.records(providersim.RecordFilter{Kind: providersim.KindAuthorize}), "nothing authorized")

	p, err := charge(60_000, 3)
	require.NoError(t, err)
	recs := e.records(providersim.RecordFilter{PaymentKey: p.PaymentKey, Kind: providersim.KindAuthorize})
	require.Len(t, recs, 1)
	require.Equal(t, 3, recs[0].InstallmentMonths)
	require.True(t, recs[0].InterestFree)
}

// The Toss connector refuses a plan outside Toss's limits before sending it.
func TestTossRefusesInstallmentsOutsideItsLimits(t *testing.T) {
	e := newEnv(t)
	c := e.tossAt("alpha")
	bk := e.tossCard(c, providersim.CardApprove, "cus_1")
	for _, months := range []int{1, 13} {
		_, err := c.Authorize(e.ctx, pg.AuthorizeRequest{IdempotencyKey: key("payment"), BillingKey: bk, CustomerKey: "cus_1",
			OrderID: key("o"), Amount: 60_000, Currency: "KRW", InstallmentMonths: months})
		requireKind(t, err, adapters.Invalid, "")
	}
	require.Empty(t, e.records(providersim.RecordFilter{Kind: providersim.KindAuthorize}), "nothing sent")
	require.Equal(t, pg.KoreanCardInstallments, pg.CapabilitiesOf(c).Installments)
}
