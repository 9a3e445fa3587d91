package replay_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/rs/zerolog"
	"github.com/stretchr/testify/require"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/api/temporalproto"
	"go.temporal.io/api/workflowservice/v1"

	"github.com/paysaga/paysaga/api"
	"github.com/paysaga/paysaga/app"
	"github.com/paysaga/paysaga/config"
	"github.com/paysaga/paysaga/db"
	"github.com/paysaga/paysaga/providersim"
	"github.com/paysaga/paysaga/testenv"
	"github.com/paysaga/paysaga/workflows"
)

var record = flag.Bool("record", false, "run the scenarios against the test Temporal server and rewrite testdata/*.json")

// testKey encrypts the recorded histories' payloads; the replay test decodes
// with it. It protects nothing: the data is made up.
var testKey = "replay:" + base64.StdEncoding.EncodeToString([]byte("paysaga-replay-test-key-32-bytes"))

const appKey, financeKey, opsKey = "replay-app-key", "replay-finance-key", "replay-ops-key"

// recorder is one paysaga (API + worker) on a fresh database and sandbox.
type recorder struct {
	t   *testing.T
	ctx context.Context
	app *app.App
	url string
	sim *providersim.AdminClient
	// names maps a workflow id to its scenario, for the file name.
	names map[string]string
}

func (r *recorder) call(method, path, key string, body any) map[string]any {
	r.t.Helper()
	buf, _ := json.Marshal(body)
	req, err := http.NewRequestWithContext(r.ctx, method, r.url+path, bytes.NewReader(buf))
	require.NoError(r.t, err)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+key)
	req.Header.Set("Idempotency-Key", uuid.NewString())
	res, err := http.DefaultClient.Do(req)
	require.NoError(r.t, err)
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	require.Less(r.t, res.StatusCode, 500, "%s %s: %s", method, path, raw)
	var m map[string]any
	_ = json.Unmarshal(raw, &m)
	return m
}

// stuckTopUp asks for a top-up whose TopUp workflow is to end without its
// reversal, and waits for that workflow to close (the API may answer 5xx).
func (r *recorder) stuckTopUp(customer, method string) {
	r.t.Helper()
	buf, _ := json.Marshal(map[string]any{"method_id": method, "amount": 20_000, "currency": "KRW"})
	req, err := http.NewRequestWithContext(r.ctx, "POST", r.url+"/v1/wallets/"+customer+"/topups", bytes.NewReader(buf))
	require.NoError(r.t, err)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+appKey)
	req.Header.Set("Idempotency-Key", uuid.NewString())
	res, err := http.DefaultClient.Do(req)
	require.NoError(r.t, err)
	_ = res.Body.Close()
	require.Eventually(r.t, func() bool {
		n := 0
		err := r.app.Pool.QueryRow(r.ctx, "SELECT count(*) FROM wallet_topups WHERE customer_id = $1 AND status = 'processing'", customer).Scan(&n)
		return err == nil && n == 1
	}, 10*time.Second, 100*time.Millisecond)
	var wf string
	require.NoError(r.t, r.app.Pool.QueryRow(r.ctx, "SELECT workflow_id FROM wallet_topups WHERE customer_id = $1 AND status = 'processing'", customer).Scan(&wf))
	require.Eventually(r.t, func() bool {
		d, err := r.app.Temporal.DescribeWorkflowExecution(r.ctx, wf, "")
		return err == nil && d.WorkflowExecutionInfo.CloseTime != nil
	}, 60*time.Second, 200*time.Millisecond)
}

func (r *recorder) customer(card string) (string, string) {
	r.t.Helper()
	id := r.call("POST", "/v1/customers", appKey, map[string]any{"external_id": uuid.NewString(), "name": "홍길동"})["id"].(string)
	ak, err := r.sim.Tokenize(r.ctx, providersim.Card{Number: card, ExpiryMonth: "12", ExpiryYear: "2030", CVC: "123"})
	require.NoError(r.t, err)
	m := r.call("POST", "/v1/customers/"+id+"/payment-methods", appKey, map[string]any{"type": "card", "pg_auth_key": ak})
	return id, m["id"].(string)
}

func (r *recorder) checkout(name, customer, method string, walletAmount int64) string {
	r.t.Helper()
	order := "o-" + uuid.NewString()[:8]
	r.names["checkout-"+order] = name
	res := r.call("POST", "/v1/checkouts", appKey, map[string]any{"order_id": order, "customer_id": customer, "currency": "KRW", "amount": 15000,
		"items":   []map[string]any{{"producer_id": "rec-a", "amount": 10000}, {"producer_id": "rec-b", "amount": 5000}},
		"payment": map[string]any{"method_id": method, "wallet_amount": walletAmount}})
	return res["id"].(string)
}

// installmentCheckout pays 60,000 by card in months installments (issue 15).
func (r *recorder) installmentCheckout(name, customer, method string, months int) {
	r.t.Helper()
	order := "o-" + uuid.NewString()[:8]
	r.names["checkout-"+order] = name
	r.call("POST", "/v1/checkouts", appKey, map[string]any{"order_id": order, "customer_id": customer, "currency": "KRW", "amount": 60000,
		"items":   []map[string]any{{"producer_id": "rec-a", "amount": 60000}},
		"payment": map[string]any{"method_id": method, "installment_months": months}})
}

// recordingConfig is the stack a recording runs on: the services'
// PostgreSQL and Temporal, the sandbox at simURL, a task queue of its own.
func recordingConfig(t *testing.T, simURL string) config.Config {
	cfg := config.Default()
	cfg.DatabaseURL = testenv.Database(t)
	cfg.TemporalAddress = testenv.TemporalAddress(t)
	cfg.SimURL = simURL
	cfg.TaskQueue = "replay-" + uuid.NewString()
	cfg.ProviderTimeout = 2 * time.Second
	cfg.CodecKeys, cfg.CodecAddr = testKey, ""
	return cfg
}

// TestRecord re-records testdata/ (go test ./replay -run TestRecord -record,
// under `paysaga services`): run it after a deliberate, versioned change to a
// workflow, and commit the new histories beside the old ones.
func TestRecord(t *testing.T) {
	if !*record {
		t.Skip("pass -record to re-record the histories")
	}
	ctx := t.Context()
	simSrv := httptest.NewServer(providersim.New(providersim.Options{PGs: []string{"alpha", "beta"}, Seed: 1, Logger: zerolog.Nop()}).Handler())
	defer simSrv.Close()
	cfg := recordingConfig(t, simSrv.URL)
	cfg.PointsEarnBPS, cfg.PointsEarnAt = 100, config.PointsAtCapture // checkouts earn points at capture (issue 15)
	a, err := app.Start(ctx, cfg, zerolog.Nop(), app.Parts{API: true, Worker: true})
	require.NoError(t, err)
	defer a.Close()
	srv := httptest.NewServer(a.HTTP)
	defer srv.Close()
	require.NoError(t, api.EnsureAPIKey(ctx, db.New(a.Pool), "app", "replay", appKey))
	require.NoError(t, api.EnsureAPIKey(ctx, db.New(a.Pool), "finance", "replay", financeKey))
	r := &recorder{t: t, ctx: ctx, app: a, url: srv.URL, sim: providersim.NewAdminClient(simSrv.URL, nil), names: map[string]string{}}

	// Card checkouts: approved (then partly refunded), declined, capture failed, failed over.
	c, m := r.customer(providersim.CardApprove)
	paid := r.checkout("approved", c, m, 0)
	r.call("POST", "/v1/payments/"+paid+"/refunds", appKey, map[string]any{"amount": 4000, "reason": "replay"})
	// A refund whose cancel committed unanswered, then met a PG outage: settled
	// by re-sending it (issue: refund-unknown-outcome).
	for _, f := range []providersim.Fault{
		{Provider: "*", Op: providersim.OpCancel, Mode: providersim.ModeTimeoutAfterCommit, Count: 1},
		{Provider: "*", Op: providersim.OpCancel, Mode: providersim.ModeOutage, Count: 8},
	} {
		require.NoError(t, r.sim.SetFault(ctx, f))
	}
	settled := r.call("POST", "/v1/payments/"+paid+"/refunds", appKey, map[string]any{"amount": 1000, "reason": "replay"})
	r.names[workflows.RefundID(paid, settled["refund"].(map[string]any)["id"].(string))] = "unknown_outcome"
	require.NoError(t, r.sim.ClearFaults(ctx))
	c2, m2 := r.customer(providersim.CardDecline)
	r.checkout("declined", c2, m2, 0)
	c3, m3 := r.customer(providersim.CardCaptureFails)
	r.checkout("capture_failed", c3, m3, 0)
	require.NoError(t, r.sim.SetFault(ctx, providersim.Fault{Provider: "pg:alpha", Op: providersim.OpAuthorize, Mode: providersim.ModeOutage, Count: 1}))
	r.checkout("failover", c, m, 0)

	// Identity verification, a top-up, then a checkout split between wallet and card.
	account := "110555000111"
	require.NoError(t, r.sim.SetBankAccount(ctx, providersim.BankAccount{BankCode: "088", AccountNumber: account, HolderName: "홍길동", Balance: 10_000_000}))
	bankMethod := r.call("POST", "/v1/customers/"+c+"/payment-methods", appKey, map[string]any{"type": "bank_account",
		"bank_account": map[string]any{"bank_code": "088", "account_number": account, "holder_name": "홍길동"}})["id"].(string)
	v := r.call("POST", "/v1/identity-verifications", appKey, map[string]any{"customer_id": c, "name": "홍길동", "phone": "01012345678", "birth_date": "19900101"})
	code, err := r.sim.IdentityCode(ctx, v["provider_request_id"].(string))
	require.NoError(t, err)
	require.Equal(t, "verified", r.call("POST", "/v1/identity-verifications/"+v["id"].(string)+"/confirm", appKey, map[string]any{"code": code})["status"])
	require.Equal(t, "succeeded", r.call("POST", "/v1/wallets/"+c+"/topups", appKey, map[string]any{"method_id": bankMethod, "amount": 50_000, "currency": "KRW"})["status"])
	r.checkout("split", c, m, 6_000)
	// A checkout paid by the bank account: debited through the firm-banking
	// connector (issue 12, i12-bank-debit), then partly refunded by transfer.
	bankPaid := r.checkout("bank_debit", c, bankMethod, 0)
	r.call("POST", "/v1/payments/"+bankPaid+"/refunds", appKey, map[string]any{"amount": 2000, "reason": "replay"})
	r.installmentCheckout("installments", c, m, 3)
	r.checkout("points", c, m, 0)
	// A partner-card rule with a membership multiplier and a monthly cap (issue 15, i15-benefit-rules).
	_, err = a.Pool.Exec(ctx, `UPDATE customers SET membership_tier = 'gold' WHERE id = $1`, c)
	require.NoError(t, err)
	r.call("POST", "/v1/benefit-rule-sets", financeKey, map[string]any{"currency": "KRW", "effective_from": time.Now().UTC().Format(time.RFC3339Nano),
		"monthly_points_cap": 400, "rules": []map[string]any{{"name": "partner", "issuer": "현대", "bin_prefix": "411111", "points_bps": 300}},
		"membership_multipliers": []map[string]any{{"tier": "gold", "multiplier_bps": 15_000}}})
	r.checkout("benefit_partner", c, m, 0)
	// The benefit inside the opening's transaction and the points inside the
	// posting's (issue 19, i19-benefit-in-opening, i19-points-in-posting):
	// card-only (one-commit opening) and split (step by step, ApplyBenefit).
	r.checkout("benefit_opening", c, m, 0)
	r.checkout("benefit_split", c, m, 3_000)
	// An instant discount (issue 15): charged less before the PG, then a
	// refund whose discount share is reversed by the posting (i15-discount-refund).
	time.Sleep(10 * time.Millisecond)
	r.call("POST", "/v1/benefit-rule-sets", financeKey, map[string]any{"currency": "KRW", "effective_from": time.Now().UTC().Format(time.RFC3339Nano),
		"rules": []map[string]any{{"name": "ten-off", "issuer": "현대", "discount_bps": 1_000}}})
	discounted := r.checkout("discount", c, m, 0)
	dr := r.call("POST", "/v1/payments/"+discounted+"/refunds", appKey, map[string]any{"amount": 4000, "reason": "replay"})
	r.names[workflows.RefundID(discounted, dr["refund"].(map[string]any)["id"].(string))] = "discount_refund"

	// A top-up whose reversal fails for good (the bank took the debit, could not
	// be asked about it, then refused the transfer back), and ops' retry of it.
	for _, f := range []providersim.Fault{
		{Provider: "bank", Op: providersim.OpDebit, Mode: providersim.ModeTimeoutAfterCommit},
		{Provider: "bank", Op: providersim.OpQuery, Mode: providersim.ModeError, Status: 503, Count: 6},
		{Provider: "bank", Op: providersim.OpTransfer, Mode: providersim.ModeError, Status: 400},
	} {
		require.NoError(t, r.sim.SetFault(ctx, f))
	}
	r.stuckTopUp(c, bankMethod)
	require.NoError(t, r.sim.ClearFaults(ctx))
	stuck, err := db.New(a.Pool).ListStuckTopUps(ctx, db.ListStuckTopUpsParams{CreatedBefore: pgtype.Timestamptz{Time: time.Now(), Valid: true}, PageSize: 1})
	require.NoError(t, err)
	require.Len(t, stuck, 1)
	r.names["topup-"+stuck[0].ID] = "reversal_failed"
	require.NoError(t, api.EnsureAPIKey(ctx, db.New(a.Pool), "ops", "replay", opsKey))
	r.call("POST", "/v1/wallets/"+c+"/topups/"+stuck[0].ID+"/retry-reversal", opsKey, nil)
	require.Eventually(t, func() bool {
		top, err := db.New(a.Pool).GetTopUp(ctx, stuck[0].ID)
		return err == nil && top.Status == "reversed"
	}, 30*time.Second, 200*time.Millisecond)

	// A payout run over two producers.
	for i, p := range []string{"rec-a", "rec-b"} {
		r.call("POST", "/v1/producers", financeKey, map[string]any{"id": p, "name": p, "settlement_days": 0, "business_registration_number": "1234567891",
			"bank_account": map[string]any{"bank_code": "004", "account_number": fmt.Sprintf("110000777%d", i), "holder_name": "홍길동"}})
	}
	r.checkout("after_producers", c, m, 0)
	sched := "replay-" + uuid.NewString()[:8]
	r.call("POST", "/v1/payout-schedules", financeKey, map[string]any{"id": sched, "cron": "0 10 1 1 *"})
	time.Sleep(1100 * time.Millisecond)
	r.call("POST", "/v1/payout-schedules/"+sched+"/trigger", financeKey, nil)
	defer r.call("DELETE", "/v1/payout-schedules/"+sched, financeKey, nil)

	// Every workflow of the queue, once all have closed.
	var execs []*workflowservice.ListWorkflowExecutionsResponse
	require.Eventually(t, func() bool {
		res, err := a.Temporal.WorkflowService().ListWorkflowExecutions(ctx, &workflowservice.ListWorkflowExecutionsRequest{
			Namespace: cfg.TemporalNamespace, Query: fmt.Sprintf("TaskQueue = '%s'", cfg.TaskQueue), PageSize: 1000})
		require.NoError(t, err)
		for _, e := range res.Executions {
			if e.CloseTime == nil {
				return false
			}
		}
		execs = []*workflowservice.ListWorkflowExecutionsResponse{res}
		return len(res.Executions) >= 14
	}, 60*time.Second, 500*time.Millisecond)

	require.NoError(t, os.RemoveAll("testdata"))
	require.NoError(t, os.MkdirAll("testdata", 0o755))
	seen := map[string]int{}
	list := execs[0].Executions
	sort.Slice(list, func(i, j int) bool { return list[i].StartTime.AsTime().Before(list[j].StartTime.AsTime()) })
	for _, e := range list {
		name := e.Type.Name
		if label, ok := r.names[e.Execution.WorkflowId]; ok {
			name += "-" + label
		} else {
			seen[name]++
			name += fmt.Sprintf("-%d", seen[name])
		}
		hist := &historypb.History{}
		iter := a.Temporal.GetWorkflowHistory(ctx, e.Execution.WorkflowId, e.Execution.RunId, false, 0)
		for iter.HasNext() {
			ev, err := iter.Next()
			require.NoError(t, err)
			hist.Events = append(hist.Events, ev)
		}
		b, err := temporalproto.CustomJSONMarshalOptions{Indent: "  "}.Marshal(hist)
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(filepath.Join("testdata", name+".json"), b, 0o644))
		t.Logf("recorded %s (%d events)", name, len(hist.Events))
	}
}
