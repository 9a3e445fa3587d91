package workflows

import (
	"context"
	"errors"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/paysaga/paysaga/activities"
)

// batchFixture is a run over one page of claims a..f (c needs approval), paid
// in batches of two by the real PayoutBatch workflow; the PayBatch activity is
// the test's, and records the batches it was given.
type batchFixture struct {
	env     testEnv
	mu      sync.Mutex
	batches [][]string // producer ids per PayBatch call, in call order
	payouts []string   // producers that got their own Payout workflow
}

func newBatchFixture(t *testing.T, payBatch func(calls int, in activities.PayBatchInput) (activities.PayBatchResult, error)) *batchFixture {
	f := &batchFixture{env: newEnv(t)}
	env := f.env
	env.RegisterWorkflowWithOptions(Payout, workflow.RegisterOptions{Name: PayoutName})
	env.RegisterWorkflowWithOptions(PayoutBatch, workflow.RegisterOptions{Name: PayoutBatchName})
	env.OnActivity(payouts.StartRun, mock.Anything, mock.Anything).Return(nil).Once()
	claims := activities.ClaimPageResult{Producers: 6, LastID: "f", Done: true}
	for _, id := range []string{"a", "b", "c", "d", "e", "f"} {
		claims.Payouts = append(claims.Payouts, activities.ClaimedPayout{
			PayoutID: "payout-" + id + "-20261125", ProducerID: id, Amount: 100, NeedsApproval: id == "c"})
	}
	env.OnActivity(payouts.ClaimPage, mock.Anything, mock.Anything).Return(claims, nil).Once()
	env.OnActivity(payouts.CompleteRun, mock.Anything, mock.Anything).Return(nil).Once()
	calls := map[string]int{}
	env.OnActivity(payouts.PayBatch, mock.Anything, mock.Anything).Return(func(_ context.Context, in activities.PayBatchInput) (activities.PayBatchResult, error) {
		f.mu.Lock()
		var ids []string
		for _, p := range in.PayoutIDs {
			ids = append(ids, strings.Split(p, "-")[1])
		}
		f.batches = append(f.batches, ids)
		key := strings.Join(ids, ",")
		calls[key]++
		n := calls[key]
		f.mu.Unlock()
		return payBatch(n, in)
	})
	env.OnWorkflow(PayoutName, mock.Anything, mock.Anything).Return(func(ctx workflow.Context, in PayoutInput) (PayoutResult, error) {
		f.payouts = append(f.payouts, in.ProducerID)
		_ = workflow.Sleep(ctx, time.Hour) // waits for finance; the run does not wait for it
		return PayoutResult{PayoutID: in.PayoutID, Amount: in.Amount, Status: activities.PayoutPaid}, nil
	})
	env.SetStartTime(time.Date(2026, 11, 25, 1, 0, 0, 0, time.UTC))
	return f
}

func (f *batchFixture) run(t *testing.T) PayoutTotals {
	t.Helper()
	return f.runWith(t, PayoutRunInput{ScheduleID: "daily", PageSize: 6, BatchSize: 2, BatchWorkers: 5, Concurrency: 10})
}

func (f *batchFixture) runWith(t *testing.T, in PayoutRunInput) PayoutTotals {
	t.Helper()
	f.env.ExecuteWorkflow(PayoutRun, in)
	require.True(t, f.env.IsWorkflowCompleted())
	require.NoError(t, f.env.GetWorkflowError())
	var totals PayoutTotals
	require.NoError(t, f.env.GetWorkflowResult(&totals))
	return totals
}

// distinctBatches is the batches given to PayBatch, each once, sorted.
func (f *batchFixture) distinctBatches() []string {
	seen := map[string]bool{}
	var out []string
	for _, b := range f.batches {
		k := strings.Join(b, ",")
		if !seen[k] {
			seen[k] = true
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return out
}

func paidAll(in activities.PayBatchInput) activities.PayBatchResult {
	return activities.PayBatchResult{Paid: len(in.PayoutIDs), PaidAmount: 100 * int64(len(in.PayoutIDs))}
}

// Claims are paid in batches (not one workflow each); the payout that needs
// approval gets its own workflow and is left waiting; a held producer in a
// batch and a batch whose activity failed once (a bank fault that broke the
// attempt, a dead worker) are counted once, after the retry.
func TestPayoutRunPaysInBatchesAndKeepsApprovalsTheirOwnWorkflow(t *testing.T) {
	f := newBatchFixture(t, func(calls int, in activities.PayBatchInput) (activities.PayBatchResult, error) {
		switch {
		case in.PayoutIDs[0] == "payout-a-20261125" && calls == 1:
			return activities.PayBatchResult{}, errors.New("connection reset by the bank mid-batch")
		case in.PayoutIDs[0] == "payout-d-20261125":
			// e's account belongs to someone else: held, nothing sent.
			return activities.PayBatchResult{Paid: 1, Held: 1, PaidAmount: 100, NotPaid: []activities.PayoutOutcome{
				{PayoutID: "payout-e-20261125", Status: activities.PayoutHeld, Reason: "holder_mismatch", Amount: 100}}}, nil
		}
		return paidAll(in), nil
	})
	totals := f.run(t)
	require.Equal(t, []string{"a,b", "d,e", "f"}, f.distinctBatches(), "the approval is in no batch")
	require.Len(t, f.batches, 4, "the failed batch ran once more")
	require.Equal(t, []string{"c"}, f.payouts, "only the payout that needs approval has its own workflow")
	require.Equal(t, PayoutTotals{Producers: 6, Started: 6, Batches: 3, Paid: 4, Held: 1, AwaitingApproval: 1, PaidAmount: 400}, totals)
}

// A batch whose activity keeps failing (retries bounded) counts its payouts as
// failed and the run still completes; the other batches are paid.
func TestPayoutRunCountsABatchThatFailedForGood(t *testing.T) {
	f := newBatchFixture(t, func(calls int, in activities.PayBatchInput) (activities.PayBatchResult, error) {
		if in.PayoutIDs[0] == "payout-d-20261125" {
			return activities.PayBatchResult{}, errors.New("database down")
		}
		return paidAll(in), nil
	})
	totals := f.run(t)
	n := 0
	for _, b := range f.batches {
		if b[0] == "d" {
			n++
		}
	}
	require.Equal(t, 10, n, "bounded: the batch's activity is tried 10 times")
	require.Equal(t, PayoutTotals{Producers: 6, Started: 6, Batches: 3, Paid: 3, Failed: 2, AwaitingApproval: 1, PaidAmount: 300}, totals)
}

// The batch workflow hands its payouts to PayBatch and shows how it ended.
func TestPayoutBatchEndsWithTheActivityResult(t *testing.T) {
	env := newEnv(t)
	in := PayoutBatchInput{RunID: "payout-run-x", Period: "20261125", PayoutIDs: []string{"payout-a-20261125", "payout-b-20261125"}, Amount: 200, Workers: 4}
	want := activities.PayBatchResult{Paid: 1, Held: 1, PaidAmount: 100,
		NotPaid: []activities.PayoutOutcome{{PayoutID: "payout-b-20261125", Status: activities.PayoutHeld, Reason: "account_closed", Amount: 100}}}
	env.OnActivity(payouts.PayBatch, mock.Anything, activities.PayBatchInput{PayoutIDs: in.PayoutIDs, Workers: 4}).Return(want, nil).Once()
	env.OnUpsertTypedSearchAttributes(temporal.NewSearchAttributes(PaymentStatusKey.ValueSet(activities.PayoutHeld))).Return(nil).Once()
	env.ExecuteWorkflow(PayoutBatch, in)
	require.NoError(t, env.GetWorkflowError())
	var got activities.PayBatchResult
	require.NoError(t, env.GetWorkflowResult(&got))
	require.Equal(t, want, got)
}

// A short page (here 5 payouts to batch, with the defaults: batches of 100, 10
// transfers in each, 50 in flight) is cut into 5 batches, so a small run or a
// last page keeps its concurrency instead of one batch of 10 in flight.
func TestPayoutRunCutsAShortPageIntoEnoughBatches(t *testing.T) {
	f := newBatchFixture(t, func(_ int, in activities.PayBatchInput) (activities.PayBatchResult, error) { return paidAll(in), nil })
	totals := f.runWith(t, PayoutRunInput{ScheduleID: "daily", PageSize: 6})
	require.Equal(t, []string{"a", "b", "d", "e", "f"}, f.distinctBatches())
	require.Equal(t, 5, totals.Batches)
	require.Equal(t, 5, totals.Paid)
}
