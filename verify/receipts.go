package verify

import (
	"context"
	"fmt"

	"github.com/paysaga/paysaga/adapters/toss"
	"github.com/paysaga/paysaga/providersim"
)

// CashReceiptsMatch (issue 14): every bank-account payment has exactly one
// receipt for its bank part (and, receipted at spend, every wallet part one
// for it); no card payment has one; a settled receipt (registered, or
// cancelled in full) stands for what was paid minus what was refunded of the
// tenders it covers (issued - cancelled = paid - refunded); a receipt older
// than MinAge is settled (issued, not pending or failed); the sandbox issued
// each exactly once and cancelled what the row says. Receipted at top-up, every
// succeeded top-up has one and no wallet part does.
const CashReceiptsMatch = "cash_receipts_match"

// receiptFacts is one payment (or top-up) with its receipt, if any.
type receiptFacts struct {
	id, kind                   string // kind: the method's kind ("" wallet only, "topup" a top-up)
	card, wallet, points       int64  // the payment's tenders (a top-up: wallet = its amount)
	cardRefunded, walletRefund int64
	old                        bool // created before MinAge

	hasReceipt                   bool
	coversMethod, coversWallet   bool
	status, pg                   string
	amount, cancelled, cancelsTF int64
	taxFree, cancelledTF         int64
}

func (v *verifier) cashReceiptsMatch(ctx context.Context) (Result, error) {
	res := Result{Name: CashReceiptsMatch}
	facts, err := v.receiptFacts(ctx)
	if err != nil {
		return res, err
	}
	issues, cancels := map[string]int{}, map[string]int64{}
	for _, r := range v.recs {
		switch r.Kind {
		case providersim.KindCashReceipt:
			issues[r.Provider+"/"+r.OrderID]++
		case providersim.KindCashReceiptCancel:
			cancels[r.Provider+"/"+r.OrderID] += r.Amount
		}
	}
	for _, f := range facts {
		res.Checked++
		v.judgeReceipt(&res, f, issues, cancels)
	}
	return res, nil
}

// judgeReceipt adds f's breaches to res.
func (v *verifier) judgeReceipt(res *Result, f receiptFacts, issues map[string]int, cancels map[string]int64) {
	breach := func(format string, args ...any) {
		res.Breaches = append(res.Breaches, f.id+": "+fmt.Sprintf(format, args...))
	}
	wantMethod := f.kind == "bank_account" && f.card > 0
	wantWallet, judgeWallet := false, v.src.CashReceiptAt != ""
	if f.kind == "topup" {
		wantWallet = v.src.CashReceiptAt == "topup"
	} else {
		wantWallet = f.wallet > 0 && v.src.CashReceiptAt == "spend"
	}
	if !judgeWallet && f.hasReceipt {
		wantWallet = f.coversWallet // the rule is unknown here: accept what was receipted
	}
	switch {
	case !f.hasReceipt && (wantMethod || wantWallet):
		if f.old {
			breach("owes a cash receipt and has none")
		}
		return
	case !f.hasReceipt:
		return
	case f.kind == "topup" && judgeWallet && !wantWallet:
		breach("a top-up has a receipt, but receipts are issued at spend")
	case f.kind == "card" && f.coversMethod:
		breach("a card part has a cash receipt")
	case f.coversMethod != wantMethod || (f.kind != "topup" && f.coversWallet != wantWallet):
		breach("receipt covers method=%v wallet=%v, want method=%v wallet=%v", f.coversMethod, f.coversWallet, wantMethod, wantWallet)
	}
	var paid, refunded int64
	if f.coversMethod {
		paid, refunded = paid+f.card, refunded+f.cardRefunded
	}
	if f.coversWallet || f.kind == "topup" {
		paid, refunded = paid+f.wallet, refunded+f.walletRefund
	}
	if f.amount != paid {
		breach("receipt for %d, its tenders paid %d", f.amount, paid)
	}
	if f.cancelledTF > f.taxFree || f.cancelsTF != f.cancelledTF {
		breach("cancelled tax-free %d (cancels %d) of %d", f.cancelledTF, f.cancelsTF, f.taxFree)
	}
	if f.old && (f.status == "pending" || f.status == "failed") {
		breach("receipt still %s", f.status)
	}
	settled := f.status == "registered" || f.status == "canceled"
	if settled && f.amount-f.cancelled != paid-refunded {
		breach("receipt stands for %d (issued %d - cancelled %d), paid - refunded is %d", f.amount-f.cancelled, f.amount, f.cancelled, paid-refunded)
	}
	if f.status == "pending" || f.pg == "" {
		return
	}
	// The sandbox serves receipts on Toss's protocol, whose orderId is the id made safe.
	key := "receipts:" + f.pg + "/" + toss.OrderIDFor(f.id)
	if n := issues[key]; n != 1 {
		breach("issued %d times at %s", n, f.pg)
	}
	if got := cancels[key]; got != f.cancelled {
		breach("%s cancelled %d, the row says %d", f.pg, got, f.cancelled)
	}
}

// receiptFacts reads every captured payment and succeeded top-up with its receipt.
func (v *verifier) receiptFacts(ctx context.Context) ([]receiptFacts, error) {
	cutoff := v.src.Now().Add(-v.src.MinAge)
	rows, err := v.src.Pool.Query(ctx, `
		SELECT p.id, coalesce(m.kind, ''), p.amount - p.wallet_amount - p.points_amount, p.wallet_amount, p.points_amount, p.created_at < $1,
		       r.id IS NOT NULL, coalesce(r.covers_method, false), coalesce(r.covers_wallet, false), coalesce(r.status, ''),
		       coalesce(r.pg, ''), coalesce(r.amount, 0), coalesce(r.cancelled_amount, 0), coalesce(r.tax_free, 0),
		       coalesce(r.cancelled_tax_free, 0),
		       coalesce((SELECT sum(c.tax_free) FROM cash_receipt_cancels c WHERE c.receipt_id = r.id AND c.status = 'done'), 0)::bigint
		FROM payments p LEFT JOIN payment_methods m ON m.id = p.method_id LEFT JOIN cash_receipts r ON r.payment_id = p.id
		WHERE p.captured_amount > 0
		UNION ALL
		SELECT t.id, 'topup', 0, t.amount, 0, t.created_at < $1,
		       r.id IS NOT NULL, false, false, coalesce(r.status, ''), coalesce(r.pg, ''), coalesce(r.amount, 0),
		       coalesce(r.cancelled_amount, 0), coalesce(r.tax_free, 0), coalesce(r.cancelled_tax_free, 0), 0::bigint
		FROM wallet_topups t LEFT JOIN cash_receipts r ON r.topup_id = t.id
		WHERE t.status = 'succeeded'`, cutoff)
	if err != nil {
		return nil, err
	}
	var out []receiptFacts
	for rows.Next() {
		var f receiptFacts
		if err := rows.Scan(&f.id, &f.kind, &f.card, &f.wallet, &f.points, &f.old, &f.hasReceipt, &f.coversMethod, &f.coversWallet, &f.status,
			&f.pg, &f.amount, &f.cancelled, &f.taxFree, &f.cancelledTF, &f.cancelsTF); err != nil {
			rows.Close()
			return nil, err
		}
		out = append(out, f)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	return out, v.refundedTenders(ctx, out)
}

// refundedTenders fills in how much of each payment's card and wallet parts
// its succeeded refunds gave back (each refund's slice, as the ledger splits it).
func (v *verifier) refundedTenders(ctx context.Context, facts []receiptFacts) error {
	byID := map[string]*receiptFacts{}
	for i := range facts {
		byID[facts[i].id] = &facts[i]
	}
	rows, err := v.src.Pool.Query(ctx, `SELECT payment_id, refunded_before, amount FROM refunds WHERE status = 'succeeded'`)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		var before, amount int64
		if err := rows.Scan(&id, &before, &amount); err != nil {
			return err
		}
		if f := byID[id]; f != nil {
			card, wallet := tenderSplit(f.card, f.wallet, f.points, before, amount)
			f.cardRefunded, f.walletRefund = f.cardRefunded+card, f.walletRefund+wallet
		}
	}
	return rows.Err()
}
