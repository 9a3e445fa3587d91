package activities

import (
	"context"
	"fmt"

	"github.com/paysaga/paysaga/db"
	"github.com/paysaga/paysaga/ledger"
)

// Item-targeted refunds (ADR 0016): a refund names the items it gives back;
// once a payment has one, its amount-only refunds are spread over what is
// left of each item. Kept apart from the slice refunds of ADR 0004, which the
// payment's refunds remain until then.

// RefundItem names an item (by its producer) a refund gives back, and how
// much of it: 0 is all that is left of it.
type RefundItem struct {
	ProducerID string
	Amount     int64
}

// Failure codes of item-targeted refunds, as the API answers them (422).
const (
	CodeRefundItemNotFound       = "refund_item_not_found"
	CodeRefundExceedsItemRemains = "refund_exceeds_item_remaining"
)

// ItemRefunds is a payment's items with what its refunds (not failed) have
// claimed of each, and whether any of them named items.
type ItemRefunds struct {
	Items    []db.PaymentItem
	Refunded []int64 // per item, in Items' order
	Itemized bool
}

func (r ItemRefunds) ledgerItems() []ledger.Item {
	out := make([]ledger.Item, len(r.Items))
	for i, it := range r.Items {
		out[i] = ledger.Item{ProducerID: it.ProducerID, Amount: it.Amount, Fee: it.Fee}
	}
	return out
}

// LoadItemRefunds reads what each item of the payment has given back so far.
// Under the payment's row lock (ReserveRefund) it is exact; without (the
// API's answers and checks) it is a snapshot.
func LoadItemRefunds(ctx context.Context, q *db.Queries, paymentID string) (ItemRefunds, error) {
	var r ItemRefunds
	items, err := q.ListPaymentItems(ctx, paymentID)
	if err != nil {
		return r, fmt.Errorf("load items of %s: %w", paymentID, err)
	}
	tot, err := q.RefundedByItem(ctx, paymentID)
	if err != nil {
		return r, fmt.Errorf("refunded items of %s: %w", paymentID, err)
	}
	named := map[string]int64{}
	if tot.Itemized > 0 {
		rows, err := q.NamedRefundTotals(ctx, paymentID)
		if err != nil {
			return r, fmt.Errorf("item refunds of %s: %w", paymentID, err)
		}
		for _, row := range rows {
			named[row.ProducerID] = row.Amount
		}
	}
	r = ItemRefunds{Items: items, Itemized: tot.Itemized > 0}
	r.Refunded = ledger.ItemsRefunded(r.ledgerItems(), tot.Sliced, named)
	return r, nil
}

// PlanItemRefund is what a refund takes from each item (in r.Items' order):
// the named items (each at most what is left of it), or, with none named,
// amount spread over what is left. nil without a Failure: none named and no
// item refund yet, so the refund is a slice (ADR 0004). The amount must not
// exceed what remains of the payment (checked by the caller).
func PlanItemRefund(r ItemRefunds, named []RefundItem, amount int64) ([]int64, *Failure) {
	if len(named) == 0 {
		if !r.Itemized {
			return nil, nil
		}
		return ledger.AllocateRemaining(r.ledgerItems(), r.Refunded, amount), nil
	}
	out := make([]int64, len(r.Items))
	for _, n := range named {
		i := itemIndex(r.Items, n.ProducerID)
		if i < 0 {
			return nil, &Failure{Code: CodeRefundItemNotFound, Message: fmt.Sprintf("the payment has no item for producer %q", n.ProducerID)}
		}
		left := r.Items[i].Amount - r.Refunded[i] - out[i]
		want := n.Amount
		if want == 0 {
			want = left
		}
		if want <= 0 || want > left {
			return nil, &Failure{Code: CodeRefundExceedsItemRemains,
				Message: fmt.Sprintf("%d of producer %q's item remains refundable", left, n.ProducerID)}
		}
		out[i] += want
	}
	return out, nil
}

func itemIndex(items []db.PaymentItem, producer string) int {
	for i, it := range items {
		if it.ProducerID == producer {
			return i
		}
	}
	return -1
}

// planRefund is ReserveRefund's plan for the refund's items under the
// payment's lock: nil for a slice. amount 0 with kind cancel is all that
// remains of the payment.
func planRefund(ctx context.Context, q *db.Queries, pay db.Payment, in ReserveRefundInput) (ItemRefunds, []int64, error) {
	r, err := LoadItemRefunds(ctx, q, pay.ID)
	if err != nil {
		return r, nil, err
	}
	amount := in.Amount
	if amount == 0 && in.Kind == "cancel" {
		amount = pay.CapturedAmount - pay.RefundedAmount
	}
	plan, f := PlanItemRefund(r, in.Items, amount)
	if f != nil {
		return r, nil, nonRetryable(ErrNotRefundable, *f, nil)
	}
	return r, plan, nil
}

// recordRefundItems stores each item's part of the refund with the item's
// refunded total before it (the start of its slice).
func recordRefundItems(ctx context.Context, q *db.Queries, refundID string, r ItemRefunds, plan []int64) error {
	for i, amt := range plan {
		if amt == 0 {
			continue
		}
		err := q.CreateRefundItem(ctx, db.CreateRefundItemParams{
			RefundID: refundID, PaymentID: r.Items[i].PaymentID, ProducerID: r.Items[i].ProducerID,
			Amount: amt, RefundedBefore: r.Refunded[i],
		})
		if err != nil {
			return fmt.Errorf("record item %s of refund %s: %w", r.Items[i].ProducerID, refundID, err)
		}
	}
	return nil
}

func planTotal(plan []int64) int64 {
	var t int64
	for _, a := range plan {
		t += a
	}
	return t
}

// itemRefundJournal books a refund recorded item by item: each pending item
// gives back from pending; each confirmed one from payable with its
// commission and VAT, recorded as a negative settlement entry (netted from
// the producer's next settlement). Payments from before settlement on
// confirmation book the fee share back as they always did (no VAT).
func itemRefundJournal(ctx context.Context, q *db.Queries, pay db.Payment, rf db.Refund, rows []db.RefundItem) (ledger.Journal, error) {
	parts := make([]ledger.ItemRefundPart, len(rows))
	items := make([]db.PaymentItem, len(rows))
	for i, row := range rows {
		it, err := q.GetPaymentItem(ctx, db.GetPaymentItemParams{PaymentID: pay.ID, ProducerID: row.ProducerID})
		if err != nil {
			return ledger.Journal{}, fmt.Errorf("load item %s/%s: %w", pay.ID, row.ProducerID, err)
		}
		s := ledger.SettlementOf(ledger.Item{ProducerID: it.ProducerID, Amount: it.Amount, Fee: it.Fee}, it.ConfirmedAt.Valid)
		if !pay.SettlesOnConfirm {
			s = ledger.ItemSettlement{ProducerID: it.ProducerID, Amount: it.Amount, Commission: it.Fee, Confirmed: true}
		}
		parts[i], items[i] = ledger.ItemRefundPart{Item: s, Before: row.RefundedBefore, Amount: row.Amount}, it
	}
	j := ledger.ItemRefundJournal(rf.ID, pay.ID, pay.Pg.String, pay.Currency, parts)
	if !pay.SettlesOnConfirm {
		return j, nil
	}
	for i, p := range parts {
		if !p.Item.Confirmed {
			continue
		}
		c, v, n := p.Figures()
		err := q.InsertSettlementEntry(ctx, db.InsertSettlementEntryParams{
			JournalKey: j.Key, ProducerID: p.Item.ProducerID, PaymentID: pay.ID, Kind: "refund", Currency: pay.Currency,
			Gross: -p.Amount, Commission: -c, CommissionVat: -v, Net: -n,
			ConfirmedAt: items[i].ConfirmedAt, DueAt: items[i].DueAt,
		})
		if err != nil {
			return ledger.Journal{}, fmt.Errorf("settlement entry of refund %s for %s: %w", rf.ID, p.Item.ProducerID, err)
		}
	}
	return j, nil
}
