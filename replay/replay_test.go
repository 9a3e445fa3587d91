package replay_test

import (
	"log/slog"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	sdklog "go.temporal.io/sdk/log"
	sdkworker "go.temporal.io/sdk/worker"

	"github.com/paysaga/paysaga/codec"
	"github.com/paysaga/paysaga/worker"
)

// Every recorded history replays against today's workflow code.
func TestReplayRecordedHistories(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "*.json"))
	require.NoError(t, err)
	require.GreaterOrEqual(t, len(files), 10, "recorded histories are missing: see package doc")
	keys, err := codec.ParseKeys(testKey)
	require.NoError(t, err)
	enc, err := codec.New(keys)
	require.NoError(t, err)
	dc := codec.DataConverter(enc)
	types := map[string]bool{}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			r, err := sdkworker.NewWorkflowReplayerWithOptions(sdkworker.WorkflowReplayerOptions{DataConverter: dc, FailureConverter: codec.FailureConverter(dc)})
			require.NoError(t, err)
			worker.RegisterWorkflows(r)
			require.NoError(t, r.ReplayWorkflowHistoryFromJSONFile(sdklog.NewStructuredLogger(slog.New(slog.DiscardHandler)), f))
		})
		types[strings.SplitN(filepath.Base(f), "-", 2)[0]] = true
	}
	for _, want := range []string{"Checkout", "Refund", "TopUp", "VerifyIdentity", "PayoutRun", "Payout", "PayoutBatch", "Fulfilment", "SettlementDeadlineCheck", "RetryTopUpReversal", "EndpointDelivery", "MembershipTick", "MembershipCharge", "WalletRefund", "CashReceipt", "CashReceiptCancel"} {
		require.True(t, types[want], "no recorded %s history", want)
	}
}
