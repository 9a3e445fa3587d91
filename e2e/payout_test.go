package e2e

import (
	"fmt"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"
	"go.temporal.io/api/workflowservice/v1"

	"github.com/paysaga/paysaga/config"
	"github.com/paysaga/paysaga/providersim"
)

// payoutFixture is one test's producers (ids unique per test: the Temporal
// server is shared, and payout workflow ids are payout-{producer}-{period}).
type payoutFixture struct {
	*stack
	prefix           string
	customer, method string
}

func newPayoutFixture(t *testing.T, tune ...func(*config.Config)) *payoutFixture {
	s := newStack(t, tune...)
	f := &payoutFixture{stack: s, prefix: "p" + uuid.NewString()[:8]}
	f.customer, f.method = s.customerWithCard(providersim.CardApprove)
	return f
}

func (f *payoutFixture) id(name string) string { return f.prefix + "-" + name }

// producer registers a producer paid to account (the sandbox names 홍길동 as
// the holder of any account it was not told about).
func (f *payoutFixture) producer(name, account string) {
	f.t.Helper()
	res := f.call("POST", "/v1/producers", financeKey, map[string]any{"id": f.id(name), "name": name, "settlement_days": 0, "business_registration_number": "1234567891",
		"bank_account": map[string]any{"bank_code": "004", "account_number": account, "holder_name": "홍길동"}}, nil)
	require.Equal(f.t, 201, res.Status, "%s", res.Body)
	require.NotContains(f.t, string(res.Body), account, "the account number is never echoed")
}

// sale checks out one order split between producers (fee 3%).
func (f *payoutFixture) sale(items map[string]int64) (paymentID string) {
	f.t.Helper()
	var total int64
	var lines []map[string]any
	for _, name := range []string{"a", "b", "c", "d"} {
		if amt, ok := items[name]; ok {
			lines = append(lines, map[string]any{"producer_id": f.id(name), "amount": amt})
			total += amt
		}
	}
	res := f.checkout(map[string]any{"order_id": orderID(), "customer_id": f.customer, "currency": "KRW", "amount": total,
		"items": lines, "payment": map[string]any{"method_id": f.method}})
	require.Equal(f.t, 201, res.Status, "%s", res.Body)
	require.Equal(f.t, "succeeded", res.json(f.t)["status"])
	paymentID = res.json(f.t)["id"].(string)
	// The buyer confirms every item (구매확정): only then is a sale payable.
	for _, l := range lines {
		res := f.call("POST", "/v1/payments/"+paymentID+"/items/"+l["producer_id"].(string)+"/confirm", appKey, nil, nil)
		require.Equal(f.t, 200, res.Status, "%s", res.Body)
	}
	return paymentID
}

func (f *payoutFixture) schedule(threshold int64) string {
	f.t.Helper()
	id := f.prefix
	res := f.call("POST", "/v1/payout-schedules", financeKey, map[string]any{"id": id, "cron": "0 10 1 1 *", "approval_threshold": threshold}, nil)
	require.Equal(f.t, 201, res.Status, "%s", res.Body)
	require.Equal(f.t, "Asia/Seoul", res.json(f.t)["time_zone"])
	return id
}

func (f *payoutFixture) deleteSchedule(id string) {
	res := f.call("DELETE", "/v1/payout-schedules/"+id, financeKey, nil, nil)
	require.Equal(f.t, 204, res.Status, "%s", res.Body)
}

// trigger runs the schedule now and waits for its nth run to complete.
func (f *payoutFixture) trigger(schedule string, nth int) map[string]any {
	f.t.Helper()
	// The cut-off is the run's scheduled time, to the second: let the sales just
	// made fall before it.
	time.Sleep(1100 * time.Millisecond)
	res := f.call("POST", "/v1/payout-schedules/"+schedule+"/trigger", financeKey, nil, nil)
	require.Equal(f.t, 202, res.Status, "%s", res.Body)
	var runID string
	require.Eventually(f.t, func() bool {
		runs := f.call("GET", "/v1/payout-schedules/"+schedule, financeKey, nil, nil).json(f.t)["recent_runs"].([]any)
		if len(runs) < nth {
			return false
		}
		runID = runs[nth-1].(map[string]any)["run_id"].(string)
		return true
	}, 20*time.Second, 100*time.Millisecond)
	var run map[string]any
	require.Eventually(f.t, func() bool {
		res := f.call("GET", "/v1/payout-runs/"+runID, financeKey, nil, nil)
		if res.Status != 200 {
			return false
		}
		run = res.json(f.t)
		return run["status"] == "completed"
	}, 30*time.Second, 100*time.Millisecond)
	return run
}

// transfers are the sandbox bank's committed transfers, by idempotency key.
func (f *payoutFixture) transfers() map[string]int64 {
	f.t.Helper()
	recs, err := f.sim.Records(f.ctx, providersim.RecordFilter{Provider: "bank", Kind: "transfer"})
	require.NoError(f.t, err)
	out := map[string]int64{}
	for _, r := range recs {
		_, dup := out[r.IdempotencyKey]
		require.False(f.t, dup, "one transfer per key")
		out[r.IdempotencyKey] = r.Amount
	}
	return out
}

func payouts(run map[string]any) map[string]map[string]any {
	out := map[string]map[string]any{}
	for _, p := range run["payouts"].([]any) {
		m := p.(map[string]any)
		out[m["producer_id"].(string)] = m
	}
	return out
}

func TestPayoutRunPaysEveryProducerOnceAndHoldsTheOneTheBankRefuses(t *testing.T) {
	f := newPayoutFixture(t)
	f.producer("a", "1100000001")
	f.producer("b", "1100000002")
	f.producer("c", "9980000003") // a closed account: the bank refuses transfers to it
	f.producer("d", "1100000004") // the account changes hands before the payout
	require.NoError(t, f.sim.SetBankAccount(f.ctx, providersim.BankAccount{BankCode: "004", AccountNumber: "1100000004", HolderName: "김철수", Balance: 0}))

	// Bad input writes nothing and starts nothing.
	res := f.call("POST", "/v1/producers", financeKey, map[string]any{"id": f.id("x"), "name": "x",
		"bank_account": map[string]any{"bank_code": "004", "account_number": "1100000009", "holder_name": "김철수"}}, nil)
	require.Equal(t, 422, res.Status, "%s", res.Body)
	require.Equal(t, "holder_mismatch", res.json(t)["code"])
	require.Equal(t, 404, f.call("GET", "/v1/producers/"+f.id("x")+"/balance", financeKey, nil, nil).Status)
	res = f.call("POST", "/v1/payout-schedules", financeKey, map[string]any{"id": f.prefix + "-bad", "cron": "61 25 * * *"}, nil)
	require.Equal(t, 422, res.Status, "the server's cron parser refuses it: %s", res.Body)
	require.Equal(t, "invalid_schedule", res.json(t)["code"])
	require.Equal(t, 404, f.call("GET", "/v1/payout-schedules/"+f.prefix+"-bad", financeKey, nil, nil).Status)
	require.Equal(t, 403, f.call("POST", "/v1/producers", appKey, map[string]any{}, nil).Status, "finance only")
	bad := f.prefix + "-bad"
	for name, body := range map[string]map[string]any{
		"cron and interval": {"id": bad, "cron": "0 10 * * *", "interval": "24h"},
		"neither":           {"id": bad},
		"short interval":    {"id": bad, "interval": "10s"},
		"time zone":         {"id": bad, "cron": "0 10 * * *", "time_zone": "Mars/Olympus"},
		"cycle":             {"id": bad, "cron": "0 10 * * *", "cycle": "hourly"},
		"threshold":         {"id": bad, "cron": "0 10 * * *", "approval_threshold": -1},
		"unknown field":     {"id": bad, "cron": "0 10 * * *", "overlap": "allow_all"},
		"id":                {"id": "no spaces please", "cron": "0 10 * * *"},
	} {
		res := f.call("POST", "/v1/payout-schedules", financeKey, body, nil)
		require.Contains(t, []int{400, 422}, res.Status, "%s: %s", name, res.Body)
		require.Equal(t, "application/problem+json", res.Header.Get("Content-Type"), name)
	}
	require.Equal(t, 404, f.call("GET", "/v1/payout-schedules/"+bad, financeKey, nil, nil).Status, "no schedule was created")
	for name, body := range map[string]map[string]any{
		"account":  {"id": f.id("y"), "name": "y", "bank_account": map[string]any{"bank_code": "004", "account_number": "12-34", "holder_name": "홍길동"}},
		"fee":      {"id": f.id("y"), "name": "y", "fee_bps": 10_001, "bank_account": map[string]any{"bank_code": "004", "account_number": "1100000008", "holder_name": "홍길동"}},
		"no bank":  {"id": f.id("y"), "name": "y"},
		"cycle":    {"id": f.id("y"), "name": "y", "settlement_days": -1, "bank_account": map[string]any{"bank_code": "004", "account_number": "1100000008", "holder_name": "홍길동"}},
		"producer": {"id": "a/b", "name": "y", "bank_account": map[string]any{"bank_code": "004", "account_number": "1100000008", "holder_name": "홍길동"}},
	} {
		res := f.call("POST", "/v1/producers", financeKey, body, nil)
		require.Equal(t, 422, res.Status, "%s: %s", name, res.Body)
	}
	require.Equal(t, 404, f.call("GET", "/v1/producers/"+f.id("y")+"/balance", financeKey, nil, nil).Status, "no producer was created")
	res = f.call("POST", "/v1/producers", financeKey, map[string]any{"id": f.id("a"), "name": "again",
		"bank_account": map[string]any{"bank_code": "004", "account_number": "1100000001", "holder_name": "홍길동"}}, nil)
	require.Equal(t, 409, res.Status, "%s", res.Body)

	first := f.sale(map[string]int64{"a": 10_000, "b": 5_000}) // nets 9,670 and 4,835 (3% commission + its 10% VAT)
	f.sale(map[string]int64{"a": 2_000, "c": 4_000})           // nets 1,934 and 3,868
	f.sale(map[string]int64{"d": 1_000})                       // nets 967
	// A refund of 3,000 of the first order comes back 2,000 from a and 1,000 from
	// b, each less its share of the commission and VAT: a -1,934, b -967.
	res = f.call("POST", "/v1/payments/"+first+"/refunds", appKey, map[string]any{"amount": 3_000},
		map[string]string{"Idempotency-Key": "rf-" + first})
	require.Equal(t, 201, res.Status, "%s", res.Body)
	bal := f.call("GET", "/v1/producers/"+f.id("a")+"/balance", financeKey, nil, nil).json(t)
	require.EqualValues(t, 9_670, bal["payable"])
	require.EqualValues(t, 9_670, bal["payable_at_cutoff"])
	past := time.Now().Add(-time.Hour).UTC().Format(time.RFC3339)
	bal = f.call("GET", "/v1/producers/"+f.id("a")+"/balance?cutoff="+past, financeKey, nil, nil).json(t)
	require.EqualValues(t, 0, bal["payable_at_cutoff"], "nothing was sold before that cut-off")

	sched := f.schedule(0)
	defer f.deleteSchedule(sched)
	run := f.trigger(sched, 1)
	period := run["period"].(string)
	require.Equal(t, time.Now().In(seoul(t)).Format("20060102"), period)

	require.Equal(t, map[string]int64{
		"payout:" + f.id("a") + ":" + period: 9_670, // 9,670 + 1,934 - 1,934 refunded
		"payout:" + f.id("b") + ":" + period: 3_868, // 4,835 - 967 refunded
	}, f.transfers(), "the bank received exactly the payables (sales - fees - refunds), once each")
	got := payouts(run)
	require.Equal(t, "paid", got[f.id("a")]["status"])
	require.Equal(t, "paid", got[f.id("b")]["status"])
	require.Equal(t, "held", got[f.id("c")]["status"])
	require.Equal(t, "account_closed", got[f.id("c")]["reason"])
	require.Equal(t, "held", got[f.id("d")]["status"])
	require.Equal(t, "holder_mismatch", got[f.id("d")]["reason"], "no money to an account that is no longer the producer's")
	totals := run["totals"].(map[string]any)
	require.EqualValues(t, map[string]any{"count": 2.0, "amount": 13_538.0}, totals["paid"])
	require.EqualValues(t, map[string]any{"count": 2.0, "amount": 4_835.0}, totals["held"])

	require.Zero(t, f.balance("producer:"+f.id("a")+":payable"))
	require.Zero(t, f.balance("producer:"+f.id("b")+":payable"))
	require.EqualValues(t, -3_868, f.balance("producer:"+f.id("c")+":payable"), "held: still owed, paid next period")
	require.EqualValues(t, -13_538, f.balance("bank:payouts"))
	f.requireLedgerBalanced()

	stmt := f.call("GET", "/v1/producers/"+f.id("a")+"/statements", financeKey, nil, nil).json(t)
	lines := stmt["lines"].([]any)
	require.Len(t, lines, 4)
	require.Equal(t, "payout", lines[0].(map[string]any)["kind"])
	require.EqualValues(t, -9_670, lines[0].(map[string]any)["amount"])
	require.Equal(t, "refund", lines[1].(map[string]any)["kind"])
	require.EqualValues(t, -1_934, lines[1].(map[string]any)["amount"])
	require.Equal(t, "sale", lines[3].(map[string]any)["kind"])
	require.EqualValues(t, 10_000, lines[3].(map[string]any)["gross"])
	require.EqualValues(t, 330, lines[3].(map[string]any)["fee"], "commission 300 and its VAT 30")

	// The same period again (a double fire or a re-trigger): nothing is paid twice.
	f.sale(map[string]int64{"b": 1_000})
	again := f.trigger(sched, 2)
	require.Equal(t, period, again["period"])
	require.Empty(t, again["payouts"], "every producer is already settled for the period")
	require.Len(t, f.transfers(), 2, "no second transfer")
	require.EqualValues(t, -967, f.balance("producer:"+f.id("b")+":payable"), "the new sale waits for the next period")

	// Each outcome was announced to the app once, with the state change.
	for id, typ := range map[string]string{"a": "payout.paid", "b": "payout.paid", "c": "payout.held", "d": "payout.held"} {
		require.Equal(t, 1, f.rows(`SELECT count(*) FROM events WHERE subject_id = $1`, "payout-"+f.id(id)+"-"+period), id)
		require.Equal(t, 1, f.rows(`SELECT count(*) FROM events WHERE subject_id = $1 AND type = $2`, "payout-"+f.id(id)+"-"+period, typ), id)
	}
}

func TestPayoutAboveThresholdWaitsForFinanceApproval(t *testing.T) {
	f := newPayoutFixture(t)
	f.producer("a", "1200000001")
	f.producer("b", "1200000002")
	f.sale(map[string]int64{"a": 10_000, "b": 3_000}) // nets 9,670 and 2,901

	sched := f.schedule(5_000)
	defer f.deleteSchedule(sched)
	run := f.trigger(sched, 1)
	period := run["period"].(string)
	got := payouts(run)
	require.Equal(t, "paid", got[f.id("b")]["status"])
	require.Equal(t, "awaiting_approval", got[f.id("a")]["status"])
	require.Equal(t, map[string]int64{"payout:" + f.id("b") + ":" + period: 2_901}, f.transfers(), "nothing sent above the threshold")

	payoutID := got[f.id("a")]["id"].(string)
	require.Equal(t, fmt.Sprintf("payout-%s-%s", f.id("a"), period), payoutID)
	// Ops see it waiting in the Temporal UI too: the workflow's PaymentStatus.
	waiting := fmt.Sprintf(`WorkflowId = %q AND PaymentStatus = "awaiting_approval" AND ExecutionStatus = "Running"`, payoutID)
	require.Eventually(t, func() bool {
		res, err := f.app.Temporal.ListWorkflow(f.ctx, &workflowservice.ListWorkflowExecutionsRequest{
			Namespace: f.app.Config.TemporalNamespace, Query: waiting})
		return err == nil && len(res.Executions) == 1
	}, 10*time.Second, 100*time.Millisecond)
	require.Equal(t, 403, f.call("POST", "/v1/payouts/"+payoutID+"/approve", opsKey, nil, nil).Status, "ops cannot approve")
	res := f.call("POST", "/v1/payouts/"+got[f.id("b")]["id"].(string)+"/approve", financeKey, nil, nil)
	require.Equal(t, 409, res.Status, "%s", res.Body)

	res = f.call("POST", "/v1/payouts/"+payoutID+"/approve", financeKey, nil, nil)
	require.Equal(t, 200, res.Status, "%s", res.Body)
	require.Eventually(t, func() bool {
		return len(f.transfers()) == 2 && f.balance("producer:"+f.id("a")+":payable") == 0
	}, 20*time.Second, 100*time.Millisecond)
	require.EqualValues(t, 9_670, f.transfers()["payout:"+f.id("a")+":"+period])
	require.EqualValues(t, -12_571, f.balance("bank:payouts"))
	f.requireLedgerBalanced()
	res = f.call("POST", "/v1/payouts/"+payoutID+"/approve", financeKey, nil, nil)
	require.Equal(t, 409, res.Status, "approving twice is refused: %s", res.Body)
}

func seoul(t *testing.T) *time.Location {
	loc, err := time.LoadLocation("Asia/Seoul")
	require.NoError(t, err)
	return loc
}

// The bank announces completed transfers with an unsigned webhook. paysaga
// trusts it only after the bank confirms it by query: a forged notice is 401
// and changes nothing, the real one marks the payout bank-confirmed once.
func TestBankTransferWebhookIsConfirmedByQuery(t *testing.T) {
	f := newPayoutFixture(t)
	f.enablePGWebhooks() // the sandbox bank posts to {url}/bank on the same base URL
	f.producer("a", "1300000001")
	f.sale(map[string]int64{"a": 10_000})
	sched := f.schedule(0)
	defer f.deleteSchedule(sched)
	run := f.trigger(sched, 1)
	payoutID := payouts(run)[f.id("a")]["id"].(string)

	confirmed := `SELECT count(*) FROM payouts WHERE id = $1 AND bank_confirmed_at IS NOT NULL`
	require.Eventually(t, func() bool { return f.rows(confirmed, payoutID) == 1 }, 10*time.Second, 50*time.Millisecond)
	require.Equal(t, 1, f.rows(`SELECT count(*) FROM webhook_inbox WHERE provider = 'bank'`))

	var txnID string
	require.NoError(t, f.pool.QueryRow(f.ctx, `SELECT bank_transaction_id FROM payouts WHERE id = $1`, payoutID).Scan(&txnID))
	key := "payout:" + f.id("a") + ":" + run["period"].(string)
	notice := func(txn string, amount int64) response {
		return f.call("POST", "/v1/webhooks/bank", "", map[string]any{"event_id": "bwe_" + uuid.NewString(),
			"type": "transfer.completed", "idempotency_key": key, "transaction_id": txn, "amount": amount}, nil)
	}
	for name, res := range map[string]response{
		"unknown transaction": notice("txn_forged", 9_670),
		"wrong amount":        notice(txnID, 1_000_000),
		"unknown key": f.call("POST", "/v1/webhooks/bank", "", map[string]any{"event_id": "x", "idempotency_key": "payout:nobody:1",
			"transaction_id": txnID, "amount": 9_670}, nil),
	} {
		require.Equal(t, 401, res.Status, "%s: %s", name, res.Body)
		require.Equal(t, "unverified_webhook", res.json(t)["code"], name)
	}
	again := notice(txnID, 9_670) // the genuine notice once more, under a new event id
	require.Equal(t, 200, again.Status, "%s", again.Body)
	require.Equal(t, true, again.json(t)["duplicate"])
	require.Equal(t, 1, f.rows(`SELECT count(*) FROM webhook_inbox WHERE provider = 'bank'`), "one notice per bank transaction")
}
