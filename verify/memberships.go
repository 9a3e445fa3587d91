package verify

import (
	"context"
	"fmt"
	"strings"

	"github.com/paysaga/paysaga/providersim"
)

// Membership and wallet-refund invariants (issue 15 part B).
const (
	MembershipOncePerPeriod = "membership_charged_once_per_period"
	WalletRefundsOnce       = "wallet_refunds_transferred_once"
)

// membershipOncePerPeriod: no membership period is paid by more than one
// payment; a period recorded succeeded is paid by exactly the payment it
// names; a skipped or failed period (paused, canceled, suspended, dunning
// given up) is paid by none; and no payment pays a period that has no record.
// A membership payment's order is membership:{id}:{period}:{attempt}; that the
// PG captured each succeeded payment once is payment_captured_once's check.
func (v *verifier) membershipOncePerPeriod(ctx context.Context) (Result, error) {
	res := Result{Name: MembershipOncePerPeriod}
	rows, err := v.src.Pool.Query(ctx, `
		WITH paid AS (
			SELECT split_part(order_id, ':', 2) AS membership_id, split_part(order_id, ':', 3) AS period,
			       count(*) AS n, min(id) AS payment_id
			FROM payments
			WHERE order_id LIKE 'membership:%' AND status IN ('succeeded', 'partially_refunded', 'refunded')
			GROUP BY 1, 2
		)
		SELECT COALESCE(c.membership_id, p.membership_id), COALESCE(c.period, p.period), COALESCE(c.status, 'none'),
		       COALESCE(c.payment_id, ''), COALESCE(p.n, 0), COALESCE(p.payment_id, '')
		FROM membership_charges c
		FULL JOIN paid p ON p.membership_id = c.membership_id AND p.period = c.period`)
	if err != nil {
		return res, err
	}
	defer rows.Close()
	for rows.Next() {
		var membership, period, status, recorded, paidBy string
		var n int64
		if err := rows.Scan(&membership, &period, &status, &recorded, &n, &paidBy); err != nil {
			return res, err
		}
		res.Checked++
		what := fmt.Sprintf("membership %s period %s (%s)", membership, period, status)
		switch {
		case n > 1:
			res.Breaches = append(res.Breaches, fmt.Sprintf("%s is paid by %d payments", what, n))
		case status == "none":
			res.Breaches = append(res.Breaches, fmt.Sprintf("%s: payment %s pays a period never claimed", what, paidBy))
		case status == "succeeded" && (n != 1 || paidBy != recorded):
			res.Breaches = append(res.Breaches, fmt.Sprintf("%s names payment %s but %d succeeded payments pay it", what, recorded, n))
		case (status == "skipped" || status == "failed") && n > 0:
			res.Breaches = append(res.Breaches, fmt.Sprintf("%s was charged by payment %s", what, paidBy))
		}
	}
	return res, rows.Err()
}

// walletRefundsOnce: each wallet refund was transferred at most once at the
// bank; a succeeded one exactly once for amount - fee, a failed one never.
func (v *verifier) walletRefundsOnce(ctx context.Context) (Result, error) {
	res := Result{Name: WalletRefundsOnce}
	// Every transfer for a refund, even under a key with a suffix.
	transfers := map[string][]providersim.Record{}
	for _, r := range v.recs {
		if rest, ok := strings.CutPrefix(r.IdempotencyKey, "wallet-refund:"); ok && r.Provider == providersim.ProviderBank && r.Kind == providersim.KindTransfer {
			id, _, _ := strings.Cut(rest, ":")
			transfers[id] = append(transfers[id], r)
		}
	}
	rows, err := v.src.Pool.Query(ctx, `SELECT id, status, amount - fee FROM wallet_refunds`)
	if err != nil {
		return res, err
	}
	defer rows.Close()
	for rows.Next() {
		var id, status string
		var net int64
		if err := rows.Scan(&id, &status, &net); err != nil {
			return res, err
		}
		res.Checked++
		got := transfers[id]
		switch {
		case len(got) > 1:
			res.Breaches = append(res.Breaches, fmt.Sprintf("wallet refund %s transferred %d times", id, len(got)))
		case status == "succeeded" && (len(got) != 1 || got[0].Amount != net):
			res.Breaches = append(res.Breaches, fmt.Sprintf("wallet refund %s succeeded: %d transfers, want one of %d", id, len(got), net))
		case status == "failed" && len(got) > 0:
			res.Breaches = append(res.Breaches, fmt.Sprintf("wallet refund %s failed (balance given back) but was transferred", id))
		}
	}
	return res, rows.Err()
}
