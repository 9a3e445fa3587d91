package providersim_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/paysaga/paysaga/adapters"
	"github.com/paysaga/paysaga/adapters/pg"
	"github.com/paysaga/paysaga/adapters/portone"
	"github.com/paysaga/paysaga/providersim"
)

const portoneWebhookSecret = "whsec_cGF5c2FnYS10ZXN0LXBvcnRvbmUtd2ViaG9vaw=="

func (e *env) portoneAt(name string) *portone.Connector {
	e.t.Helper()
	c, err := portone.New(portone.Config{Name: name, BaseURL: e.url + "/portone/" + name, APISecret: providersim.PortOneSecretPrefix + "test-secret",
		WebhookSecret: portoneWebhookSecret, ReceiptChannelKey: "channel-key-sandbox-receipts"}, e.hc)
	require.NoError(e.t, err)
	return c
}

func (e *env) portoneCard(c *portone.Connector, number string) pg.BillingKey {
	e.t.Helper()
	bk, err := c.IssueBillingKey(e.ctx, pg.IssueBillingKeyRequest{CustomerKey: "cus_1", AuthKey: e.tokenize(number)})
	require.NoError(e.t, err)
	return bk
}

func TestPortOnePaysOncePerPaymentID(t *testing.T) {
	e := newEnv(t)
	c := e.portoneAt("beta")
	bk := e.portoneCard(c, providersim.CardApproveCheck)
	require.Equal(t, "check", bk.CardType)
	require.Equal(t, "4444", bk.CardLast4)
	req := pg.AuthorizeRequest{IdempotencyKey: "payment:pay_p1:authorize", BillingKey: bk.BillingKey, CustomerKey: "cus_1", OrderID: "o-1", Amount: 15000, Currency: "KRW"}

	first, err := c.Authorize(e.ctx, req)
	require.NoError(t, err)
	again, err := c.Authorize(e.ctx, req) // AlreadyPaidError, resolved by a look-up
	require.NoError(t, err)

	require.Equal(t, "pay_p1", first.PaymentKey, "the paymentId paysaga assigned")
	require.Equal(t, first.PaymentKey, again.PaymentKey)
	require.Equal(t, "captured", again.Status)
	require.Len(t, e.sim.Records(providersim.RecordFilter{Provider: "pg:beta", Kind: providersim.KindCapture}), 1)
}

func TestPortOneRefusalsAndLookups(t *testing.T) {
	e := newEnv(t)
	c := e.portoneAt("beta")
	for card, code := range map[string]string{providersim.CardDecline: "CARD_DECLINED", providersim.CardInsufficientFunds: "INSUFFICIENT_FUNDS"} {
		bk := e.portoneCard(c, card)
		_, err := c.Authorize(e.ctx, pg.AuthorizeRequest{IdempotencyKey: key("payment:pay_d") + ":authorize", BillingKey: bk.BillingKey, CustomerKey: "cus_1", OrderID: "o", Amount: 1000, Currency: "KRW"})
		var pe *adapters.Error
		require.ErrorAs(t, err, &pe)
		require.Equal(t, adapters.Declined, pe.Kind)
		require.Equal(t, code, pe.Code)
	}
	_, err := c.GetByIdempotencyKey(e.ctx, "payment:pay_none:authorize")
	require.True(t, adapters.Is(err, adapters.NotFound), "%v", err)
	require.Empty(t, e.sim.Records(providersim.RecordFilter{Kind: providersim.KindCapture}))
}

// PortOne takes no idempotency key on a cancel: the connector's tag and
// currentCancellableAmount keep a retried cancel from cancelling twice.
func TestPortOneCancelIsIdempotentByItsTag(t *testing.T) {
	e := newEnv(t)
	c := e.portoneAt("beta")
	bk := e.portoneCard(c, providersim.CardApprove)
	p, err := c.Authorize(e.ctx, pg.AuthorizeRequest{IdempotencyKey: "payment:pay_p3:authorize", BillingKey: bk.BillingKey, CustomerKey: "cus_1", OrderID: "o", Amount: 10000, Currency: "KRW"})
	require.NoError(t, err)

	part := pg.CancelRequest{IdempotencyKey: "refund:r1", PaymentKey: p.PaymentKey, Amount: 4000, Reason: "refund"}
	got, err := c.Cancel(e.ctx, part)
	require.NoError(t, err)
	require.Equal(t, "partially_canceled", got.Status)
	got, err = c.Cancel(e.ctx, part) // a retry
	require.NoError(t, err)
	require.EqualValues(t, 4000, got.CanceledAmount, "not cancelled twice")

	// The answer to a cancel is lost after PortOne committed it; the retry finds it.
	require.NoError(t, e.admin.SetFault(e.ctx, providersim.Fault{Provider: "pg:beta", Op: providersim.OpCancel, Mode: providersim.ModeTimeoutAfterCommit, Count: 1}))
	rest := pg.CancelRequest{IdempotencyKey: "payment:pay_p3:cancel-capture", PaymentKey: p.PaymentKey, Reason: "undo"}
	_, err = c.Cancel(e.ctx, rest)
	require.NoError(t, err, "the lost answer is resolved by reading the payment")
	got, err = c.Cancel(e.ctx, rest)
	require.NoError(t, err)
	require.Equal(t, "canceled", got.Status)
	n, amt := 0, int64(0)
	for _, r := range e.sim.Records(providersim.RecordFilter{PaymentKey: p.PaymentKey, Kind: providersim.KindCancel}) {
		n, amt = n+1, amt+r.Amount
	}
	require.Equal(t, 2, n)
	require.EqualValues(t, 10000, amt)
}

func TestPortOneOutageAndAuth(t *testing.T) {
	e := newEnv(t)
	c := e.portoneAt("beta")
	bk := e.portoneCard(c, providersim.CardApprove)
	require.NoError(t, e.admin.SetFault(e.ctx, providersim.Fault{Provider: "pg:beta", Op: "*", Mode: providersim.ModeOutage, Count: 1}))
	_, err := c.Authorize(e.ctx, pg.AuthorizeRequest{IdempotencyKey: "payment:pay_p4:authorize", BillingKey: bk.BillingKey, CustomerKey: "cus_1", OrderID: "o", Amount: 1000, Currency: "KRW"})
	require.True(t, adapters.Is(err, adapters.Unavailable), "%v", err)

	req, err := http.NewRequest(http.MethodGet, e.url+"/portone/beta/payments/x", nil)
	require.NoError(t, err)
	req.Header.Set("Authorization", "PortOne not-a-sandbox-secret")
	resp, err := e.hc.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusUnauthorized, resp.StatusCode)
}

// An async card at PortOne: the billing-key payment is PAY_PENDING (nothing
// recorded), then the sandbox decides and POSTs Transaction.Paid or
// Transaction.Failed, signed so that the PortOne connector verifies it; a paid
// one is recorded once, a failed one is found by no look-up and cannot be
// cancelled.
func TestPortOnePendingPaymentIsDecidedAndAnnouncedSigned(t *testing.T) {
	type hook struct {
		header http.Header
		body   []byte
	}
	got := make(chan hook, 8)
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if r.URL.Path == "/hooks/beta" {
			got <- hook{r.Header.Clone(), body}
		}
	}))
	t.Cleanup(recv.Close)
	e := newEnv(t)
	require.NoError(t, e.admin.SetWebhooks(e.ctx, providersim.WebhookConfig{URL: recv.URL + "/hooks",
		PortOneSecrets: map[string]string{"beta": portoneWebhookSecret}}))
	c := e.portoneAt("beta")

	for number, want := range map[string]string{providersim.CardAsyncApprove: "Transaction.Paid", providersim.CardAsyncDecline: "Transaction.Failed"} {
		key := "payment:pay_" + number[12:] + ":authorize"
		p, err := c.Authorize(e.ctx, pg.AuthorizeRequest{IdempotencyKey: key, BillingKey: e.portoneCard(c, number).BillingKey,
			CustomerKey: "cus_1", OrderID: "o-1", Amount: 5000, Currency: "KRW"})
		require.NoError(t, err)
		require.Equal(t, "pending", p.Status)
		require.Empty(t, e.records(providersim.RecordFilter{PaymentKey: p.PaymentKey, Kind: providersim.KindAuthorize}), "nothing recorded while pending")
		again, err := c.GetByIdempotencyKey(e.ctx, key)
		require.NoError(t, err, "a pending payment is found by its key")
		require.Equal(t, "pending", again.Status)

		types := map[string]bool{}
		for !types[want] {
			select {
			case h := <-got:
				w, err := c.VerifyWebhook(h.header, h.body, time.Now())
				require.NoError(t, err, "signed with the PG's secret: %s", h.body)
				require.Equal(t, p.PaymentKey, w.PaymentID)
				types[w.Type] = true
			case <-time.After(5 * time.Second):
				t.Fatalf("no %s webhook (got %v)", want, types)
			}
		}
		require.True(t, types["Transaction.PayPending"], "the pending state is announced too")
	}
	paid, err := c.GetByIdempotencyKey(e.ctx, "payment:pay_0077:authorize")
	require.NoError(t, err)
	require.Equal(t, "captured", paid.Status)
	n, _ := sum(e.records(providersim.RecordFilter{Provider: "pg:beta", Kind: providersim.KindCapture}))
	require.Equal(t, 1, n, "only the paid one took money")
	_, err = c.GetByIdempotencyKey(e.ctx, "payment:pay_0085:authorize")
	require.True(t, adapters.Is(err, adapters.NotFound), "a FAILED payment took no money: %v", err)
	_, err = c.Cancel(e.ctx, pg.CancelRequest{IdempotencyKey: "payment:pay_0085:void", PaymentKey: "pay_0085", Reason: "void"})
	require.Error(t, err, "nothing to cancel")
}

// The PortOne connector reconciles from the sandbox's payment events: a
// capture line per payment paid, a refund line per cancellation, no fees, a
// dropped plant missing, nothing from another day.
func TestPortOneSettlementsFromPaymentEvents(t *testing.T) {
	e := newEnv(t)
	c := e.portoneAt("beta")
	bk := e.portoneCard(c, providersim.CardApprove)
	pay := func(id string) {
		_, err := c.Authorize(e.ctx, pg.AuthorizeRequest{IdempotencyKey: "payment:" + id + ":authorize", BillingKey: bk.BillingKey, CustomerKey: "cus_1", OrderID: "o-1", Amount: 15000, Currency: "KRW"})
		require.NoError(t, err)
	}
	pay("pay_s1")
	pay("pay_s2")
	for _, amount := range []int64{4000, 0} {
		_, err := c.Cancel(e.ctx, pg.CancelRequest{IdempotencyKey: "refund:r" + strconv.FormatInt(amount, 10), PaymentKey: "pay_s1", Amount: amount, Reason: "refund"})
		require.NoError(t, err)
	}
	require.NoError(t, e.admin.PlantSettlement(e.ctx, providersim.Plant{PaymentKey: "pay_s2", Drop: true}))
	today := time.Now().In(time.FixedZone("KST", 9*3600)).Format("2006-01-02")

	items, err := c.Settlements(e.ctx, today)

	require.NoError(t, err)
	require.Equal(t, []pg.SettlementItem{
		{PaymentKey: "pay_s1", OrderID: "pay_s1", Type: "capture", Amount: 15000, Currency: "KRW"},
		{PaymentKey: "pay_s1", OrderID: "pay_s1", Type: "refund", Amount: 4000, Currency: "KRW"},
		{PaymentKey: "pay_s1", OrderID: "pay_s1", Type: "refund", Amount: 11000, Currency: "KRW"},
	}, items)
	other, err := c.Settlements(e.ctx, time.Now().AddDate(0, 0, -3).Format("2006-01-02"))
	require.NoError(t, err)
	require.Empty(t, other)
}
