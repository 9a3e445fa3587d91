package e2e

import (
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"
	"go.temporal.io/api/workflowservice/v1"

	"github.com/paysaga/paysaga/activities"
	"github.com/paysaga/paysaga/config"
	"github.com/paysaga/paysaga/providersim"
	"github.com/paysaga/paysaga/workflows"
)

func (s *stack) paymentKey(paymentID string) string {
	s.t.Helper()
	var key string
	require.NoError(s.t, s.pool.QueryRow(s.ctx, `SELECT pg_payment_key FROM payments WHERE id = $1`, paymentID).Scan(&key))
	return key
}

// Planted differences in the PG's settlement report are reported by the next
// run with the payment id; matching captures and refunds are not.
func TestReconciliationReportsPlantedMismatches(t *testing.T) {
	s := newStack(t, func(c *config.Config) { c.ReconCron = "0 19 * * *" })
	// The daily schedule exists from start-up.
	_, err := s.app.Temporal.ScheduleClient().GetHandle(s.ctx, workflows.ReconScheduleID(s.app.Config.TaskQueue)).Describe(s.ctx)
	require.NoError(t, err)

	cus, pm := s.customerWithCard(providersim.CardApprove)
	var pays []string
	for range 4 {
		res := s.checkout(checkoutBody(cus, pm, orderID()))
		require.Equal(t, 201, res.Status, "%s", res.Body)
		pays = append(pays, res.json(t)["id"].(string))
	}
	res := s.call("POST", "/v1/payments/"+pays[0]+"/refunds", appKey, map[string]any{"amount": 3000},
		map[string]string{"Idempotency-Key": uuid.NewString()})
	require.Equal(t, 201, res.Status, "%s", res.Body)

	amount, fee, wrongFee := int64(14000), int64(350), int64(999)
	require.NoError(t, s.sim.PlantSettlement(s.ctx, providersim.Plant{PaymentKey: s.paymentKey(pays[1]), Amount: &amount, Fee: &fee}))
	require.NoError(t, s.sim.PlantSettlement(s.ctx, providersim.Plant{PaymentKey: s.paymentKey(pays[2]), Fee: &wrongFee}))
	require.NoError(t, s.sim.PlantSettlement(s.ctx, providersim.Plant{PaymentKey: s.paymentKey(pays[3]), Drop: true}))

	today := time.Now().In(activities.KST).Format("2006-01-02")
	res = s.call("POST", "/v1/reconciliations", financeKey, map[string]any{"date": today}, nil)
	require.Equal(t, 202, res.Status, "%s", res.Body)
	runID := res.json(t)["id"].(string)

	var body map[string]any
	require.Eventually(t, func() bool {
		r := s.call("GET", "/v1/reconciliations/"+runID, opsKey, nil, nil)
		if r.Status != 200 {
			return false
		}
		body = r.json(t)
		return body["run"].(map[string]any)["status"] == "completed"
	}, 20*time.Second, 100*time.Millisecond)

	type finding struct{ Kind, ItemType, PaymentID string }
	var got []finding
	for _, f := range body["findings"].([]any) {
		m := f.(map[string]any)
		got = append(got, finding{m["kind"].(string), m["item_type"].(string), m["payment_id"].(string)})
	}
	require.ElementsMatch(t, []finding{
		{"amount_mismatch", "capture", pays[1]},
		{"fee_mismatch", "capture", pays[2]},
		{"missing_at_pg", "capture", pays[3]},
	}, got, "the refund of %s and the untouched capture match", pays[0])
	run := body["run"].(map[string]any)
	require.EqualValues(t, 3, run["mismatches"])
	require.EqualValues(t, 5, run["ledger_items"], "4 captures + 1 refund")

	// Listed by date, and flagged in Temporal for ops: ReconMismatches > 0.
	list := s.call("GET", "/v1/reconciliations?date="+today, financeKey, nil, nil)
	require.Equal(t, 200, list.Status)
	require.Len(t, list.json(t)["runs"].([]any), 1)
	require.Eventually(t, func() bool {
		r, err := s.app.Temporal.ListWorkflow(s.ctx, &workflowservice.ListWorkflowExecutionsRequest{
			Query: `WorkflowId="` + runID + `" AND ReconMismatches > 0`})
		return err == nil && len(r.Executions) == 1
	}, 10*time.Second, 100*time.Millisecond)
}

func TestReconciliationBadInputStartsNothing(t *testing.T) {
	s := newStack(t)
	tomorrow := time.Now().In(activities.KST).AddDate(0, 0, 1).Format("2006-01-02")
	for name, body := range map[string]any{
		"no date":       map[string]any{},
		"bad date":      map[string]any{"date": "2026-13-01"},
		"future":        map[string]any{"date": tomorrow},
		"unknown field": map[string]any{"date": "2026-01-01", "pg": "alpha"},
	} {
		res := s.call("POST", "/v1/reconciliations", financeKey, body, nil)
		require.Contains(t, []int{400, 422}, res.Status, "%s: %s", name, res.Body)
	}
	require.Equal(t, 404, s.call("GET", "/v1/reconciliations/recon-nope", opsKey, nil, nil).Status)
	require.Zero(t, s.rows(`SELECT count(*) FROM recon_runs`))
	r, err := s.app.Temporal.ListWorkflow(s.ctx, &workflowservice.ListWorkflowExecutionsRequest{
		Query: `WorkflowType="Reconcile" AND TaskQueue="` + s.app.Config.TaskQueue + `"`})
	require.NoError(t, err)
	require.Empty(t, r.Executions)
}

// At PortOne the daily reconciliation reads the day's payment events (GET
// /payment-events-by-cursor): amounts are compared, captures and refunds
// alike; PortOne reports no PG fees, so no fee is checked.
func TestReconciliationAtPortOneComparesItsPaymentEvents(t *testing.T) {
	s := newStack(t, portonePrimary)
	cus, pm := s.customerWithCard(providersim.CardApprove)
	var pays []string
	for range 3 {
		res := s.checkout(checkoutBody(cus, pm, orderID()))
		require.Equal(t, "succeeded", res.json(t)["status"], "%s", res.Body)
		pays = append(pays, res.json(t)["id"].(string))
	}
	res := s.call("POST", "/v1/payments/"+pays[0]+"/refunds", appKey, map[string]any{"amount": 3000},
		map[string]string{"Idempotency-Key": uuid.NewString()})
	require.Equal(t, 201, res.Status, "%s", res.Body)
	amount := int64(14000)
	require.NoError(t, s.sim.PlantSettlement(s.ctx, providersim.Plant{PaymentKey: s.paymentKey(pays[1]), Amount: &amount}))
	require.NoError(t, s.sim.PlantSettlement(s.ctx, providersim.Plant{PaymentKey: s.paymentKey(pays[2]), Drop: true}))

	today := time.Now().In(activities.KST).Format("2006-01-02")
	res = s.call("POST", "/v1/reconciliations", financeKey, map[string]any{"date": today}, nil)
	require.Equal(t, 202, res.Status, "%s", res.Body)
	runID := res.json(t)["id"].(string)
	var body map[string]any
	require.Eventually(t, func() bool {
		r := s.call("GET", "/v1/reconciliations/"+runID, opsKey, nil, nil)
		body = r.json(t)
		return r.Status == 200 && body["run"].(map[string]any)["status"] == "completed"
	}, 20*time.Second, 100*time.Millisecond)

	type finding struct{ Kind, ItemType, PaymentID string }
	var got []finding
	for _, f := range body["findings"].([]any) {
		m := f.(map[string]any)
		got = append(got, finding{m["kind"].(string), m["item_type"].(string), m["payment_id"].(string)})
	}
	require.ElementsMatch(t, []finding{
		{"amount_mismatch", "capture", pays[1]},
		{"missing_at_pg", "capture", pays[2]},
	}, got, "the capture and refund of %s match; no fee is checked", pays[0])
	run := body["run"].(map[string]any)
	require.EqualValues(t, 4, run["ledger_items"], "3 captures + 1 refund")
	require.EqualValues(t, 3, run["pg_items"], "PortOne's events: 2 captures (one dropped) + 1 refund")
}
