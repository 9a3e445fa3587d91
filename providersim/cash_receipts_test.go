package providersim_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/paysaga/paysaga/adapters"
	"github.com/paysaga/paysaga/adapters/pg"
	"github.com/paysaga/paysaga/providersim"
)

// A receipt through the Toss connector: issued at once (IN_PROGRESS), once
// per key; registered at the NTS after the delay, as the look-up shows; partly
// and then wholly cancelled; the receipt service down answers Unavailable,
// records nothing, and leaves the PG's payments alone.
func TestTossCashReceiptIssueRegisterCancel(t *testing.T) {
	clock := &providersim.Clock{}
	e := newEnv(t, func(s *providersim.Server) { providersim.UseClock(s, clock) })
	c := e.tossAt("alpha")
	receipts, ok := pg.ReceiptsOf(c)
	require.True(t, ok, "the Toss connector issues cash receipts")
	day := clock.Now().In(time.FixedZone("KST", 9*3600)).Format("2006-01-02")

	req := pg.IssueCashReceiptRequest{IdempotencyKey: "receipt:pay_r1:issue", OrderID: "pay_r1", Amount: 30_000, TaxFreeAmount: 12_000,
		Type: pg.ReceiptIncomeDeduction, Identity: "01012345678"}
	r, err := receipts.IssueCashReceipt(e.ctx, req)
	require.NoError(t, err)
	require.Equal(t, pg.ReceiptIssued, r.Status, "sent to the NTS, not yet registered")
	again, err := receipts.IssueCashReceipt(e.ctx, req)
	require.NoError(t, err)
	require.Equal(t, r.ReceiptKey, again.ReceiptKey, "a retry under the same key is the same receipt")
	recs := e.sim.Records(providersim.RecordFilter{Provider: "receipts:alpha", Kind: providersim.KindCashReceipt})
	require.Len(t, recs, 1)
	require.EqualValues(t, 12_000, recs[0].TaxFreeAmount)

	clock.Advance(3 * time.Second)
	found, err := receipts.FindCashReceipt(e.ctx, "pay_r1", day)
	require.NoError(t, err)
	require.Equal(t, pg.ReceiptRegistered, found.Status)
	require.NotEmpty(t, found.IssueNumber)
	_, err = receipts.FindCashReceipt(e.ctx, "pay_none", day)
	require.True(t, adapters.Is(err, adapters.NotFound), "%v", err)

	part, err := receipts.CancelCashReceipt(e.ctx, pg.CancelCashReceiptRequest{IdempotencyKey: "receipt:pay_r1:cancel:rf_1", ReceiptKey: r.ReceiptKey, Amount: 10_000})
	require.NoError(t, err)
	require.EqualValues(t, 20_000, part.Amount)
	require.EqualValues(t, 8_000, part.TaxFreeAmount)
	_, err = receipts.CancelCashReceipt(e.ctx, pg.CancelCashReceiptRequest{IdempotencyKey: "receipt:pay_r1:cancel:rf_1", ReceiptKey: r.ReceiptKey, Amount: 10_000})
	require.NoError(t, err, "a retried cancel answers the first")
	_, err = receipts.CancelCashReceipt(e.ctx, pg.CancelCashReceiptRequest{IdempotencyKey: "receipt:pay_r1:cancel:rf_2", ReceiptKey: r.ReceiptKey, Amount: 20_001})
	require.True(t, adapters.Is(err, adapters.Invalid), "more than remains: %v", err)
	rest, err := receipts.CancelCashReceipt(e.ctx, pg.CancelCashReceiptRequest{IdempotencyKey: "receipt:pay_r1:cancel:rf_3", ReceiptKey: r.ReceiptKey})
	require.NoError(t, err)
	require.Equal(t, pg.ReceiptCanceled, rest.Status)
	cancels := e.sim.Records(providersim.RecordFilter{Provider: "receipts:alpha", Kind: providersim.KindCashReceiptCancel})
	require.Len(t, cancels, 2)
	require.EqualValues(t, 30_000, cancels[0].Amount+cancels[1].Amount)
	require.EqualValues(t, 12_000, cancels[0].TaxFreeAmount+cancels[1].TaxFreeAmount)

	// Bad identity: refused before anything is issued.
	_, err = receipts.IssueCashReceipt(e.ctx, pg.IssueCashReceiptRequest{IdempotencyKey: "receipt:pay_r2:issue", OrderID: "pay_r2", Amount: 1_000,
		Type: pg.ReceiptProof, Identity: "12-34"})
	require.True(t, adapters.Is(err, adapters.Invalid), "%v", err)

	// The receipt service is down; the PG's payments are not.
	e.setFault(providersim.Fault{Provider: "receipts:alpha", Mode: providersim.ModeOutage})
	_, err = receipts.IssueCashReceipt(e.ctx, pg.IssueCashReceiptRequest{IdempotencyKey: "receipt:pay_r3:issue", OrderID: "pay_r3", Amount: 1_000,
		Type: pg.ReceiptIncomeDeduction, Identity: pg.SelfIssueNumber})
	require.True(t, adapters.Is(err, adapters.Unavailable), "%v", err)
	bk := e.tossCard(c, providersim.CardApprove, "cus_r")
	_, err = c.Authorize(e.ctx, pg.AuthorizeRequest{IdempotencyKey: "payment:pay_r4:authorize", BillingKey: bk, CustomerKey: "cus_r", OrderID: "o-r4", Amount: 1_000, Currency: "KRW"})
	require.NoError(t, err, "payments go on while receipts are down")
	require.Len(t, e.sim.Records(providersim.RecordFilter{Provider: "receipts:alpha", Kind: providersim.KindCashReceipt}), 1, "nothing issued while down")
}

// A receipt through the PortOne connector (POST /cash-receipts under a
// merchant-assigned paymentId): issued at once, once even when the answer is
// lost (the retry's CashReceiptAlreadyIssuedError is resolved by the
// look-up); registered after the NTS delay (its issueNumber appears); a
// partial cancel is refused before anything is sent (PortOne cancels whole);
// the whole cancel is recorded once, a repeat changes nothing.
func TestPortOneCashReceiptIssueRegisterCancel(t *testing.T) {
	clock := &providersim.Clock{}
	e := newEnv(t, func(s *providersim.Server) { providersim.UseClock(s, clock) })
	receipts, ok := pg.ReceiptsOf(e.portoneAt("beta"))
	require.True(t, ok, "the PortOne connector issues cash receipts")

	e.setFault(providersim.Fault{Provider: "receipts:beta", Op: providersim.OpCashReceipt, Mode: providersim.ModeTimeoutAfterCommit, Count: 1})
	req := pg.IssueCashReceiptRequest{IdempotencyKey: "receipt:pay_p1:issue", OrderID: "pay_p1", Amount: 30_000, TaxFreeAmount: 12_000,
		Type: pg.ReceiptIncomeDeduction, Identity: "01012345678"}
	_, err := receipts.IssueCashReceipt(e.ctx, req)
	require.True(t, adapters.Is(err, adapters.Ambiguous), "the answer was lost: %v", err)
	r, err := receipts.IssueCashReceipt(e.ctx, req)
	require.NoError(t, err)
	require.Equal(t, pg.ReceiptIssued, r.Status, "sent to the NTS, not yet registered")
	require.Empty(t, r.IssueNumber)
	recs := e.sim.Records(providersim.RecordFilter{Provider: "receipts:beta", Kind: providersim.KindCashReceipt})
	require.Len(t, recs, 1, "issued once")
	require.EqualValues(t, 12_000, recs[0].TaxFreeAmount)

	clock.Advance(3 * time.Second)
	found, err := receipts.FindCashReceipt(e.ctx, "pay_p1", "")
	require.NoError(t, err)
	require.Equal(t, pg.ReceiptRegistered, found.Status)
	require.NotEmpty(t, found.IssueNumber)
	require.EqualValues(t, 30_000, found.Amount)
	_, err = receipts.FindCashReceipt(e.ctx, "pay_none", "")
	require.True(t, adapters.Is(err, adapters.NotFound), "%v", err)

	_, err = receipts.CancelCashReceipt(e.ctx, pg.CancelCashReceiptRequest{IdempotencyKey: "receipt:pay_p1:cancel:rf_1", ReceiptKey: r.ReceiptKey, Amount: 10_000})
	require.True(t, adapters.Is(err, adapters.Invalid), "PortOne cancels whole: %v", err)
	for range 2 {
		rest, err := receipts.CancelCashReceipt(e.ctx, pg.CancelCashReceiptRequest{IdempotencyKey: "receipt:pay_p1:cancel:rf_2", ReceiptKey: r.ReceiptKey})
		require.NoError(t, err)
		require.Equal(t, pg.ReceiptCanceled, rest.Status)
	}
	cancels := e.sim.Records(providersim.RecordFilter{Provider: "receipts:beta", Kind: providersim.KindCashReceiptCancel})
	require.Len(t, cancels, 1, "cancelled once")
	require.EqualValues(t, 30_000, cancels[0].Amount)
	require.EqualValues(t, 12_000, cancels[0].TaxFreeAmount)

	// The receipt service down: Unavailable, nothing recorded.
	e.setFault(providersim.Fault{Provider: "receipts:beta", Mode: providersim.ModeOutage})
	_, err = receipts.IssueCashReceipt(e.ctx, pg.IssueCashReceiptRequest{OrderID: "pay_p2", Amount: 1000, Type: pg.ReceiptProof, Identity: "1234567891"})
	require.True(t, adapters.Is(err, adapters.Unavailable), "%v", err)
	require.Len(t, e.sim.Records(providersim.RecordFilter{Provider: "receipts:beta", Kind: providersim.KindCashReceipt}), 1)
}
