package bench

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/paysaga/paysaga/pii"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"

	"github.com/paysaga/paysaga/workflows"
)

// PayoutOptions is one payout benchmark: N producers, each owed a distinct
// amount, settled by one payout run.
type PayoutOptions struct {
	Pool      *pgxpool.Pool
	Temporal  client.Client
	TaskQueue string // paysaga's worker
	Producers int
	PII       *pii.Keys // seals the producers' account number
	// Transfers counts the bank's committed transfers (the sandbox's records).
	Transfers func(ctx context.Context) (int, error)
	Out       io.Writer
	// NoFloor skips the bare fan-out (a quicker look while tuning).
	NoFloor bool
}

type PayoutStats struct {
	Duration          time.Duration
	Runs              int   // the run and its continued runs
	LargestRunHistory int64 // events
	Batches           int   // PayoutBatch workflows (i19-payout-batches)
	LargestBatchHist  int64 // events
	Paid              int64
	PaidAmount        int64
	Transfers         int
	FloorDuration     time.Duration // the bare fan-out over as many children
}

// RunPayouts seeds the ledger directly (one balanced sale journal per producer,
// no HTTP), starts a payout run, waits for it (across continue-as-new) and reads
// back the history sizes and the outcome.
func RunPayouts(ctx context.Context, o PayoutOptions) (PayoutStats, error) {
	var st PayoutStats
	prefix := fmt.Sprintf("b%d", time.Now().Unix()%1_000_000_000)
	seedStart := time.Now()
	sealed, err := o.PII.Seal("1000000001")
	if err != nil {
		return st, err
	}
	want, err := seedProducers(ctx, o.Pool, prefix, sealed, o.Producers)
	if err != nil {
		return st, err
	}
	fmt.Fprintf(o.Out, "seeded %d producers owed %d KRW in total in %s\n", o.Producers, want, time.Since(seedStart).Round(time.Millisecond))
	time.Sleep(1100 * time.Millisecond) // the cut-off (the start) falls after every seeded sale

	before, err := o.Transfers(ctx) // after a checkout bench, others may be there
	if err != nil {
		return st, err
	}
	runID := workflows.PayoutRunID(prefix)
	start := time.Now()
	run, err := o.Temporal.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: runID, TaskQueue: o.TaskQueue},
		workflows.PayoutRunName, workflows.PayoutRunInput{ScheduleID: "bench", Cycle: workflows.CycleDaily})
	if err != nil {
		return st, fmt.Errorf("start payout run: %w", err)
	}
	var totals workflows.PayoutTotals
	if err := run.Get(ctx, &totals); err != nil {
		return st, fmt.Errorf("payout run: %w", err)
	}
	st.Duration = time.Since(start)

	if err := o.Pool.QueryRow(ctx, `SELECT count(*), COALESCE(sum(amount), 0) FROM payouts WHERE run_id = $1 AND status = 'paid'`, runID).
		Scan(&st.Paid, &st.PaidAmount); err != nil {
		return st, fmt.Errorf("count paid: %w", err)
	}
	if st.Transfers, err = o.Transfers(ctx); err != nil {
		return st, err
	}
	st.Transfers -= before
	if err := st.histories(ctx, o.Temporal, runID); err != nil {
		return st, err
	}
	fmt.Fprintf(o.Out, "payout run over %d producers: %s (%.0f payouts/s)\n", o.Producers, st.Duration.Round(time.Millisecond),
		float64(st.Paid)/st.Duration.Seconds())
	fmt.Fprintf(o.Out, "paid %d payouts, %d KRW (owed %d); bank transfers %d\n", st.Paid, st.PaidAmount, want, st.Transfers)
	fmt.Fprintf(o.Out, "runs (continue-as-new chain): %d; batches: %d; largest history: run %d events, batch %d events (limit 10,240)\n",
		st.Runs, st.Batches, st.LargestRunHistory, st.LargestBatchHist)
	if st.Paid != int64(o.Producers) || st.PaidAmount != want || st.Transfers != o.Producers {
		return st, fmt.Errorf("payout bench: paid %d of %d producers", st.Paid, o.Producers)
	}
	if o.NoFloor {
		return st, nil
	}
	// The floor on the same server: the run's shape (pages of 500 children, 50
	// at once, continue-as-new per page) with bare children.
	floor, err := RunBareFanOut(ctx, o.Temporal, "bench-fanout", o.Producers, 500, 50)
	if err != nil {
		return st, err
	}
	st.FloorDuration = floor
	payoutRate, floorRate := float64(st.Paid)/st.Duration.Seconds(), float64(o.Producers)/floor.Seconds()
	fmt.Fprintf(o.Out, "floor bare child-workflow fan-out over %d children (500 a page, 50 at once): %s (%.0f children/s)\n",
		o.Producers, floor.Round(time.Millisecond), floorRate)
	fmt.Fprintf(o.Out, "ratio payouts/s / bare fan-out children/s: %.2fx\n", payoutRate/floorRate)
	return st, nil
}

// seedProducers inserts n producers and one balanced journal per producer:
// Dr pg:bench:receivable, Cr producer payable, amount 1,000 + i.
func seedProducers(ctx context.Context, pool *pgxpool.Pool, prefix string, sealedAccount []byte, n int) (int64, error) {
	_, err := pool.Exec(ctx, `
		INSERT INTO producers (id, name, bank_code, account_sealed, account_last4, holder_name, fee_bps, settlement_days, business_registration_number)
		SELECT $1 || '-' || lpad(i::text, 6, '0'), 'bench ' || i, '004', $3, '0001', '홍길동', 300, 0, '1234567891'
		FROM generate_series(1, $2::int) i`, prefix, n, sealedAccount)
	if err != nil {
		return 0, fmt.Errorf("seed producers: %w", err)
	}
	_, err = pool.Exec(ctx, `
		WITH tx AS (
			INSERT INTO journal_transactions (idempotency_key, kind, description)
			SELECT 'bench:' || $1 || ':' || i, 'payment_capture', 'bench seed' FROM generate_series(1, $2::int) i
			RETURNING id, split_part(idempotency_key, ':', 3)::int AS i)
		INSERT INTO journal_postings (transaction_id, account, currency, amount)
		SELECT tx.id, v.account, 'KRW', v.amount FROM tx, LATERAL (VALUES
			('pg:bench:receivable', 1000 + tx.i::bigint),
			('producer:' || $1 || '-' || lpad(tx.i::text, 6, '0') || ':payable', -(1000 + tx.i::bigint))) v(account, amount)`, prefix, n)
	if err != nil {
		return 0, fmt.Errorf("seed ledger: %w", err)
	}
	return int64(n)*1000 + int64(n)*int64(n+1)/2, nil
}

// histories reads the history length of every run in the chain and of the
// run's batches.
func (st *PayoutStats) histories(ctx context.Context, c client.Client, runID string) error {
	var token []byte
	for {
		res, err := c.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{
			Query: fmt.Sprintf("WorkflowId = '%s'", runID), NextPageToken: token})
		if err != nil {
			return fmt.Errorf("list runs: %w", err)
		}
		for _, e := range res.GetExecutions() {
			st.Runs++
			n, err := historyLength(ctx, c, runID, e.GetExecution().GetRunId())
			if err != nil {
				return err
			}
			st.LargestRunHistory = max(st.LargestRunHistory, n)
		}
		if token = res.GetNextPageToken(); len(token) == 0 {
			break
		}
	}
	// The run's batches: the bench's services are its own, so every
	// PayoutBatch here is this run's.
	token = nil
	for {
		res, err := c.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{
			Query: fmt.Sprintf("WorkflowType = '%s'", workflows.PayoutBatchName), NextPageToken: token})
		if err != nil {
			return fmt.Errorf("list batches: %w", err)
		}
		for _, e := range res.GetExecutions() {
			st.Batches++
			st.LargestBatchHist = max(st.LargestBatchHist, e.GetHistoryLength())
		}
		if token = res.GetNextPageToken(); len(token) == 0 {
			return nil
		}
	}
}

func historyLength(ctx context.Context, c client.Client, id, run string) (int64, error) {
	d, err := c.DescribeWorkflowExecution(ctx, id, run)
	if err != nil {
		return 0, fmt.Errorf("describe %s/%s: %w", id, run, err)
	}
	return d.GetWorkflowExecutionInfo().GetHistoryLength(), nil
}
