package providersim_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/paysaga/paysaga/adapters/pg"
	"github.com/paysaga/paysaga/providersim"
	"github.com/paysaga/paysaga/signature"
)

// An async card answers pending, then the PG decides and POSTs a signed webhook
// to {url}/{pg}; the authorization is recorded only when it is decided.
func TestAsyncCardAuthorizesLaterAndSendsASignedWebhook(t *testing.T) {
	got := make(chan providersim.WebhookEvent, 2)
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		// assert, not require: this runs on the server's goroutine.
		assert.Equal(t, "/hooks/alpha", r.URL.Path)
		assert.NoError(t, signature.Verify(r.Header.Get(providersim.HeaderPGSignature), body, []byte("pg-secret-0123456789"), time.Minute, time.Now()))
		var ev providersim.WebhookEvent
		assert.NoError(t, json.Unmarshal(body, &ev))
		got <- ev
	}))
	t.Cleanup(recv.Close)
	e := newEnv(t)
	require.NoError(t, e.admin.SetWebhooks(e.ctx, providersim.WebhookConfig{URL: recv.URL + "/hooks", Secret: "pg-secret-0123456789"}))

	for number, want := range map[string]string{providersim.CardAsyncApprove: "authorized", providersim.CardAsyncDecline: "canceled"} {
		p := e.authorize("alpha", e.billingKey("alpha", number), 5000)
		require.Equal(t, "pending", p.Status)
		require.Empty(t, e.records(providersim.RecordFilter{PaymentKey: p.PaymentKey}), "nothing recorded while pending")
		_, err := e.pg["alpha"].Capture(e.ctx, pg.CaptureRequest{IdempotencyKey: key("cap"), PaymentKey: p.PaymentKey, Amount: 5000})
		require.Error(t, err, "a pending authorization cannot be captured")

		select {
		case ev := <-got:
			require.Equal(t, p.PaymentKey, ev.PaymentKey)
			require.Equal(t, want, ev.Status)
		case <-time.After(5 * time.Second):
			t.Fatal("no webhook")
		}
		after, err := e.pg["alpha"].GetPayment(e.ctx, p.PaymentKey)
		require.NoError(t, err)
		require.Equal(t, want, after.Status)
	}
	n, _ := sum(e.records(providersim.RecordFilter{Kind: providersim.KindAuthorize}))
	require.Equal(t, 1, n, "only the approved one is an authorization")
}

// The settlement report lists captures (with the PG's fee) and refunds after
// capture, not voids; a plant changes the report, not what happened.
func TestSettlementReportAndPlant(t *testing.T) {
	e := newEnv(t)
	alpha := e.pg["alpha"]
	captured := e.authorize("alpha", e.billingKey("alpha", providersim.CardApprove), 10_000)
	_, err := alpha.Capture(e.ctx, pg.CaptureRequest{IdempotencyKey: key("cap"), PaymentKey: captured.PaymentKey, Amount: 10_000})
	require.NoError(t, err)
	_, err = alpha.Cancel(e.ctx, pg.CancelRequest{IdempotencyKey: key("ref"), PaymentKey: captured.PaymentKey, Amount: 4_000, Reason: "refund"})
	require.NoError(t, err)
	voided := e.authorize("alpha", e.billingKey("alpha", providersim.CardApprove), 7_000)
	_, err = alpha.Cancel(e.ctx, pg.CancelRequest{IdempotencyKey: key("void"), PaymentKey: voided.PaymentKey, Reason: "void"})
	require.NoError(t, err)
	today := time.Now().In(time.FixedZone("KST", 9*3600)).Format("2006-01-02")

	items, err := alpha.Settlements(e.ctx, today)
	require.NoError(t, err)
	require.Equal(t, []pg.SettlementItem{
		{PaymentKey: captured.PaymentKey, OrderID: captured.OrderID, Type: "capture", Amount: 10_000, Fee: 250, Currency: "KRW"},
		{PaymentKey: captured.PaymentKey, OrderID: captured.OrderID, Type: "refund", Amount: 4_000, Currency: "KRW"},
	}, items)
	beta, err := e.pg["beta"].Settlements(e.ctx, today)
	require.NoError(t, err)
	require.Empty(t, beta)
	yesterday, err := alpha.Settlements(e.ctx, time.Now().AddDate(0, 0, -2).Format("2006-01-02"))
	require.NoError(t, err)
	require.Empty(t, yesterday)

	amount := int64(9_000)
	require.NoError(t, e.admin.PlantSettlement(e.ctx, providersim.Plant{PaymentKey: captured.PaymentKey, Amount: &amount}))
	items, err = alpha.Settlements(e.ctx, today)
	require.NoError(t, err)
	require.EqualValues(t, 9_000, items[0].Amount)
	_, err = alpha.Settlements(e.ctx, "2026-02-30")
	require.Error(t, err)
}
