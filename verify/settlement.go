package verify

import (
	"context"
	"fmt"
	"sort"

	"github.com/paysaga/paysaga/ledger"
)

// Settlement invariant names.
const (
	// SettlementReconciles: per producer and currency, pending + payable + paid
	// = sales - refunds - commission - VAT, the right side recomputed from the
	// payments, their items and refunds with the ledger's own rounding.
	SettlementReconciles = "producer_settlement_reconciles"
	// CommissionVATBooked: the VAT owed on commission in the ledger equals the
	// VAT of the settlement entries (what statements and tax invoices show).
	CommissionVATBooked = "commission_vat_matches_entries"
)

type producerKey struct{ producer, currency string }

// settlementReconciles recomputes what each producer is owed in total (paid
// or not) from the business tables and compares it with the ledger's pending
// and payable balances plus the payouts paid.
func (v *verifier) settlementReconciles(ctx context.Context) (Result, error) {
	res := Result{Name: SettlementReconciles}
	want, err := v.expectedOwed(ctx)
	if err != nil {
		return res, err
	}
	got := map[producerKey]int64{}
	rows, err := v.src.Pool.Query(ctx, `SELECT split_part(account, ':', 2), currency, -sum(amount)::bigint FROM journal_postings
		WHERE account LIKE 'producer:%:pending' OR account LIKE 'producer:%:payable' GROUP BY 1, 2`)
	if err != nil {
		return res, err
	}
	for rows.Next() {
		var k producerKey
		var owed int64
		if err := rows.Scan(&k.producer, &k.currency, &owed); err != nil {
			rows.Close()
			return res, err
		}
		got[k] += owed
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return res, err
	}
	rows, err = v.src.Pool.Query(ctx, `SELECT producer_id, currency, sum(amount)::bigint FROM payouts WHERE status = 'paid' GROUP BY 1, 2`)
	if err != nil {
		return res, err
	}
	for rows.Next() {
		var k producerKey
		var paid int64
		if err := rows.Scan(&k.producer, &k.currency, &paid); err != nil {
			rows.Close()
			return res, err
		}
		got[k] += paid
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return res, err
	}
	keys := map[producerKey]bool{}
	for k := range want {
		keys[k] = true
	}
	for k := range got {
		keys[k] = true
	}
	for k := range keys {
		res.Checked++
		if want[k] != got[k] {
			res.Breaches = append(res.Breaches, fmt.Sprintf("producer %s %s: pending + payable + paid = %d, sales - refunds - commission - VAT = %d",
				k.producer, k.currency, got[k], want[k]))
		}
	}
	return res, nil
}

// expectedOwed is, per producer, what its captured sales come to after the
// refunds (slices allocated over items as the ledger does, plus what item
// refunds named of each item) and, for confirmed items,
// their commission and VAT. Payments captured before settlement on
// confirmation booked the fee (no VAT) at capture.
func (v *verifier) expectedOwed(ctx context.Context) (map[producerKey]int64, error) {
	rows, err := v.src.Pool.Query(ctx, `SELECT p.id, p.currency, p.settles_on_confirm,
		COALESCE((SELECT sum(r.amount) FROM refunds r WHERE r.payment_id = p.id AND r.status = 'succeeded'
			AND NOT EXISTS (SELECT 1 FROM refund_items ri WHERE ri.refund_id = r.id)), 0)::bigint,
		COALESCE((SELECT sum(ri.amount) FROM refund_items ri JOIN refunds r ON r.id = ri.refund_id
			WHERE ri.payment_id = p.id AND ri.producer_id = i.producer_id AND r.status = 'succeeded'), 0)::bigint,
		i.producer_id, i.amount, i.fee, i.confirmed_at IS NOT NULL
		FROM payments p JOIN payment_items i ON i.payment_id = p.id
		WHERE p.captured_amount > 0 ORDER BY p.id, i.producer_id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	type line struct {
		payment, currency string
		settles           bool
		sliced, named     int64 // the payment's slice refunds; what item refunds named of this item
		set               ledger.ItemSettlement
	}
	byPayment := map[string][]line{}
	for rows.Next() {
		var l line
		var it ledger.Item
		var confirmed bool
		if err := rows.Scan(&l.payment, &l.currency, &l.settles, &l.sliced, &l.named, &it.ProducerID, &it.Amount, &it.Fee, &confirmed); err != nil {
			return nil, err
		}
		l.set = ledger.SettlementOf(it, confirmed)
		byPayment[l.payment] = append(byPayment[l.payment], l)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	ids := make([]string, 0, len(byPayment))
	for id := range byPayment {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	want := map[producerKey]int64{}
	for _, id := range ids {
		lines := byPayment[id]
		items := make([]ledger.Item, len(lines))
		named := map[string]int64{}
		for i, l := range lines {
			items[i] = ledger.Item{ProducerID: l.set.ProducerID, Amount: l.set.Amount}
			named[l.set.ProducerID] = l.named
		}
		shares := ledger.ItemsRefunded(items, lines[0].sliced, named)
		for i, l := range lines {
			k := producerKey{l.set.ProducerID, l.currency}
			if l.settles {
				want[k] += l.set.Owed(shares[i])
				continue
			}
			// Before settlement on confirmation: payable (amount - fee) at capture,
			// refunds reversing amount and fee share alike.
			legacy := ledger.ItemSettlement{Amount: l.set.Amount, Commission: l.set.Commission, Confirmed: true}
			want[k] += legacy.Owed(shares[i])
		}
	}
	return want, nil
}

// commissionVATBooked compares vat:payable with the entries' VAT.
func (v *verifier) commissionVATBooked(ctx context.Context) (Result, error) {
	res := Result{Name: CommissionVATBooked}
	var ledgerVAT, entriesVAT int64
	var n int
	err := v.src.Pool.QueryRow(ctx, `SELECT COALESCE(-sum(amount), 0)::bigint FROM journal_postings WHERE account = $1`, ledger.VATPayable).Scan(&ledgerVAT)
	if err != nil {
		return res, err
	}
	err = v.src.Pool.QueryRow(ctx, `SELECT COALESCE(sum(commission_vat), 0)::bigint, count(*) FROM settlement_entries`).Scan(&entriesVAT, &n)
	if err != nil {
		return res, err
	}
	res.Checked = n
	if ledgerVAT != entriesVAT {
		res.Breaches = append(res.Breaches, fmt.Sprintf("vat:payable is %d, settlement entries' VAT sums to %d", ledgerVAT, entriesVAT))
	}
	return res, nil
}
