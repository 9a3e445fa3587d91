package verify_test

import (
	"github.com/paysaga/paysaga/ledger"
	"github.com/paysaga/paysaga/workflows"
)

// membershipAndRefund adds to the consistent world one membership period paid
// by its first attempt and one wallet refund of 30,000 (fee 500) transferred.
func (w *world) membershipAndRefund() {
	w.t.Helper()
	w.exec(`INSERT INTO memberships (id, customer_id, plan_id, tier, method_id, currency, price, status, anchor_day, schedule_id)
		VALUES ('mem1', 'c1', 'plus', 'gold', 'm1', 'KRW', 9900, 'active', 1, 'membership:mem1')`)
	pay := w.membershipPayment("mem1", "202612", 1)
	w.exec(`INSERT INTO membership_charges (membership_id, period, currency, amount, status, attempts, payment_id, workflow_id)
		VALUES ('mem1', '202612', 'KRW', 9900, 'succeeded', 1, $1, 'membership:mem1:202612')`, pay)

	w.exec(`INSERT INTO payment_methods (id, customer_id, kind) VALUES ('mb1', 'c1', 'bank_account')`)
	w.exec(`INSERT INTO wallet_refunds (id, customer_id, method_id, currency, amount, fee, status, workflow_id)
		VALUES ('wr1', 'c1', 'mb1', 'KRW', 30000, 500, 'succeeded', 'wallet-refund-wr1')`)
	w.post(ledger.WalletRefundReserveJournal("wr1", "c1", "KRW", 30_000))
	w.payout("c1", "", 29_500, "wallet-refund:wr1:transfer")
	w.post(ledger.WalletRefundPaidJournal("wr1", "KRW", 30_000, 500))
}

// membershipPayment records attempt n of a membership period as a captured
// card payment, as the membership's Checkout does, and returns its id.
func (w *world) membershipPayment(membershipID, period string, attempt int) string {
	w.t.Helper()
	id := workflows.MembershipPaymentID(membershipID, period, attempt)
	order := workflows.MembershipOrderID(membershipID, period, attempt)
	pk := w.authorize(order, "payment:"+id+":authorize", 9900)
	w.capture(pk, "payment:"+id+":capture", 9900)
	w.exec(`INSERT INTO payments (id, order_id, customer_id, method_id, currency, amount, status, pg, pg_payment_key, captured_amount, workflow_id)
		VALUES ($1, $2, 'c1', 'm1', 'KRW', 9900, 'succeeded', 'alpha', $3, 9900, 'checkout-'||$2)`, id, order, pk)
	w.exec(`INSERT INTO payment_items (payment_id, producer_id, amount, fee) VALUES ($1, $2, 9900, 0)`, id, workflows.MembershipProducerID)
	w.post(ledger.CaptureJournal(id, "alpha", "KRW", []ledger.Item{{ProducerID: workflows.MembershipProducerID, Amount: 9900}}))
	return id
}
