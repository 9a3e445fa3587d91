// Package verify checks, after the fact, that paysaga lost nothing and charged
// nothing twice: it reads PostgreSQL (payments, wallet, payouts, the ledger),
// the provider sandbox's records of every money movement and Temporal's
// visibility, and reports each invariant with how many things it checked and
// every breach it found. `paysaga verify` and the chaos harness run it.
package verify

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"

	"github.com/paysaga/paysaga/ledger"
	"github.com/paysaga/paysaga/providersim"
	"github.com/paysaga/paysaga/workflows"
)

// Sources are what the checks read.
type Sources struct {
	Pool     *pgxpool.Pool
	Sim      *providersim.AdminClient
	Temporal client.Client // nil skips the workflow check
	// Namespace and TaskQueue scope the workflow check ("" TaskQueue: every workflow).
	Namespace string
	TaskQueue string
	// MinAge: a workflow started longer ago than this must have ended.
	MinAge time.Duration
	// Now is the clock (default time.Now).
	Now func() time.Time
	// CashReceiptAt is the stack's PAYSAGA_CASH_RECEIPT_AT (topup | spend):
	// which of wallet parts and top-ups owe a receipt. Empty: not judged.
	CashReceiptAt string
}

// Result is one invariant: how many things it checked, and what breaks it.
type Result struct {
	Name     string   `json:"name"`
	Checked  int      `json:"checked"`
	Breaches []string `json:"breaches"`
}

// OK reports whether nothing breaks the invariant.
func (r Result) OK() bool { return len(r.Breaches) == 0 }

// Report is every invariant's result.
type Report struct {
	Results []Result `json:"results"`
}

// OK reports whether every invariant holds.
func (r Report) OK() bool {
	for _, res := range r.Results {
		if !res.OK() {
			return false
		}
	}
	return true
}

// Get returns the result of the invariant named name.
func (r Report) Get(name string) Result {
	for _, res := range r.Results {
		if res.Name == name {
			return res
		}
	}
	return Result{Name: name}
}

// String prints one line per invariant and each breach below it.
func (r Report) String() string {
	var b strings.Builder
	for _, res := range r.Results {
		status := "ok"
		if !res.OK() {
			status = fmt.Sprintf("BREACHED (%d)", len(res.Breaches))
		}
		fmt.Fprintf(&b, "%-28s checked %6d  %s\n", res.Name, res.Checked, status)
		for i, br := range res.Breaches {
			if i == 20 {
				fmt.Fprintf(&b, "    ... %d more\n", len(res.Breaches)-20)
				break
			}
			fmt.Fprintf(&b, "    %s\n", br)
		}
	}
	return b.String()
}

// Invariant names.
const (
	WorkflowsTerminal   = "workflows_terminal"
	RecordsSettled      = "records_settled"
	CapturedOnce        = "payment_captured_once"
	AuthorizationsShut  = "authorizations_closed"
	JournalsBalanced    = "journals_balanced"
	WalletsNotNegative  = "wallets_not_negative"
	WalletsReconcile    = "wallet_balance_reconciles"
	PayoutOncePerPeriod = "payout_once_per_period"
	PGMatchesLedger     = "pg_captures_match_ledger"
	BankDebitsMatch     = "bank_debits_match_topups"
	BankTransfersMatch  = "bank_transfers_match_payouts"
)

// Run checks every invariant. An error means a source could not be read, not a breach.
func Run(ctx context.Context, src Sources) (Report, error) {
	if src.Now == nil {
		src.Now = time.Now
	}
	recs, err := src.Sim.Records(ctx, providersim.RecordFilter{})
	if err != nil {
		return Report{}, fmt.Errorf("sandbox records: %w", err)
	}
	refunds, err := refundPayments(ctx, src)
	if err != nil {
		return Report{}, fmt.Errorf("refunds: %w", err)
	}
	v := &verifier{src: src, recs: recs, refunds: refunds}
	checks := []func(context.Context) (Result, error){
		v.workflowsTerminal, v.recordsSettled, v.capturedOnce, v.authorizationsClosed, v.journalsBalanced, v.walletsNotNegative,
		v.walletsReconcile, v.payoutOncePerPeriod, v.pgMatchesLedger, v.bankDebitsMatch, v.bankTransfersMatch,
		v.settlementReconciles, v.commissionVATBooked, v.pointsNotNegative, v.pointsReconcile, v.pointsReversals,
		v.pointsHoldsWithinBalance, v.pointsTenderBooked,
		v.membershipOncePerPeriod, v.walletRefundsOnce,
		v.cashReceiptsMatch, v.discountsReconcile,
	}
	var rep Report
	for _, check := range checks {
		res, err := check(ctx)
		if err != nil {
			return rep, fmt.Errorf("%s: %w", res.Name, err)
		}
		sort.Strings(res.Breaches)
		rep.Results = append(rep.Results, res)
	}
	return rep, nil
}

type verifier struct {
	src  Sources
	recs []providersim.Record
	// refunds: refund id -> payment id, for the bank's refund transfers
	// (refund:{id}), whose records do not name the payment.
	refunds map[string]string
}

func refundPayments(ctx context.Context, src Sources) (map[string]string, error) {
	rows, err := src.Pool.Query(ctx, `SELECT id, payment_id FROM refunds`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var id, payment string
		if err := rows.Scan(&id, &payment); err != nil {
			return nil, err
		}
		out[id] = payment
	}
	return out, rows.Err()
}

// workflowsTerminal: every workflow started more than MinAge ago has ended.
func (v *verifier) workflowsTerminal(ctx context.Context) (Result, error) {
	res := Result{Name: WorkflowsTerminal}
	if v.src.Temporal == nil {
		return res, nil
	}
	cutoff := v.src.Now().Add(-v.src.MinAge).UTC().Format(time.RFC3339)
	// A Fulfilment waits, by design, days for the buyer's confirmation; an
	// endpoint's delivery loop runs as long as its endpoint exists.
	scope := " AND WorkflowType != '" + workflows.FulfilmentName + "' AND WorkflowType != '" + workflows.EndpointDeliveryName + "'"
	if v.src.TaskQueue != "" {
		scope += fmt.Sprintf(" AND TaskQueue = '%s'", v.src.TaskQueue)
	}
	count := func(query string) (int64, error) {
		r, err := v.src.Temporal.WorkflowService().CountWorkflowExecutions(ctx, &workflowservice.CountWorkflowExecutionsRequest{
			Namespace: v.src.Namespace, Query: query})
		if err != nil {
			return 0, err
		}
		return r.Count, nil
	}
	all, err := count("StartTime < '" + cutoff + "'" + scope)
	if err != nil {
		return res, err
	}
	res.Checked = int(all)
	var token []byte
	for {
		r, err := v.src.Temporal.WorkflowService().ListWorkflowExecutions(ctx, &workflowservice.ListWorkflowExecutionsRequest{
			Namespace: v.src.Namespace, NextPageToken: token,
			Query: "ExecutionStatus = 'Running' AND StartTime < '" + cutoff + "'" + scope})
		if err != nil {
			return res, err
		}
		for _, e := range r.Executions {
			res.Breaches = append(res.Breaches, fmt.Sprintf("%s (%s) still %s since %s", e.Execution.WorkflowId, e.Type.Name,
				strings.ToLower(strings.TrimPrefix(e.Status.String(), "WORKFLOW_EXECUTION_STATUS_")), e.StartTime.AsTime().Format(time.RFC3339)))
		}
		if token = r.NextPageToken; len(token) == 0 {
			break
		}
	}
	return res, nil
}

// unsettled are the states a record may only pass through while its workflow runs.
var unsettled = []struct{ table, states string }{
	{"payments", "'processing', 'authorized'"},
	{"refunds", "'processing'"},
	{"wallet_topups", "'processing'"},
	{"wallet_refunds", "'processing'"},
	{"wallet_holds", "'active'"},
	{"payouts", "'pending'"},
	{"payout_runs", "'running'"},
}

// recordsSettled: nothing created more than MinAge ago is still on its way
// (a payment processing, a hold active, a payout pending): nothing was dropped
// half-way with no workflow left to finish it.
func (v *verifier) recordsSettled(ctx context.Context) (Result, error) {
	res := Result{Name: RecordsSettled}
	cutoff := v.src.Now().Add(-v.src.MinAge)
	for _, u := range unsettled {
		var n int
		if err := v.src.Pool.QueryRow(ctx, `SELECT count(*) FROM `+u.table+` WHERE created_at < $1`, cutoff).Scan(&n); err != nil {
			return res, err
		}
		res.Checked += n
		id := "id"
		if u.table == "wallet_holds" {
			id = "payment_id"
		}
		rows, err := v.src.Pool.Query(ctx, `SELECT `+id+`, status FROM `+u.table+` WHERE created_at < $1 AND status IN (`+u.states+`)`, cutoff)
		if err != nil {
			return res, err
		}
		for rows.Next() {
			var rid, status string
			if err := rows.Scan(&rid, &status); err != nil {
				rows.Close()
				return res, err
			}
			res.Breaches = append(res.Breaches, fmt.Sprintf("%s %s is still %s", strings.TrimSuffix(u.table, "s"), rid, status))
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return res, err
		}
	}
	return res, nil
}

// pgKeys groups the sandbox's PG records by payment key.
type pgKey struct {
	provider, orderID              string
	authorized, captured, canceled int64
	captures                       int
}

func (v *verifier) pgKeys() map[string]*pgKey {
	keys := map[string]*pgKey{}
	v.bankPaymentKeys(keys)
	for _, r := range v.recs {
		if !strings.HasPrefix(r.Provider, "pg:") || r.PaymentKey == "" {
			continue
		}
		k := keys[r.PaymentKey]
		if k == nil {
			k = &pgKey{provider: r.Provider, orderID: r.OrderID}
			keys[r.PaymentKey] = k
		}
		switch r.Kind {
		case providersim.KindAuthorize:
			k.authorized += r.Amount
		case providersim.KindCapture:
			k.captured += r.Amount
			k.captures++
		case providersim.KindCancel:
			k.canceled += r.Amount
		}
	}
	return keys
}

// bankPaymentKeys adds the bank debits that paid checkouts (firm banking, a
// bank account's part) to keys, read as the PGs' records are: a debit under
// payment:{id}:authorize is that payment's authorization and capture at once
// (its order the payment id), and a transfer under payment:{id}:void or
// payment:{id}:cancel-capture its cancel, as is a refund transfer
// (refund:{id}) of that payment. Top-ups and payouts are not payments.
func (v *verifier) bankPaymentKeys(keys map[string]*pgKey) {
	debits := map[string]string{} // payment id -> debit transaction id
	for _, r := range v.recs {
		// payment:{id}:authorize, or a key with a suffix (a retry that
		// wrongly made a key of its own): a debit of payment id all the same.
		id, _, ok := strings.Cut(strings.TrimPrefix(r.IdempotencyKey, "payment:"), ":authorize")
		if r.Provider != providersim.ProviderBank || r.Kind != providersim.OpDebit || !ok || !strings.HasPrefix(r.IdempotencyKey, "payment:") {
			continue
		}
		if debits[id] == "" || r.IdempotencyKey == "payment:"+id+":authorize" {
			debits[id] = r.PaymentKey
		}
		keys[r.PaymentKey] = &pgKey{provider: r.Provider, orderID: id, authorized: r.Amount, captured: r.Amount, captures: 1}
	}
	for _, r := range v.recs {
		if r.Provider != providersim.ProviderBank || r.Kind != providersim.OpTransfer {
			continue
		}
		if refund, ok := strings.CutPrefix(r.IdempotencyKey, "refund:"); ok {
			if id := v.refunds[refund]; debits[id] != "" {
				keys[debits[id]].canceled += r.Amount
			}
			continue
		}
		rest := strings.TrimPrefix(r.IdempotencyKey, "payment:")
		for _, what := range []string{":void", ":cancel-capture"} {
			if id, ok := strings.CutSuffix(rest, what); ok && debits[id] != "" && strings.HasPrefix(r.IdempotencyKey, "payment:") {
				keys[debits[id]].canceled += r.Amount
			}
		}
	}
}

// capturedOnce: a payment that succeeded was captured exactly once, for its card
// part (less its instant discount), at one PG; any other authorization of its order holds nothing captured.
// A payment that failed or was canceled holds nothing captured net of cancels.
func (v *verifier) capturedOnce(ctx context.Context) (Result, error) {
	res := Result{Name: CapturedOnce}
	byOrder := map[string][]string{}
	keys := v.pgKeys()
	for pk, k := range keys {
		byOrder[k.orderID] = append(byOrder[k.orderID], pk)
	}
	rows, err := v.src.Pool.Query(ctx, `SELECT p.id, p.order_id, p.status, p.amount - p.wallet_amount - p.points_amount - COALESCE(b.discount_amount, 0), COALESCE(p.pg_payment_key, '')
		FROM payments p LEFT JOIN payment_benefits b ON b.payment_id = p.id`)
	if err != nil {
		return res, err
	}
	defer rows.Close()
	for rows.Next() {
		var id, order, status, key string
		var card int64
		if err := rows.Scan(&id, &order, &status, &card, &key); err != nil {
			return res, err
		}
		res.Checked++
		switch status {
		case "succeeded", "partially_refunded", "refunded":
			captures := 0
			for _, pk := range paymentRecords(byOrder, order, id) {
				k := keys[pk]
				captures += k.captures
				if pk != key && k.captured-k.canceled > 0 {
					res.Breaches = append(res.Breaches, fmt.Sprintf("payment %s: %d captured at %s under %s, not its payment key", id, k.captured-k.canceled, k.provider, pk))
				}
			}
			if card > 0 && captures != 1 {
				res.Breaches = append(res.Breaches, fmt.Sprintf("payment %s %s: %d captures at the sandbox, want 1", id, status, captures))
			}
			if k := keys[key]; card > 0 && k != nil && k.captured != card {
				res.Breaches = append(res.Breaches, fmt.Sprintf("payment %s: captured %d, card part is %d", id, k.captured, card))
			}
		case "failed", "canceled":
			for _, pk := range paymentRecords(byOrder, order, id) {
				if k := keys[pk]; k.captured-k.canceled > 0 {
					res.Breaches = append(res.Breaches, fmt.Sprintf("payment %s %s: %d still captured at %s (%s)", id, status, k.captured-k.canceled, k.provider, pk))
				}
			}
		}
	}
	return res, rows.Err()
}

// paymentRecords are the PG payment keys of one payment: those whose orderId at
// the PG is the order id (the original protocol) or the payment id (Toss,
// whose orderId must be unique per payment).
func paymentRecords(byOrder map[string][]string, order, paymentID string) []string {
	return append(append([]string{}, byOrder[order]...), byOrder[paymentID]...)
}

// authorizationsClosed: once a payment has ended, every authorization made for
// its order was either captured or voided: no hold is left on the customer's card.
func (v *verifier) authorizationsClosed(ctx context.Context) (Result, error) {
	res := Result{Name: AuthorizationsShut}
	ended := map[string]string{}
	rows, err := v.src.Pool.Query(ctx, `SELECT order_id, id FROM payments
		WHERE status IN ('succeeded', 'failed', 'canceled', 'partially_refunded', 'refunded')`)
	if err != nil {
		return res, err
	}
	for rows.Next() {
		var order, id string
		if err := rows.Scan(&order, &id); err != nil {
			rows.Close()
			return res, err
		}
		ended[order], ended[id] = id, id // a PG's orderId is paysaga's order id or payment id
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return res, err
	}
	for pk, k := range v.pgKeys() {
		id, ok := ended[k.orderID]
		if !ok || k.authorized == 0 {
			continue
		}
		res.Checked++
		if k.captured == 0 && k.canceled < k.authorized {
			res.Breaches = append(res.Breaches, fmt.Sprintf("payment %s: authorization %s at %s holds %d, neither captured nor voided", id, pk, k.provider, k.authorized-k.canceled))
		}
	}
	return res, nil
}

// journalsBalanced: every journal transaction sums to zero per currency.
func (v *verifier) journalsBalanced(ctx context.Context) (Result, error) {
	res := Result{Name: JournalsBalanced}
	if err := v.src.Pool.QueryRow(ctx, `SELECT count(*) FROM journal_transactions`).Scan(&res.Checked); err != nil {
		return res, err
	}
	rows, err := v.src.Pool.Query(ctx, `SELECT t.idempotency_key, p.currency, sum(p.amount)::bigint
		FROM journal_transactions t LEFT JOIN journal_postings p ON p.transaction_id = t.id
		GROUP BY t.idempotency_key, p.currency HAVING p.currency IS NULL OR sum(p.amount) <> 0 OR count(*) < 2`)
	if err != nil {
		return res, err
	}
	defer rows.Close()
	for rows.Next() {
		var key string
		var cur *string
		var sum *int64
		if err := rows.Scan(&key, &cur, &sum); err != nil {
			return res, err
		}
		if cur == nil {
			res.Breaches = append(res.Breaches, fmt.Sprintf("journal %s has no postings", key))
			continue
		}
		res.Breaches = append(res.Breaches, fmt.Sprintf("journal %s sums to %d %s", key, *sum, *cur))
	}
	return res, rows.Err()
}

// walletBalances is each wallet's balance by the ledger (a liability: minus the raw sum).
func (v *verifier) walletBalances(ctx context.Context) (map[string]int64, error) {
	rows, err := v.src.Pool.Query(ctx, `SELECT substr(account, 8) || '/' || currency, -sum(amount)::bigint
		FROM journal_postings WHERE account LIKE 'wallet:%' GROUP BY account, currency`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]int64{}
	for rows.Next() {
		var k string
		var b int64
		if err := rows.Scan(&k, &b); err != nil {
			return nil, err
		}
		out[k] = b
	}
	return out, rows.Err()
}

// walletsNotNegative: no wallet's ledger balance is below zero.
func (v *verifier) walletsNotNegative(ctx context.Context) (Result, error) {
	res := Result{Name: WalletsNotNegative}
	bal, err := v.walletBalances(ctx)
	if err != nil {
		return res, err
	}
	for k, b := range bal {
		res.Checked++
		if b < 0 {
			res.Breaches = append(res.Breaches, fmt.Sprintf("wallet %s is at %d", k, b))
		}
	}
	return res, nil
}

// walletsReconcile: each wallet's ledger balance = succeeded top-ups - captured
// wallet holds + the wallet part of succeeded refunds.
func (v *verifier) walletsReconcile(ctx context.Context) (Result, error) {
	res := Result{Name: WalletsReconcile}
	want := map[string]int64{}
	add := func(query string, sign int64) error {
		rows, err := v.src.Pool.Query(ctx, query)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var k string
			var amount int64
			if err := rows.Scan(&k, &amount); err != nil {
				return err
			}
			want[k] += sign * amount
		}
		return rows.Err()
	}
	if err := add(`SELECT customer_id || '/' || currency, sum(amount)::bigint FROM wallet_topups WHERE status = 'succeeded' GROUP BY 1`, 1); err != nil {
		return res, err
	}
	if err := add(`SELECT customer_id || '/' || currency, sum(amount)::bigint FROM wallet_holds WHERE status = 'captured' GROUP BY 1`, -1); err != nil {
		return res, err
	}
	// Wallet balance refunds leave the wallet when reserved; a failed one came back.
	if err := add(`SELECT customer_id || '/' || currency, sum(amount)::bigint FROM wallet_refunds WHERE status <> 'failed' GROUP BY 1`, -1); err != nil {
		return res, err
	}
	rows, err := v.src.Pool.Query(ctx, `SELECT p.customer_id || '/' || p.currency, p.amount - p.wallet_amount - p.points_amount, p.wallet_amount,
		p.points_amount, r.refunded_before, r.amount
		FROM refunds r JOIN payments p ON p.id = r.payment_id WHERE r.status = 'succeeded' AND p.wallet_amount > 0`)
	if err != nil {
		return res, err
	}
	for rows.Next() {
		var k string
		var card, wallet, points, before, amount int64
		if err := rows.Scan(&k, &card, &wallet, &points, &before, &amount); err != nil {
			rows.Close()
			return res, err
		}
		_, w := tenderSplit(card, wallet, points, before, amount)
		want[k] += w
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return res, err
	}
	got, err := v.walletBalances(ctx)
	if err != nil {
		return res, err
	}
	for k := range got {
		if _, ok := want[k]; !ok {
			want[k] = 0
		}
	}
	for k, w := range want {
		res.Checked++
		if got[k] != w {
			res.Breaches = append(res.Breaches, fmt.Sprintf("wallet %s: ledger balance %d, top-ups - spends + refunds = %d", k, got[k], w))
		}
	}
	return res, nil
}

// payoutOncePerPeriod: each producer and period was transferred at most once at
// the bank, and a paid payout exactly once for its amount.
func (v *verifier) payoutOncePerPeriod(ctx context.Context) (Result, error) {
	res := Result{Name: PayoutOncePerPeriod}
	rows, err := v.src.Pool.Query(ctx, `SELECT producer_id, period, amount, status, bank_transaction_id FROM payouts`)
	if err != nil {
		return res, err
	}
	defer rows.Close()
	transfers := map[string][]providersim.Record{}
	for _, r := range v.recs {
		if r.Provider == providersim.ProviderBank && r.Kind == providersim.KindTransfer {
			transfers[r.PaymentKey] = append(transfers[r.PaymentKey], r)
		}
	}
	seen := map[string]bool{}
	for rows.Next() {
		var producer, period, status, txn string
		var amount int64
		if err := rows.Scan(&producer, &period, &amount, &status, &txn); err != nil {
			return res, err
		}
		res.Checked++
		id := producer + "/" + period
		if seen[id] {
			res.Breaches = append(res.Breaches, fmt.Sprintf("producer %s period %s has two payouts", producer, period))
		}
		seen[id] = true
		// Every transfer for this producer and period, even under a key with a suffix.
		base := ledger.PayoutKey(producer, period)
		var n int
		for _, r := range v.recs {
			if r.Provider == providersim.ProviderBank && r.Kind == providersim.KindTransfer &&
				(r.IdempotencyKey == base || strings.HasPrefix(r.IdempotencyKey, base+":")) {
				n++
			}
		}
		switch {
		case n > 1:
			res.Breaches = append(res.Breaches, fmt.Sprintf("producer %s period %s transferred %d times", producer, period, n))
		case status == "paid" && n == 0:
			res.Breaches = append(res.Breaches, fmt.Sprintf("producer %s period %s is paid with no transfer at the bank", producer, period))
		case status != "paid" && n > 0:
			res.Breaches = append(res.Breaches, fmt.Sprintf("producer %s period %s is %s but was transferred", producer, period, status))
		}
		if status == "paid" && txn != "" && len(transfers[txn]) == 1 && transfers[txn][0].Amount != amount {
			res.Breaches = append(res.Breaches, fmt.Sprintf("producer %s period %s: transferred %d, payout is %d", producer, period, transfers[txn][0].Amount, amount))
		}
	}
	return res, rows.Err()
}

// balances sums ledger postings per account matching like, per currency.
func (v *verifier) balance(ctx context.Context, like string) (map[string]int64, error) {
	rows, err := v.src.Pool.Query(ctx, `SELECT currency, sum(amount)::bigint FROM journal_postings WHERE account LIKE $1 GROUP BY currency`, like)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]int64{}
	for rows.Next() {
		var cur string
		var sum int64
		if err := rows.Scan(&cur, &sum); err != nil {
			return nil, err
		}
		out[cur] = sum
	}
	return out, rows.Err()
}

// compare adds a breach for each currency where the sandbox and the ledger differ.
func compare(res *Result, what string, sandbox, ledger map[string]int64) {
	for cur := range ledger {
		if _, ok := sandbox[cur]; !ok {
			sandbox[cur] = 0
		}
	}
	for cur, s := range sandbox {
		res.Checked++
		if s != ledger[cur] {
			res.Breaches = append(res.Breaches, fmt.Sprintf("%s %s: sandbox %d, ledger %d", what, cur, s, ledger[cur]))
		}
	}
}

// pgMatchesLedger: what the PGs hold captured (captures - cancels of captured
// payments) is what the ledger's PG receivables say.
func (v *verifier) pgMatchesLedger(ctx context.Context) (Result, error) {
	res := Result{Name: PGMatchesLedger}
	sandbox := map[string]int64{}
	cur := map[string]string{}
	for _, r := range v.recs {
		if r.Kind == providersim.KindCapture {
			cur[r.PaymentKey] = r.Currency
		}
	}
	for _, r := range v.recs {
		if r.Provider == providersim.ProviderBank {
			// A bank account's checkout part (firm banking): its debit is the
			// capture, and transfers back (void, cancel, refund) its cancels.
			switch {
			case r.Kind == providersim.KindDebit && strings.HasPrefix(r.IdempotencyKey, "payment:"):
				sandbox[r.Currency] += r.Amount
			case r.Kind == providersim.KindTransfer && (strings.HasPrefix(r.IdempotencyKey, "payment:") || strings.HasPrefix(r.IdempotencyKey, "refund:")):
				sandbox[r.Currency] -= r.Amount
			}
			continue
		}
		if !strings.HasPrefix(r.Provider, "pg:") {
			continue
		}
		switch {
		case r.Kind == providersim.KindCapture:
			sandbox[r.Currency] += r.Amount
		case r.Kind == providersim.KindCancel && cur[r.PaymentKey] != "":
			sandbox[r.Currency] -= r.Amount
		}
	}
	led, err := v.balance(ctx, "pg:%:receivable")
	if err != nil {
		return res, err
	}
	compare(&res, "PG captures - cancels vs pg receivable", sandbox, led)
	return res, nil
}

// bankDebitsMatch: bank debits - top-up reversals = the bank:clearing balance
// (what top-ups credited to wallets).
func (v *verifier) bankDebitsMatch(ctx context.Context) (Result, error) {
	res := Result{Name: BankDebitsMatch}
	sandbox := map[string]int64{}
	for _, r := range v.recs {
		if r.Provider != providersim.ProviderBank {
			continue
		}
		switch {
		case r.Kind == providersim.KindDebit && strings.HasPrefix(r.IdempotencyKey, "topup:"): // checkouts' debits: pgMatchesLedger
			sandbox[r.Currency] += r.Amount
		case r.Kind == providersim.KindTransfer && (strings.HasPrefix(r.IdempotencyKey, "topup:") || strings.HasPrefix(r.IdempotencyKey, "wallet-refund:")):
			sandbox[r.Currency] -= r.Amount // reversals and wallet balance refunds leave bank:clearing
		}
	}
	led, err := v.balance(ctx, ledger.BankClearing)
	if err != nil {
		return res, err
	}
	compare(&res, "bank debits - reversals vs bank:clearing", sandbox, led)
	// And top-up by top-up: at most one debit each, even under a key with a suffix.
	debits := map[string]int{}
	for _, r := range v.recs {
		if r.Provider == providersim.ProviderBank && r.Kind == providersim.KindDebit && strings.HasPrefix(r.IdempotencyKey, "topup:") {
			id, _, _ := strings.Cut(strings.TrimPrefix(r.IdempotencyKey, "topup:"), ":")
			debits[id]++
		}
	}
	rows, err := v.src.Pool.Query(ctx, `SELECT id, status FROM wallet_topups`)
	if err != nil {
		return res, err
	}
	defer rows.Close()
	for rows.Next() {
		var id, status string
		if err := rows.Scan(&id, &status); err != nil {
			return res, err
		}
		res.Checked++
		switch n := debits[id]; {
		case n > 1:
			res.Breaches = append(res.Breaches, fmt.Sprintf("top-up %s (%s) debited %d times at the bank", id, status, n))
		case status == "succeeded" && n == 0:
			res.Breaches = append(res.Breaches, fmt.Sprintf("top-up %s succeeded with no debit at the bank", id))
		}
	}
	return res, rows.Err()
}

// bankTransfersMatch: bank transfers to producers = what the ledger paid out.
func (v *verifier) bankTransfersMatch(ctx context.Context) (Result, error) {
	res := Result{Name: BankTransfersMatch}
	sandbox := map[string]int64{}
	for _, r := range v.recs {
		if r.Provider == providersim.ProviderBank && r.Kind == providersim.KindTransfer && strings.HasPrefix(r.IdempotencyKey, "payout:") {
			sandbox[r.Currency] += r.Amount
		}
	}
	led, err := v.balance(ctx, ledger.BankPayouts)
	if err != nil {
		return res, err
	}
	for cur, b := range led {
		led[cur] = -b
	}
	compare(&res, "bank transfers vs bank:payouts", sandbox, led)
	return res, nil
}
