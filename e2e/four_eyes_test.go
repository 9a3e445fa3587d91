package e2e

import (
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/paysaga/paysaga/api"
	"github.com/paysaga/paysaga/config"
	"github.com/paysaga/paysaga/db"
	"github.com/paysaga/paysaga/providersim"
)

func TestPayoutAboveFourEyesThresholdNeedsTwoFinanceKeys(t *testing.T) {
	s := newStack(t, func(c *config.Config) { c.FourEyesThreshold = 5_000 })
	f := &payoutFixture{stack: s, prefix: "p" + uuid.NewString()[:8]}
	f.customer, f.method = s.customerWithCard(providersim.CardApprove)
	const financeKey2 = "e2e-finance-key-2"
	require.NoError(t, api.EnsureAPIKey(s.ctx, db.New(s.pool), "finance", "e2e finance 2", financeKey2))
	f.producer("a", "1200000001")
	f.sale(map[string]int64{"a": 10_000}) // nets 9,700

	sched := f.schedule(1_000)
	defer f.deleteSchedule(sched)
	run := f.trigger(sched, 1)
	payoutID := payouts(run)[f.id("a")]["id"].(string)
	require.Eventually(t, func() bool { // the payout workflow marks it a moment after the run completes
		res := f.call("GET", "/v1/payout-runs/"+run["id"].(string), financeKey, nil, nil)
		return res.Status == 200 && payouts(res.json(t))[f.id("a")]["status"] == "awaiting_approval"
	}, 20*time.Second, 100*time.Millisecond)

	// One key, twice: recorded once, still waiting, nothing sent.
	for i := 0; i < 2; i++ {
		res := f.call("POST", "/v1/payouts/"+payoutID+"/approve", financeKey, nil, nil)
		require.Equal(t, 202, res.Status, "%s", res.Body)
		require.Equal(t, "awaiting_approval", res.json(t)["status"])
		require.Len(t, res.json(t)["approvals"], 1)
	}
	time.Sleep(time.Second) // a release would have sent the transfer by now
	require.Empty(t, f.transfers(), "one key cannot release a four-eyes payout")
	require.Equal(t, 1, s.auditRows("payout.approved", "payout:"+payoutID))

	res := f.call("POST", "/v1/payouts/"+payoutID+"/approve", financeKey2, nil, nil)
	require.Equal(t, 200, res.Status, "%s", res.Body)
	require.Len(t, res.json(t)["approvals"], 2)
	require.Eventually(t, func() bool {
		return len(f.transfers()) == 1 && f.balance("producer:"+f.id("a")+":payable") == 0
	}, 20*time.Second, 100*time.Millisecond)
	require.Equal(t, 2, s.auditRows("payout.approved", "payout:"+payoutID))
	f.requireLedgerBalanced()
}
