package e2e

import (
	"context"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"
	"go.temporal.io/api/workflowservice/v1"

	"github.com/paysaga/paysaga/codec"
	"github.com/paysaga/paysaga/config"
	"github.com/paysaga/paysaga/providersim"
	"github.com/paysaga/paysaga/testenv"
	"github.com/paysaga/paysaga/workflows"
)

func TestApprovedCardCheckoutCapturesOnceAndBooksTheLedger(t *testing.T) {
	s := newStack(t)
	cus, pm := s.customerWithCard(providersim.CardApprove)
	order := orderID()

	res := s.checkout(checkoutBody(cus, pm, order))

	require.Equal(t, 201, res.Status, "%s", res.Body)
	pay := res.json(t)
	require.Equal(t, "succeeded", pay["status"])
	require.Equal(t, "alpha", pay["pg"])
	require.EqualValues(t, 15000, pay["captured_amount"])
	require.EqualValues(t, 450, pay["fee_amount"])

	recs := s.pgRecords(order)
	n, amt := count(recs, "authorize")
	require.Equal(t, 1, n, "exactly one authorization")
	require.EqualValues(t, 15000, amt)
	n, amt = count(recs, "capture")
	require.Equal(t, 1, n, "exactly one capture")
	require.EqualValues(t, 15000, amt)
	n, _ = count(recs, "cancel")
	require.Zero(t, n)

	s.requireLedgerBalanced()
	require.EqualValues(t, 15000, s.balance("pg:alpha:receivable"))
	// Pending until the purchase is confirmed (구매확정); no commission yet.
	require.EqualValues(t, -10000, s.balance("producer:farm-a:pending"))
	require.EqualValues(t, -5000, s.balance("producer:farm-b:pending"))
	require.Zero(t, s.balance("producer:farm-a:payable"))
	require.Zero(t, s.balance("revenue:fees"))

	// The payment reads back with its timeline and a link to the workflow.
	got := s.call("GET", "/v1/payments/"+pay["id"].(string), opsKey, nil, nil)
	require.Equal(t, 200, got.Status, "%s", got.Body)
	body := got.json(t)
	var steps []string
	for _, e := range body["timeline"].([]any) {
		steps = append(steps, e.(map[string]any)["step"].(string))
	}
	require.Equal(t, []string{"created", "risk_evaluated", "authorized", "captured", "ledger_posted"}, steps)
	require.Equal(t, workflows.CheckoutID(order), body["workflow"].(map[string]any)["id"])
	// The checkout's answer is the payment as GET shows it (issue 19: both
	// render from one read, GetPaymentView).
	require.Equal(t, body, pay)
}

func TestDeclinedCardFailsWithReasonAndMovesNothing(t *testing.T) {
	for card, code := range map[string]string{
		providersim.CardDecline:           "card_declined",
		providersim.CardInsufficientFunds: "insufficient_funds",
	} {
		t.Run(code, func(t *testing.T) {
			s := newStack(t)
			cus, pm := s.customerWithCard(card)
			order := orderID()

			res := s.checkout(checkoutBody(cus, pm, order))

			require.Equal(t, 201, res.Status, "%s", res.Body)
			pay := res.json(t)
			require.Equal(t, "failed", pay["status"])
			require.Equal(t, code, pay["failure"].(map[string]any)["code"])
			caps, err := s.sim.Records(s.ctx, providersim.RecordFilter{Kind: "capture"})
			require.NoError(t, err)
			require.Empty(t, caps, "nothing captured")
			require.Zero(t, s.rows(`SELECT count(*) FROM journal_transactions`), "nothing posted")
		})
	}
}

// paysagaProtocol puts PG alpha on the sandbox's original protocol, whose
// authorization and capture are separate calls.
func paysagaProtocol(c *config.Config) { c.PGConnectors["alpha"] = config.ConnectorPaysaga }

// At a PG with separate capture, a refused capture voids the authorization.
func TestCaptureFailureVoidsTheAuthorization(t *testing.T) {
	s := newStack(t, paysagaProtocol)
	cus, pm := s.customerWithCard(providersim.CardCaptureFails)
	order := orderID()

	res := s.checkout(checkoutBody(cus, pm, order))

	require.Equal(t, 201, res.Status, "%s", res.Body)
	pay := res.json(t)
	require.Equal(t, "failed", pay["status"])
	require.Equal(t, "capture_failed", pay["failure"].(map[string]any)["code"])
	recs := s.pgRecords(order)
	n, _ := count(recs, "authorize")
	require.Equal(t, 1, n)
	n, _ = count(recs, "capture")
	require.Zero(t, n, "nothing captured")
	n, amt := count(recs, "cancel")
	require.Equal(t, 1, n, "the authorization was voided")
	require.EqualValues(t, 15000, amt)
	require.Zero(t, s.rows(`SELECT count(*) FROM journal_transactions`))
}

// At Toss (the default primary) approval is capture: a card whose capture
// would be refused is refused at approval, and nothing is taken or left open.
func TestOneCallApprovalRefusedTakesNothing(t *testing.T) {
	s := newStack(t)
	cus, pm := s.customerWithCard(providersim.CardCaptureFails)
	order := orderID()

	res := s.checkout(checkoutBody(cus, pm, order))

	require.Equal(t, 201, res.Status, "%s", res.Body)
	pay := res.json(t)
	require.Equal(t, "failed", pay["status"])
	require.Equal(t, "card_declined", pay["failure"].(map[string]any)["code"])
	recs, err := s.sim.Records(s.ctx, providersim.RecordFilter{Provider: "pg:alpha"})
	require.NoError(t, err)
	for _, r := range recs {
		require.Equal(t, "billing_key", r.Kind, "nothing but the billing key at the PG")
	}
	require.Zero(t, s.rows(`SELECT count(*) FROM journal_transactions`))
}

// The capture-fail of a PG that approves and captures in one call: the
// approval's answer is lost every time (the PG committed, the connection
// dropped) and the look-up cannot tell either, until the retries run out. The
// payment fails, and the compensation finds the approval by its key and
// cancels it in full: nothing stays taken at the PG, nothing is booked.
func TestAmbiguousOneCallApprovalIsCancelled(t *testing.T) {
	for name, tune := range map[string]func(*config.Config){
		"toss":    func(*config.Config) {},
		"portone": portonePrimary,
	} {
		t.Run(name, func(t *testing.T) {
			s := newStack(t, tune)
			cus, pm := s.customerWithCard(providersim.CardApprove)
			for _, f := range []providersim.Fault{
				{Provider: "pg:alpha", Op: "authorize", Mode: "timeout_after_commit", Count: 6},
				{Provider: "pg:alpha", Op: "query", Mode: "error", Status: 500, Count: 6},
			} {
				require.NoError(t, s.sim.SetFault(s.ctx, f))
			}
			order := orderID()

			res := s.checkout(checkoutBody(cus, pm, order))

			require.Contains(t, []int{201, 202}, res.Status, "%s", res.Body)
			id := res.json(t)["id"].(string)
			require.Eventually(t, func() bool {
				n, _ := count(s.pgRecords(order), "cancel")
				return n == 1 && s.call("GET", "/v1/payments/"+id, appKey, nil, nil).json(t)["status"] == "failed"
			}, 30*time.Second, 100*time.Millisecond)
			recs := s.pgRecords(order)
			n, amt := count(recs, "capture")
			require.Equal(t, 1, n, "one approval (approval is capture)")
			require.EqualValues(t, 15000, amt)
			n, amt = count(recs, "cancel")
			require.Equal(t, 1, n, "cancelled once")
			require.EqualValues(t, 15000, amt, "in full: nothing left open")
			require.Zero(t, s.rows(`SELECT count(*) FROM journal_transactions`), "nothing booked")
			require.Zero(t, s.balance("pg:alpha:receivable"))
		})
	}
}

// At Toss the approval takes the money: no capture call is made, and the
// sandbox records the approval as one authorization and one capture under the
// approval's idempotency key.
func TestTossApprovalHasNoCaptureStep(t *testing.T) {
	s := newStack(t)
	cus, pm := s.customerWithCard(providersim.CardApprove)
	order := orderID()

	res := s.checkout(checkoutBody(cus, pm, order))

	require.Equal(t, 201, res.Status, "%s", res.Body)
	require.Equal(t, "succeeded", res.json(t)["status"])
	recs := s.pgRecords(order)
	require.Len(t, recs, 2)
	require.Equal(t, recs[0].IdempotencyKey, recs[1].IdempotencyKey, "one approval call")
	require.Equal(t, res.json(t)["id"], recs[0].OrderID, "Toss's orderId is the payment id")
	s.requireChargedOnce(order, 15000)
}

// The sandbox commits the authorization and then drops the connection: the
// worker cannot know the outcome from the answer, asks the PG by idempotency
// key, and goes on with the one authorization that exists.
func TestTimeoutAfterCommitChargesExactlyOnce(t *testing.T) {
	for op, tune := range map[string]func(*config.Config){
		"authorize": func(*config.Config) {}, // Toss: the approval
		"capture":   paysagaProtocol,         // a PG with a separate capture
	} {
		t.Run(op, func(t *testing.T) {
			s := newStack(t, tune)
			cus, pm := s.customerWithCard(providersim.CardApprove)
			require.NoError(t, s.sim.SetFault(s.ctx, providersim.Fault{Provider: "pg:alpha", Op: op, Mode: "timeout_after_commit", Count: 1}))
			order := orderID()

			res := s.checkout(checkoutBody(cus, pm, order))

			require.Equal(t, 201, res.Status, "%s", res.Body)
			require.Equal(t, "succeeded", res.json(t)["status"])
			s.requireChargedOnce(order, 15000)
			s.requireLedgerBalanced()
		})
	}
}

func TestPrimaryPGOutageFailsOverToSecondary(t *testing.T) {
	s := newStack(t)
	cus, pm := s.customerWithCard(providersim.CardApprove)
	require.NoError(t, s.sim.SetFault(s.ctx, providersim.Fault{Provider: "pg:alpha", Op: "*", Mode: "outage"}))
	order := orderID()

	res := s.checkout(checkoutBody(cus, pm, order))

	require.Equal(t, 201, res.Status, "%s", res.Body)
	pay := res.json(t)
	require.Equal(t, "succeeded", pay["status"])
	require.Equal(t, "beta", pay["pg"], "the secondary served the payment and it is recorded")
	alpha, err := s.sim.Records(s.ctx, providersim.RecordFilter{Provider: "pg:alpha", Kind: "authorize"})
	require.NoError(t, err)
	require.Empty(t, alpha)
	recs := s.pgRecords(order)
	n, _ := count(recs, "capture")
	require.Equal(t, 1, n)
	require.Equal(t, "pg:beta", recs[0].Provider)
	require.EqualValues(t, 15000, s.balance("pg:beta:receivable"))
	require.Zero(t, s.balance("pg:alpha:receivable"))
	require.Equal(t, 1, s.rows(`SELECT count(*) FROM payment_events WHERE step = 'failover'`))
}

func TestIdempotencyKeyReplaysTheAnswerAndRejectsAnotherBody(t *testing.T) {
	s := newStack(t)
	cus, pm := s.customerWithCard(providersim.CardApprove)
	order := orderID()
	key := map[string]string{"Idempotency-Key": uuid.NewString()}
	body := checkoutBody(cus, pm, order)

	first := s.call("POST", "/v1/checkouts", appKey, body, key)
	second := s.call("POST", "/v1/checkouts", appKey, body, key)

	require.Equal(t, 201, first.Status, "%s", first.Body)
	require.Equal(t, first.Status, second.Status)
	require.JSONEq(t, string(first.Body), string(second.Body))
	n, _ := count(s.pgRecords(order), "authorize")
	require.Equal(t, 1, n, "one charge")

	body["amount"], body["items"] = 20000, []map[string]any{{"producer_id": "farm-a", "amount": 20000}}
	other := s.call("POST", "/v1/checkouts", appKey, body, key)
	require.Equal(t, 422, other.Status, "%s", other.Body)
	require.Equal(t, "application/problem+json", other.Header.Get("Content-Type"))
	require.Equal(t, "idempotency_key_reused", other.json(t)["code"])
	require.Equal(t, 1, s.rows(`SELECT count(*) FROM payments`))
}

func TestConcurrentDuplicateCheckoutsMakeOnePayment(t *testing.T) {
	s := newStack(t)
	cus, pm := s.customerWithCard(providersim.CardApprove)
	order := orderID()
	key := map[string]string{"Idempotency-Key": uuid.NewString()}
	body := checkoutBody(cus, pm, order)

	const n = 10
	statuses := make([]int, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			statuses[i] = s.call("POST", "/v1/checkouts", appKey, body, key).Status
		}()
	}
	wg.Wait()

	for _, st := range statuses {
		require.Contains(t, []int{201, 409}, st, "each duplicate gets the answer or 'in progress'")
	}
	require.Contains(t, statuses, 201)
	require.Equal(t, 1, s.rows(`SELECT count(*) FROM payments`), "one payment")
	auths, _ := count(s.pgRecords(order), "authorize")
	require.Equal(t, 1, auths, "one charge")
	// A new key for the same, already paid order is refused, not charged again.
	again := s.checkout(body)
	require.Equal(t, 409, again.Status, "%s", again.Body)
	auths, _ = count(s.pgRecords(order), "authorize")
	require.Equal(t, 1, auths)
}

func TestBadInputIsRejectedWithoutSideEffects(t *testing.T) {
	s := newStack(t)
	cus, pm := s.customerWithCard(providersim.CardApprove)
	_, foreignPM := s.customerWithCard(providersim.CardApprove)
	with := func(k string, v any) map[string]any {
		b := checkoutBody(cus, pm, "o-bad")
		b[k] = v
		return b
	}
	cases := map[string]struct {
		body any
		want int
	}{
		"malformed json":   {`{"order_id": "o-bad",`, 400},
		"zero amount":      {with("amount", 0), 422},
		"negative amount":  {with("amount", -15000), 422},
		"huge amount":      {with("amount", int64(1)<<62), 422},
		"unknown currency": {with("currency", "XXX"), 422},
		"unknown method":   {with("payment", map[string]any{"method_id": "pm_nope"}), 422},
		"foreign method":   {with("payment", map[string]any{"method_id": foreignPM}), 422},
		"oversized body":   {with("order_note", strings.Repeat("x", 1<<20)), 413},
		"items do not sum": {with("items", []map[string]any{{"producer_id": "farm-a", "amount": 1}}), 422},
		"unknown field":    {with("discount", 100), 400},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			res := s.call("POST", "/v1/checkouts", appKey, c.body, map[string]string{"Idempotency-Key": uuid.NewString()})
			require.Equal(t, c.want, res.Status, "%s", res.Body)
			require.Equal(t, "application/problem+json", res.Header.Get("Content-Type"))
			require.NotEmpty(t, res.json(t)["code"])
		})
	}
	require.Zero(t, s.rows(`SELECT count(*) FROM payments`), "no payment row")
	require.Zero(t, s.rows(`SELECT count(*) FROM idempotency_keys`), "no idempotency row")
	_, err := s.app.Temporal.DescribeWorkflowExecution(s.ctx, workflows.CheckoutID("o-bad"), "")
	require.Error(t, err, "no workflow started")
}

func TestCheckoutIsFoundByOrderIdInTemporal(t *testing.T) {
	s := newStack(t)
	cus, pm := s.customerWithCard(providersim.CardApprove)
	order := orderID()
	require.Equal(t, 201, s.checkout(checkoutBody(cus, pm, order)).Status)
	query := `OrderId="` + order + `"`

	// Visibility is eventually consistent: give it a moment.
	var found []string
	require.Eventually(t, func() bool {
		res, err := s.app.Temporal.ListWorkflow(s.ctx, &workflowservice.ListWorkflowExecutionsRequest{Query: query + ` AND PaymentStatus="succeeded"`})
		if err != nil || len(res.Executions) == 0 {
			return false
		}
		found = []string{res.Executions[0].Execution.WorkflowId}
		return true
	}, 10*time.Second, 100*time.Millisecond)
	require.Equal(t, []string{workflows.CheckoutID(order)}, found)

	// The same query through the Temporal CLI, as ops would type it.
	cli := testenv.TemporalCLI(t)
	ctx, cancel := context.WithTimeout(s.ctx, 30*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, cli, "workflow", "list", "--address", testenv.TemporalAddress(t), "--query", query).CombinedOutput()
	require.NoError(t, err, "%s", out)
	require.Contains(t, string(out), workflows.CheckoutID(order))
}

// A checkout slower than the budget answers 202 processing; the workflow still
// finishes, the payment reads back succeeded, and the card is charged once.
func TestCheckoutPastTheBudgetAnswers202AndStillCompletes(t *testing.T) {
	s := newStack(t, func(c *config.Config) { c.CheckoutBudget = 300 * time.Millisecond })
	cus, pm := s.customerWithCard(providersim.CardApprove)
	require.NoError(t, s.sim.SetFault(s.ctx, providersim.Fault{Provider: "pg:alpha", Op: "authorize", Mode: "latency", LatencyMS: 1200}))
	order := orderID()

	res := s.checkout(checkoutBody(cus, pm, order))

	require.Equal(t, 202, res.Status, "%s", res.Body)
	pay := res.json(t)
	require.Equal(t, "processing", pay["status"])
	id := pay["id"].(string)
	require.Eventually(t, func() bool {
		got := s.call("GET", "/v1/payments/"+id, appKey, nil, nil)
		return got.Status == 200 && got.json(t)["status"] == "succeeded"
	}, 20*time.Second, 100*time.Millisecond)
	s.requireChargedOnce(order, 15000)
	s.requireLedgerBalanced()
}

// /metrics shows the HTTP, business and Temporal SDK metrics after a checkout.
func TestMetricsAfterACheckout(t *testing.T) {
	s := newStack(t)
	cus, pm := s.customerWithCard(providersim.CardApprove)
	require.Equal(t, 201, s.checkout(checkoutBody(cus, pm, orderID())).Status)

	res := s.call("GET", "/metrics", "", nil, nil)
	require.Equal(t, 200, res.Status)
	body := string(res.Body)
	for _, want := range []string{
		`paysaga_checkouts_total{outcome="succeeded"} 1`,
		`paysaga_checkout_duration_seconds_count{outcome="succeeded"} 1`,
		`paysaga_http_requests_total{method="POST",route="/v1/checkouts",status="201"} 1`,
		`temporal_workflow_completed{`,
		`paysaga_business_objects{kind="payment",status="succeeded"} 1`,
		`paysaga_business_amount{kind="payment",status="succeeded"} 15000`,
		`paysaga_business_metrics_up 1`,
		`temporal_request_latency_seconds_bucket{`,
	} {
		require.Contains(t, body, want)
	}
}

// The request id a checkout answered with is in its workflow's memo.
func TestCheckoutMemoCarriesTheRequestID(t *testing.T) {
	s := newStack(t)
	cus, pm := s.customerWithCard(providersim.CardApprove)
	order := orderID()
	res := s.checkout(checkoutBody(cus, pm, order))
	require.Equal(t, 201, res.Status, "%s", res.Body)
	requestID := res.Header.Get("X-Request-Id")
	require.NotEmpty(t, requestID)

	desc, err := s.app.Temporal.DescribeWorkflowExecution(s.ctx, workflows.CheckoutID(order), "")
	require.NoError(t, err)
	var got string
	require.NoError(t, codec.DataConverter(s.app.Codec).FromPayload(desc.WorkflowExecutionInfo.Memo.Fields["request_id"], &got))
	require.Equal(t, requestID, got)
}

// Installments (issue 15): the months reach the PG's charge (the sandbox's
// record of it), an interest-free plan of finance's config makes the merchant
// pay the interest, and the payment shows its plan. The sandbox's Toss names
// the card's issuer 현대 (VISA numbers), its PortOne by brand.
func TestInstallmentCheckoutReachesThePG(t *testing.T) {
	plans := func(c *config.Config) {
		c.InterestFreePlans = []config.InterestFreePlan{
			{Issuer: "현대", MinAmount: 50_000, MinMonths: 2, MaxMonths: 6},
			{Issuer: "VISA", MinAmount: 50_000, MinMonths: 3, MaxMonths: 3},
		}
	}
	portOneFirst := func(c *config.Config) { c.PGPrimary, c.PGSecondary = "beta", "alpha" }
	cases := []struct {
		name         string
		tune         []func(*config.Config)
		months       int
		pg           string
		interestFree bool
		plan         any
	}{
		{name: "toss interest-free", tune: []func(*config.Config){plans}, months: 3, pg: "alpha", interestFree: false, plan: "현대:50000:2-6"},
		{name: "toss beyond the plan", tune: []func(*config.Config){plans}, months: 12, pg: "alpha", plan: nil},
		{name: "portone interest-free", tune: []func(*config.Config){plans, portOneFirst}, months: 3, pg: "beta", interestFree: true, plan: "VISA:50000:3"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := newStack(t, tc.tune...)
			cus, pm := s.customerWithCard(providersim.CardApprove)
			order := orderID()
			body := checkoutBody(cus, pm, order)
			body["amount"] = 60000
			body["items"] = []map[string]any{{"producer_id": "farm-a", "amount": 60000}}
			body["payment"] = map[string]any{"method_id": pm, "installment_months": tc.months}

			res := s.checkout(body)

			require.Equal(t, 201, res.Status, "%s", res.Body)
			pay := res.json(t)
			require.Equal(t, "succeeded", pay["status"])
			require.Equal(t, tc.pg, pay["pg"])
			payer := "customer"
			if tc.plan != nil {
				payer = "merchant"
			}
			require.Equal(t, map[string]any{"months": float64(tc.months), "interest_payer": payer, "plan": tc.plan}, pay["installment"])

			var recs []providersim.Record
			for _, r := range s.pgRecords(order) {
				if r.Kind == providersim.KindAuthorize {
					recs = append(recs, r)
				}
			}
			require.Len(t, recs, 1, "one charge")
			require.Equal(t, "pg:"+tc.pg, recs[0].Provider)
			require.Equal(t, tc.months, recs[0].InstallmentMonths, "the PG was asked for the months")
			// Toss takes no interest-free flag on a charge (the merchant's contract
			// decides there); PortOne is told the merchant pays.
			require.Equal(t, tc.interestFree, recs[0].InterestFree)

			got := s.call("GET", "/v1/payments/"+pay["id"].(string), opsKey, nil, nil)
			require.Equal(t, 200, got.Status, "%s", got.Body)
			require.Equal(t, pay["installment"], got.json(t)["installment"])
		})
	}
}
