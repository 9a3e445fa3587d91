package providersim_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/paysaga/paysaga/adapters"
	"github.com/paysaga/paysaga/adapters/pg"
	"github.com/paysaga/paysaga/adapters/toss"
	"github.com/paysaga/paysaga/providersim"
)

// tossAt is the Toss connector for PG instance name of e's sandbox.
func (e *env) tossAt(name string) *toss.Connector {
	e.t.Helper()
	c, err := toss.New(toss.Config{Name: name, BaseURL: e.url + "/toss/" + name, SecretKey: "test_sk_sandbox"}, e.hc)
	require.NoError(e.t, err)
	return c
}

func (e *env) tossCard(c *toss.Connector, number, customer string) string {
	e.t.Helper()
	bk, err := c.IssueBillingKey(e.ctx, pg.IssueBillingKeyRequest{CustomerKey: customer, AuthKey: e.tokenize(number)})
	require.NoError(e.t, err)
	return bk.BillingKey
}

func TestTossApprovalAuthorizesAndCapturesInOneCallOnce(t *testing.T) {
	e := newEnv(t)
	c := e.tossAt("alpha")
	bk := e.tossCard(c, providersim.CardApproveCheck, "cus_1")
	req := pg.AuthorizeRequest{IdempotencyKey: "payment:pay_0001:authorize", BillingKey: bk, CustomerKey: "cus_1", OrderID: "o-1", Amount: 15000, Currency: "KRW"}

	first, err := c.Authorize(e.ctx, req)
	require.NoError(t, err)
	again, err := c.Authorize(e.ctx, req) // a retry under the same key
	require.NoError(t, err)

	require.Equal(t, "captured", first.Status)
	require.Equal(t, first.PaymentKey, again.PaymentKey)
	require.EqualValues(t, 15000, first.CapturedAmount)
	recs := e.sim.Records(providersim.RecordFilter{PaymentKey: first.PaymentKey})
	require.Len(t, recs, 2, "one approval: one authorize and one capture record")
	require.Equal(t, "pay_0001", recs[0].OrderID, "the orderId is the payment id")
	found, err := c.GetByIdempotencyKey(e.ctx, req.IdempotencyKey)
	require.NoError(t, err)
	require.Equal(t, first.PaymentKey, found.PaymentKey)
	require.False(t, pg.CapabilitiesOf(c).SeparateCapture)
}

func TestTossDeclinesAndBadRequestsAreClassified(t *testing.T) {
	e := newEnv(t)
	c := e.tossAt("alpha")
	for card, code := range map[string]string{
		providersim.CardDecline:           "CARD_DECLINED",
		providersim.CardInsufficientFunds: "INSUFFICIENT_FUNDS",
		providersim.CardCaptureFails:      "CARD_DECLINED",
	} {
		bk := e.tossCard(c, card, "cus_d")
		_, err := c.Authorize(e.ctx, pg.AuthorizeRequest{IdempotencyKey: key("payment:pay_000d") + ":authorize", BillingKey: bk, CustomerKey: "cus_d", OrderID: "o", Amount: 1000, Currency: "KRW"})
		var pe *adapters.Error
		require.ErrorAs(t, err, &pe)
		require.Equal(t, adapters.Declined, pe.Kind, card)
		require.Equal(t, code, pe.Code, card)
		require.True(t, strings.HasPrefix(pe.ProviderCode, "REJECT_CARD_"), pe.ProviderCode)
	}
	bk := e.tossCard(c, providersim.CardApprove, "cus_e")
	_, err := c.Authorize(e.ctx, pg.AuthorizeRequest{IdempotencyKey: "payment:pay_000e:authorize", BillingKey: bk, CustomerKey: "someone-else", OrderID: "o", Amount: 1000, Currency: "KRW"})
	require.True(t, adapters.Is(err, adapters.Invalid), "%v", err)
	_, err = c.GetByIdempotencyKey(e.ctx, "payment:pay_000none:authorize")
	require.True(t, adapters.Is(err, adapters.NotFound), "%v", err)
	require.Empty(t, e.sim.Records(providersim.RecordFilter{Kind: providersim.KindCapture}))
}

// A second approval of an orderId under another key is ALREADY_PROCESSED_PAYMENT
// at Toss; the connector answers the existing payment instead of a failure.
func TestTossAlreadyProcessedIsResolvedByLookup(t *testing.T) {
	e := newEnv(t)
	c := e.tossAt("alpha")
	bk := e.tossCard(c, providersim.CardApprove, "cus_1")
	first, err := c.Authorize(e.ctx, pg.AuthorizeRequest{IdempotencyKey: "payment:pay_0002:authorize", BillingKey: bk, CustomerKey: "cus_1", OrderID: "o", Amount: 1000, Currency: "KRW"})
	require.NoError(t, err)
	// The same orderId (pay_0002) under another key, as after Toss forgot the key.
	second, err := c.Authorize(e.ctx, pg.AuthorizeRequest{IdempotencyKey: "pay_0002", BillingKey: bk, CustomerKey: "cus_1", OrderID: "o", Amount: 1000, Currency: "KRW"})
	require.NoError(t, err)
	require.Equal(t, first.PaymentKey, second.PaymentKey)
	require.Len(t, e.sim.Records(providersim.RecordFilter{Kind: providersim.KindCapture}), 1, "charged once")
}

func TestTossCancelWholeAndPartial(t *testing.T) {
	e := newEnv(t)
	c := e.tossAt("alpha")
	bk := e.tossCard(c, providersim.CardApprove, "cus_1")
	p, err := c.Authorize(e.ctx, pg.AuthorizeRequest{IdempotencyKey: "payment:pay_0003:authorize", BillingKey: bk, CustomerKey: "cus_1", OrderID: "o", Amount: 10000, Currency: "KRW"})
	require.NoError(t, err)

	part, err := c.Cancel(e.ctx, pg.CancelRequest{IdempotencyKey: "refund:r1", PaymentKey: p.PaymentKey, Amount: 4000, Reason: "refund"})
	require.NoError(t, err)
	require.Equal(t, "partially_canceled", part.Status)
	require.EqualValues(t, 4000, part.CanceledAmount)
	_, err = c.Cancel(e.ctx, pg.CancelRequest{IdempotencyKey: "refund:r2", PaymentKey: p.PaymentKey, Amount: 7000, Reason: "refund"})
	require.True(t, adapters.Is(err, adapters.Invalid), "more than the balance: %v", err)
	rest, err := c.Cancel(e.ctx, pg.CancelRequest{IdempotencyKey: "refund:r3", PaymentKey: p.PaymentKey, Reason: "refund"})
	require.NoError(t, err)
	require.Equal(t, "canceled", rest.Status)
	require.EqualValues(t, 10000, rest.CanceledAmount)
	_, err = c.Cancel(e.ctx, pg.CancelRequest{IdempotencyKey: "refund:r3", PaymentKey: p.PaymentKey, Reason: "refund"})
	require.NoError(t, err, "a replayed cancel answers the original")
	n, amt := 0, int64(0)
	for _, r := range e.sim.Records(providersim.RecordFilter{PaymentKey: p.PaymentKey, Kind: providersim.KindCancel}) {
		n, amt = n+1, amt+r.Amount
	}
	require.Equal(t, 2, n)
	require.EqualValues(t, 10000, amt)
}

func TestTossSettlementsListApprovalsAndRefunds(t *testing.T) {
	e := newEnv(t)
	c := e.tossAt("alpha")
	bk := e.tossCard(c, providersim.CardApprove, "cus_1")
	p, err := c.Authorize(e.ctx, pg.AuthorizeRequest{IdempotencyKey: "payment:pay_0004:authorize", BillingKey: bk, CustomerKey: "cus_1", OrderID: "o", Amount: 10000, Currency: "KRW"})
	require.NoError(t, err)
	_, err = c.Cancel(e.ctx, pg.CancelRequest{IdempotencyKey: "refund:r4", PaymentKey: p.PaymentKey, Amount: 3000, Reason: "refund"})
	require.NoError(t, err)

	items, err := c.Settlements(e.ctx, time.Now().In(time.FixedZone("KST", 9*3600)).Format("2006-01-02"))
	require.NoError(t, err)
	require.ElementsMatch(t, []pg.SettlementItem{
		{PaymentKey: p.PaymentKey, OrderID: "pay_0004", Type: "capture", Amount: 10000, Fee: 250, Currency: "KRW"},
		{PaymentKey: p.PaymentKey, OrderID: "pay_0004", Type: "refund", Amount: 3000, Currency: "KRW"},
	}, items)
}

func TestTossRefusesAWrongSecretKey(t *testing.T) {
	e := newEnv(t)
	req, err := http.NewRequest(http.MethodGet, e.url+"/toss/alpha/v1/payments/x", nil)
	require.NoError(t, err)
	req.SetBasicAuth("live_sk_not_for_the_sandbox", "")
	resp, err := e.hc.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusUnauthorized, resp.StatusCode)
}

// Outages and timeouts after commit keep their meaning on the Toss paths.
func TestTossFaults(t *testing.T) {
	e := newEnv(t)
	c := e.tossAt("alpha")
	bk := e.tossCard(c, providersim.CardApprove, "cus_1")
	req := pg.AuthorizeRequest{IdempotencyKey: "payment:pay_0005:authorize", BillingKey: bk, CustomerKey: "cus_1", OrderID: "o", Amount: 1000, Currency: "KRW"}

	require.NoError(t, e.admin.SetFault(e.ctx, providersim.Fault{Provider: "pg:alpha", Op: providersim.OpAuthorize, Mode: providersim.ModeOutage, Count: 1}))
	_, err := c.Authorize(e.ctx, req)
	require.True(t, adapters.Is(err, adapters.Unavailable), "%v", err)

	require.NoError(t, e.admin.SetFault(e.ctx, providersim.Fault{Provider: "pg:alpha", Op: providersim.OpAuthorize, Mode: providersim.ModeTimeoutAfterCommit, Count: 1}))
	_, err = c.Authorize(e.ctx, req)
	require.True(t, adapters.Is(err, adapters.Ambiguous), "%v", err)
	found, err := c.GetByIdempotencyKey(e.ctx, req.IdempotencyKey)
	require.NoError(t, err, "the approval committed before the connection dropped")
	require.Equal(t, "captured", found.Status)
}
