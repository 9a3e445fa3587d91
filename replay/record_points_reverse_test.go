package replay_test

import (
	"flag"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/rs/zerolog"
	"github.com/stretchr/testify/require"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/api/temporalproto"

	"github.com/paysaga/paysaga/api"
	"github.com/paysaga/paysaga/app"
	"github.com/paysaga/paysaga/config"
	"github.com/paysaga/paysaga/db"
	"github.com/paysaga/paysaga/ledger"
	"github.com/paysaga/paysaga/providersim"
	"github.com/paysaga/paysaga/workflows"
)

var recordPointsReverse = flag.Bool("record-points-reverse", false, "record the refunds that take back earned points (issue 15, i15-points-reverse), leaving the others")

// TestRecordPointsReverse records testdata/Refund-points_*.json (go test
// ./replay -run TestRecordPointsReverse -record-points-reverse, under
// `paysaga services`): a card payment earning 3% at capture, a refund that
// takes its share back, one that keeps a shortfall back after the points
// were spent, and one the PG refuses (the points given back).
func TestRecordPointsReverse(t *testing.T) {
	if !*recordPointsReverse {
		t.Skip("pass -record-points-reverse to record the points reversal histories")
	}
	ctx := t.Context()
	simSrv := httptest.NewServer(providersim.New(providersim.Options{PGs: []string{"alpha", "beta"}, Seed: 1, Logger: zerolog.Nop()}).Handler())
	defer simSrv.Close()
	cfg := recordingConfig(t, simSrv.URL)
	cfg.PointsEarnBPS, cfg.PointsEarnAt = 300, config.PointsAtCapture
	a, err := app.Start(ctx, cfg, zerolog.Nop(), app.Parts{API: true, Worker: true})
	require.NoError(t, err)
	defer a.Close()
	srv := httptest.NewServer(a.HTTP)
	defer srv.Close()
	require.NoError(t, api.EnsureAPIKey(ctx, db.New(a.Pool), "app", "replay", appKey))
	r := &recorder{t: t, ctx: ctx, app: a, url: srv.URL, sim: providersim.NewAdminClient(simSrv.URL, nil), names: map[string]string{}}

	c, m := r.customer(providersim.CardApprove)
	pay := r.checkout("points_reverse_paid", c, m, 0) // 15,000 by card: 450 points
	r.names = map[string]string{}                     // the checkout's shape is recorded elsewhere
	refund := func(label string, amount int64) {
		res := r.call("POST", "/v1/payments/"+pay+"/refunds", appKey, map[string]any{"amount": amount})
		r.names[workflows.RefundID(pay, res["refund"].(map[string]any)["id"].(string))] = label
	}
	refund("points_reversed", 5_000) // 150 points back
	require.NoError(t, r.sim.SetFault(ctx, providersim.Fault{Provider: "*", Op: providersim.OpCancel, Mode: providersim.ModeError, Status: 400}))
	// Refused by the PG (answered 502): its 30 points are given back.
	req, err := http.NewRequestWithContext(ctx, "POST", srv.URL+"/v1/payments/"+pay+"/refunds", strings.NewReader(`{"amount": 1000}`))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+appKey)
	req.Header.Set("Idempotency-Key", "refused-refund")
	res, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	require.Equal(t, http.StatusBadGateway, res.StatusCode)
	_ = res.Body.Close()
	var refused string
	require.Eventually(t, func() bool {
		return a.Pool.QueryRow(ctx, `SELECT id FROM refunds WHERE payment_id = $1 AND status = 'failed'`, pay).Scan(&refused) == nil
	}, 60*time.Second, 200*time.Millisecond)
	require.NoError(t, r.sim.ClearFaults(ctx))
	r.names[workflows.RefundID(pay, refused)] = "points_restored"
	spendAll(t, a, c)
	refund("points_shortfall", 5_000) // 150 owed, none left: 150 won kept back

	for id, label := range r.names {
		d, err := a.Temporal.DescribeWorkflowExecution(ctx, id, "")
		require.NoError(t, err, id)
		e := d.WorkflowExecutionInfo
		require.NotNil(t, e.CloseTime, "%s still running", id)
		name := e.Type.Name + "-" + label
		hist := &historypb.History{}
		iter := a.Temporal.GetWorkflowHistory(ctx, id, e.Execution.RunId, false, 0)
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

// spendAll stands in for the points tender: the customer's points are spent
// (a points_spend journal and the buckets emptied, under the customer's lock).
func spendAll(t *testing.T, a *app.App, customer string) {
	t.Helper()
	ctx := t.Context()
	require.NoError(t, pgx.BeginFunc(ctx, a.Pool, func(tx pgx.Tx) error {
		q := db.New(tx)
		if _, err := q.LockCustomer(ctx, customer); err != nil {
			return err
		}
		var n int64
		if err := tx.QueryRow(ctx, `SELECT COALESCE(sum(remaining), 0) FROM points_buckets WHERE customer_id = $1`, customer).Scan(&n); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE points_buckets SET remaining = 0 WHERE customer_id = $1`, customer); err != nil {
			return err
		}
		_, err := ledger.Post(ctx, q, ledger.Journal{Key: "test:spend:" + customer, Kind: "points_spend", Postings: []ledger.Posting{
			{Account: ledger.Points(customer), Currency: "KRW", Amount: n}, {Account: "test:points-redeemed", Currency: "KRW", Amount: -n}}})
		return err
	}))
}
