package activities

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/paysaga/paysaga/apportion"
	"github.com/paysaga/paysaga/db"
	"github.com/paysaga/paysaga/ledger"
)

// Refunds take back the points earned on the refunded part (issue 15, ADR
// 0023). The Refund workflow calls ReversePoints after claiming the refund and
// before asking the PG: the points the customer no longer has (spent) are a
// shortfall that the PG's refund is reduced by (1 point = 1 won), so the
// shortfall must be known before the money moves. RestorePoints undoes it when
// the PG refuses the refund for good; BookPointsShortfall books the won kept
// back once the PG has refunded the rest.

type ReversePointsInput struct {
	RefundID string
	// Cash is what the refund pays back through the PG (its card part): the
	// most a shortfall can be taken from.
	Cash int64
}

type ReversePointsResult struct {
	Points int64 // due back for the refunded part
	Taken  int64 // of them, taken from the customer's points
	// Expired of the earning before the refund: taken back from the breakage
	// (points:expired), not from the customer, who already lost them.
	FromExpired int64
	Shortfall   int64 // kept back from the refund's cash instead (won)
	Forgiven    int64 // beyond the refund's cash: written off
}

// ReversePoints takes back, under the customer's row lock, each earning's
// share of the refund (apportion.PointsToReverse over the part of its base
// the refund covers), in this order: what is left of the earning's own
// bucket; what of it expired (the breakage is undone: the customer lost
// those already); the customer's other points, FIFO; then, for points the
// customer spent, a shortfall out of in.Cash; the rest forgiven.
// Once per refund: a retry answers what the first attempt recorded.
func (p *Points) ReversePoints(ctx context.Context, in ReversePointsInput) (ReversePointsResult, error) {
	var out ReversePointsResult
	err := pgx.BeginFunc(ctx, p.Pool, func(tx pgx.Tx) error {
		q := db.New(tx)
		rf, err := q.GetRefund(ctx, in.RefundID)
		if err != nil {
			return fmt.Errorf("load refund %s: %w", in.RefundID, err)
		}
		pay, err := q.GetPayment(ctx, rf.PaymentID)
		if err != nil {
			return fmt.Errorf("load payment %s: %w", rf.PaymentID, err)
		}
		if _, err := q.LockCustomer(ctx, pay.CustomerID); err != nil {
			return fmt.Errorf("lock customer %s: %w", pay.CustomerID, err)
		}
		done, err := q.PointsReversalsOfRefund(ctx, rf.ID)
		if err != nil {
			return fmt.Errorf("points reversals of %s: %w", rf.ID, err)
		}
		if len(done) > 0 {
			out = sumReversals(done)
			return nil
		}
		dues, err := pointsDue(ctx, q, pay, rf)
		if err != nil || len(dues) == 0 {
			return err
		}
		if out, err = takeBack(ctx, q, pay, rf.ID, dues, in.Cash); err != nil || out.Points == 0 {
			return err
		}
		return recordEvent(ctx, q, pay.ID, "refund:"+rf.ID+":points-reversed", map[string]string{
			"points": fmt.Sprint(out.Points), "taken": fmt.Sprint(out.Taken),
			"from_expired": fmt.Sprint(out.FromExpired), "shortfall": fmt.Sprint(out.Shortfall), "forgiven": fmt.Sprint(out.Forgiven),
		})
	})
	return out, err
}

// pointDue is what one earning (its bucket) owes back for a refund, and
// how much of the bucket's expired points no reversal has undone yet.
type pointDue struct {
	bucket  db.PointsBucket
	points  int64
	expired int64
}

// pointsDue is each earning's share of the refund: the payment's own (earned
// at capture, a rate of the card part) over the refund's slice of the card
// part; an item's (earned at its confirmation) over the refund's part of the
// item, counted from what the item's card part was when it earned.
func pointsDue(ctx context.Context, q *db.Queries, pay db.Payment, rf db.Refund) ([]pointDue, error) {
	items, err := q.ListPaymentItems(ctx, pay.ID)
	if err != nil {
		return nil, fmt.Errorf("load items of %s: %w", pay.ID, err)
	}
	keys := []string{ledger.PointsEarnKey(pay.ID)}
	for _, it := range items {
		keys = append(keys, ledger.PointsItemEarnKey(pay.ID, it.ProducerID))
	}
	buckets, err := q.PointsEarningsOfPayment(ctx, keys)
	if err != nil || len(buckets) == 0 {
		return nil, err
	}
	slices, err := refundItemSlices(ctx, q, pay, rf, items)
	if err != nil {
		return nil, err
	}
	card := pay.Amount - pay.WalletAmount
	var out []pointDue
	for _, b := range buckets {
		var base, from, to int64
		if b.SourceKey == ledger.PointsEarnKey(pay.ID) {
			base = baseOr(b, card)
			from, _ = ledger.SplitRefund(card, pay.WalletAmount, 0, rf.RefundedBefore)
			to, _ = ledger.SplitRefund(card, pay.WalletAmount, 0, rf.RefundedBefore+rf.Amount)
		} else {
			it := itemOfKey(pay.ID, b.SourceKey, items)
			if it == nil {
				continue
			}
			full := ItemCardPart(pay.Amount, pay.WalletAmount, it.Amount, 0)
			base = baseOr(b, full)
			s := slices[it.ProducerID]
			// The card part refunded of the item since it earned (its base).
			since := func(refunded int64) int64 {
				return max(0, base-ItemCardPart(pay.Amount, pay.WalletAmount, it.Amount, refunded))
			}
			from, to = since(s[0]), since(s[1])
			if s[1] >= it.Amount {
				to = base // the item is refunded in full: all of its points
			}
		}
		before, err := q.PointsReversedOf(ctx, b.SourceKey)
		if err != nil {
			return nil, fmt.Errorf("points reversed of %s: %w", b.SourceKey, err)
		}
		n := apportion.PointsToReverse(b.Amount, base, from, to, before.Points)
		if n == 0 {
			continue
		}
		expired, err := q.PointsExpiredOfBucket(ctx, ledger.PointsExpireKey(b.ID))
		if err != nil {
			return nil, fmt.Errorf("points expired of bucket %d: %w", b.ID, err)
		}
		out = append(out, pointDue{bucket: b, points: n, expired: max(0, expired-before.FromExpired)})
	}
	return out, nil
}

func baseOr(b db.PointsBucket, fallback int64) int64 {
	if b.EarnBase.Valid {
		return b.EarnBase.Int64
	}
	return fallback
}

func itemOfKey(paymentID, key string, items []db.PaymentItem) *db.PaymentItem {
	for i := range items {
		if ledger.PointsItemEarnKey(paymentID, items[i].ProducerID) == key {
			return &items[i]
		}
	}
	return nil
}

// refundItemSlices is the part [from, to) of each item (in item won) the
// refund gives back: its recorded item parts (ADR 0016), or, for a slice
// refund (ADR 0004: all refunds before it were slices too), the items'
// allocation of the payment's slice.
func refundItemSlices(ctx context.Context, q *db.Queries, pay db.Payment, rf db.Refund, items []db.PaymentItem) (map[string][2]int64, error) {
	rows, err := q.ListRefundItems(ctx, rf.ID)
	if err != nil {
		return nil, fmt.Errorf("items of refund %s: %w", rf.ID, err)
	}
	out := map[string][2]int64{}
	if len(rows) > 0 {
		for _, r := range rows {
			out[r.ProducerID] = [2]int64{r.RefundedBefore, r.RefundedBefore + r.Amount}
		}
		return out, nil
	}
	li := make([]ledger.Item, len(items))
	for i, it := range items {
		li[i] = ledger.Item{ProducerID: it.ProducerID, Amount: it.Amount, Fee: it.Fee}
	}
	from := ledger.ItemsRefunded(li, rf.RefundedBefore, nil)
	to := ledger.ItemsRefunded(li, rf.RefundedBefore+rf.Amount, nil)
	for i, it := range items {
		out[it.ProducerID] = [2]int64{from[i], to[i]}
	}
	return out, nil
}

// takeBack meets each due in ReversePoints' order, records each earning's
// reversal and which buckets its points came from, and posts one
// points_reverse journal for all of it.
func takeBack(ctx context.Context, q *db.Queries, pay db.Payment, refundID string, dues []pointDue, cash int64) (ReversePointsResult, error) {
	var out ReversePointsResult
	buckets, err := q.ListPointsBuckets(ctx, pay.CustomerID)
	if err != nil {
		return out, fmt.Errorf("points buckets of %s: %w", pay.CustomerID, err)
	}
	left := map[int64]int64{} // what each live bucket still holds as this refund takes
	var live int64
	for _, b := range buckets {
		if b.Currency == pay.Currency {
			left[b.ID] = b.Remaining
			live += b.Remaining
		}
	}
	// Points an in-flight checkout holds as a tender (ADR 0022) are as good
	// as spent: taking them would leave that checkout's spend short, so they
	// count toward the shortfall, not the points this refund may take.
	held, err := q.ActivePointsHoldsTotal(ctx, db.ActivePointsHoldsTotalParams{CustomerID: pay.CustomerID, Currency: pay.Currency})
	if err != nil {
		return out, fmt.Errorf("points held for %s: %w", pay.CustomerID, err)
	}
	live = max(0, live-held)
	for _, d := range dues {
		own := min(left[d.bucket.ID], live)
		got, forgiven := apportion.Meet(d.points, own, d.expired, live-own, cash)
		r := ReversePointsResult{Points: d.points, Taken: got[0] + got[2], FromExpired: got[1], Shortfall: got[3], Forgiven: forgiven}
		live, cash = live-r.Taken, cash-r.Shortfall
		if err := takeFromBuckets(ctx, q, refundID, append([]db.PointsBucket{d.bucket}, buckets...), left, r.Taken); err != nil {
			return out, err
		}
		err := q.InsertPointsReversal(ctx, db.InsertPointsReversalParams{
			RefundID: refundID, SourceKey: d.bucket.SourceKey, PaymentID: pay.ID, CustomerID: pay.CustomerID, Currency: pay.Currency,
			Points: r.Points, Taken: r.Taken, FromExpired: r.FromExpired, Shortfall: r.Shortfall, Forgiven: r.Forgiven,
		})
		if err != nil {
			return out, fmt.Errorf("record points reversal of %s: %w", refundID, err)
		}
		out = addReversal(out, r)
	}
	if out.Taken+out.FromExpired > 0 {
		j := ledger.ReversePointsJournal(refundID, pay.ID, pay.CustomerID, pay.Currency, out.Taken, out.FromExpired)
		if _, err := ledger.Post(ctx, q, j); err != nil {
			return out, fmt.Errorf("post points reversal of %s: %w", refundID, err)
		}
	}
	return out, nil
}

// takeFromBuckets takes n points from the buckets in order (the earning's own
// first, then the customer's FIFO), recording each take for RestorePoints.
func takeFromBuckets(ctx context.Context, q *db.Queries, refundID string, order []db.PointsBucket, left map[int64]int64, n int64) error {
	for _, b := range order {
		k := min(n, left[b.ID])
		if k == 0 {
			continue
		}
		left[b.ID] -= k
		n -= k
		if err := q.TakeFromPointsBucket(ctx, db.TakeFromPointsBucketParams{ID: b.ID, Amount: k}); err != nil {
			return fmt.Errorf("take %d points from bucket %d: %w", k, b.ID, err)
		}
		if err := q.InsertPointsReversalTake(ctx, db.InsertPointsReversalTakeParams{RefundID: refundID, BucketID: b.ID, Points: k}); err != nil {
			return fmt.Errorf("record points taken by %s: %w", refundID, err)
		}
	}
	return nil
}

func addReversal(a, b ReversePointsResult) ReversePointsResult {
	return ReversePointsResult{Points: a.Points + b.Points, Taken: a.Taken + b.Taken, FromExpired: a.FromExpired + b.FromExpired,
		Shortfall: a.Shortfall + b.Shortfall, Forgiven: a.Forgiven + b.Forgiven}
}

func sumReversals(rows []db.PointsReversal) ReversePointsResult {
	var out ReversePointsResult
	for _, r := range rows {
		if !r.RestoredAt.Valid {
			out = addReversal(out, ReversePointsResult{Points: r.Points, Taken: r.Taken, FromExpired: r.FromExpired,
				Shortfall: r.Shortfall, Forgiven: r.Forgiven})
		}
	}
	return out
}

type RestorePointsInput struct {
	RefundID string
	At       time.Time // the restoring step's workflow.Now
}

// RestorePoints gives back what ReversePoints took for a refund the PG
// refused for good: into the buckets it came from, or, for a bucket that
// expired meanwhile, straight to points:expired (what the customer would
// have lost anyway). Once: the reversal rows are marked restored.
func (p *Points) RestorePoints(ctx context.Context, in RestorePointsInput) error {
	return pgx.BeginFunc(ctx, p.Pool, func(tx pgx.Tx) error {
		q := db.New(tx)
		rf, err := q.GetRefund(ctx, in.RefundID)
		if err != nil {
			return fmt.Errorf("load refund %s: %w", in.RefundID, err)
		}
		pay, err := q.GetPayment(ctx, rf.PaymentID)
		if err != nil {
			return fmt.Errorf("load payment %s: %w", rf.PaymentID, err)
		}
		if _, err := q.LockCustomer(ctx, pay.CustomerID); err != nil {
			return fmt.Errorf("lock customer %s: %w", pay.CustomerID, err)
		}
		rows, err := q.PointsReversalsOfRefund(ctx, rf.ID)
		if err != nil {
			return fmt.Errorf("points reversals of %s: %w", rf.ID, err)
		}
		fromExpired := sumReversals(rows).FromExpired
		n, err := q.MarkPointsReversalsRestored(ctx, db.MarkPointsReversalsRestoredParams{RefundID: rf.ID, RestoredAt: timestamptz(in.At)})
		if err != nil || n == 0 {
			return err // nothing reversed, or restored by an earlier attempt
		}
		takes, err := q.PointsReversalTakes(ctx, rf.ID)
		if err != nil {
			return fmt.Errorf("points taken by %s: %w", rf.ID, err)
		}
		toCustomer, toExpired := int64(0), fromExpired
		for _, t := range takes {
			if t.Expired {
				toExpired += t.Points
				continue
			}
			if err := q.GiveToPointsBucket(ctx, db.GiveToPointsBucketParams{ID: t.BucketID, Amount: t.Points}); err != nil {
				return fmt.Errorf("give %d points back to bucket %d: %w", t.Points, t.BucketID, err)
			}
			toCustomer += t.Points
		}
		if toCustomer+toExpired == 0 {
			return nil
		}
		j := ledger.RestorePointsJournal(rf.ID, pay.ID, pay.CustomerID, pay.Currency, toCustomer, toExpired)
		if _, err := ledger.Post(ctx, q, j); err != nil {
			return fmt.Errorf("post points restore of %s: %w", rf.ID, err)
		}
		return recordEvent(ctx, q, pay.ID, "refund:"+rf.ID+":points-restored", map[string]string{"points": fmt.Sprint(toCustomer + toExpired)})
	})
}

type BookPointsShortfallInput struct {
	RefundID string
}

// BookPointsShortfall books the won a succeeded refund kept back for spent
// points (ledger.PointsShortfallJournal), once by its key.
func (p *Points) BookPointsShortfall(ctx context.Context, in BookPointsShortfallInput) error {
	return pgx.BeginFunc(ctx, p.Pool, func(tx pgx.Tx) error {
		q := db.New(tx)
		rows, err := q.PointsReversalsOfRefund(ctx, in.RefundID)
		if err != nil {
			return fmt.Errorf("points reversals of %s: %w", in.RefundID, err)
		}
		sum := sumReversals(rows)
		if sum.Shortfall == 0 {
			return nil
		}
		pay, err := q.GetPayment(ctx, rows[0].PaymentID)
		if err != nil {
			return fmt.Errorf("load payment %s: %w", rows[0].PaymentID, err)
		}
		j := ledger.PointsShortfallJournal(in.RefundID, pay.ID, pay.Pg.String, pay.Currency, sum.Shortfall)
		if _, err := ledger.Post(ctx, q, j); err != nil {
			return fmt.Errorf("post points shortfall of %s: %w", in.RefundID, err)
		}
		return nil
	})
}
