package e2e

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"

	"github.com/paysaga/paysaga/providersim"
	"github.com/paysaga/paysaga/workflows"
)

func (s *stack) subscribe(customerID, methodID string) map[string]any {
	s.t.Helper()
	res := s.call("POST", "/v1/memberships", appKey, map[string]any{"customer_id": customerID, "plan_id": "plus", "method_id": methodID},
		map[string]string{"Idempotency-Key": uuid.NewString()})
	require.Equal(s.t, 201, res.Status, "%s", res.Body)
	return res.json(s.t)
}

// waitTicks waits until the membership's schedule started n ticks and every one ended.
func (s *stack) waitTicks(scheduleID string, n int) {
	s.t.Helper()
	h := s.app.Temporal.ScheduleClient().GetHandle(s.ctx, scheduleID)
	var ids []string
	require.Eventually(s.t, func() bool {
		d, err := h.Describe(s.ctx)
		require.NoError(s.t, err)
		ids = ids[:0]
		for _, a := range d.Info.RecentActions {
			ids = append(ids, a.StartWorkflowResult.WorkflowID)
		}
		return len(ids) >= n
	}, 20*time.Second, 100*time.Millisecond)
	for _, id := range ids {
		ctx, cancel := context.WithTimeout(s.ctx, 30*time.Second)
		var res workflows.MembershipChargeResult
		require.NoError(s.t, s.app.Temporal.GetWorkflow(ctx, id, "").Get(ctx, &res), id)
		cancel()
	}
}

func (s *stack) membership(id string) map[string]any {
	s.t.Helper()
	res := s.call("GET", "/v1/memberships/"+id, appKey, nil, nil)
	require.Equal(s.t, 200, res.Status, "%s", res.Body)
	return res.json(s.t)
}

// The schedule charges the first period at once; fired twice more in the same
// period it charges nothing more: one authorization at the sandbox. Pause,
// resume and cancel act on the schedule; a cancel deletes it.
func TestMembershipChargedOncePerPeriodEvenIfTheScheduleFiresTwice(t *testing.T) {
	s := newStack(t)
	customerID, methodID := s.customerWithCard("4111111111111111")
	mem := s.subscribe(customerID, methodID)
	id, scheduleID := mem["id"].(string), mem["temporal_schedule_id"].(string)
	require.Equal(t, workflows.MembershipScheduleID(id), scheduleID)
	require.Equal(t, "gold", mem["tier"])

	h := s.app.Temporal.ScheduleClient().GetHandle(s.ctx, scheduleID)
	s.waitTicks(scheduleID, 1)
	for range 2 {
		// A tick's id ends with its start time to the second: a second apart, two ticks.
		time.Sleep(1100 * time.Millisecond)
		require.NoError(t, h.Trigger(s.ctx, client.ScheduleTriggerOptions{}))
	}
	s.waitTicks(scheduleID, 3)

	auths, err := s.sim.Records(s.ctx, providersim.RecordFilter{Kind: "authorize"})
	require.NoError(t, err)
	require.Len(t, auths, 1, "one charge at the PG for the period")
	require.EqualValues(t, 9900, auths[0].Amount)
	mem = s.membership(id)
	charges := mem["charges"].([]any)
	require.Len(t, charges, 1)
	charge := charges[0].(map[string]any)
	require.Equal(t, "succeeded", charge["status"])
	require.EqualValues(t, 1, charge["attempts"])
	require.NotNil(t, mem["paid_until"])
	pay := s.call("GET", "/v1/payments/"+charge["payment_id"].(string), appKey, nil, nil)
	require.Equal(t, 200, pay.Status, "%s", pay.Body)
	require.Equal(t, "succeeded", pay.json(t)["status"])
	require.Equal(t, 1, s.rows(`SELECT count(*) FROM payments WHERE order_id LIKE $1`, "membership:"+id+":%"))

	paused := s.call("POST", "/v1/memberships/"+id+"/pause", appKey, nil, nil)
	require.Equal(t, 200, paused.Status, "%s", paused.Body)
	require.Equal(t, "paused", paused.json(t)["status"])
	d, err := h.Describe(s.ctx)
	require.NoError(t, err)
	require.True(t, d.Schedule.State.Paused, "pause pauses the schedule")
	resumed := s.call("POST", "/v1/memberships/"+id+"/resume", appKey, nil, nil)
	require.Equal(t, 200, resumed.Status, "%s", resumed.Body)
	d, err = h.Describe(s.ctx)
	require.NoError(t, err)
	require.False(t, d.Schedule.State.Paused)

	canceled := s.call("POST", "/v1/memberships/"+id+"/cancel", appKey, nil, nil)
	require.Equal(t, 200, canceled.Status, "%s", canceled.Body)
	body := canceled.json(t)
	require.Equal(t, "canceled", body["status"])
	require.Equal(t, mem["paid_until"], body["ends_at"], "no proration: benefits to the end of the paid period")
	_, err = h.Describe(s.ctx)
	var notFound *serviceerror.NotFound
	require.True(t, errors.As(err, &notFound), "cancel deletes the schedule: %v", err)
	require.Equal(t, 409, s.call("POST", "/v1/memberships/"+id+"/cancel", appKey, nil, nil).Status)
	s.requireVerified()
	s.requireLedgerBalanced()
}

// A declined first charge leaves the membership past_due with
// membership.charge_failed, and the period waits for its first dunning day.
func TestMembershipDeclinedChargeIsDunned(t *testing.T) {
	s := newStack(t)
	customerID, methodID := s.customerWithCard("4000000000000002")
	mem := s.subscribe(customerID, methodID)
	id := mem["id"].(string)
	require.Eventually(t, func() bool {
		m := s.membership(id)
		charges := m["charges"].([]any)
		return m["status"] == "past_due" && len(charges) == 1 && charges[0].(map[string]any)["attempts"] == float64(1)
	}, 20*time.Second, 100*time.Millisecond)
	require.Equal(t, 1, s.rows(`SELECT count(*) FROM events WHERE type = 'membership.charge_failed' AND subject_id = $1`, id))
	charge := s.membership(id)["charges"].([]any)[0].(map[string]any)
	require.Equal(t, "processing", charge["status"])
	require.Equal(t, "card_declined", charge["failure_code"])

	// Canceled while it waits: the retry on day 1 will find it canceled (workflow tests).
	require.Equal(t, 200, s.call("POST", "/v1/memberships/"+id+"/cancel", appKey, nil, nil).Status)
	period := s.firstPeriod(id)
	_ = s.app.Temporal.TerminateWorkflow(context.Background(), workflows.MembershipChargeID(id, period), "", "test over")
	s.requireLedgerBalanced()
}

func (s *stack) firstPeriod(membershipID string) string {
	s.t.Helper()
	var p string
	require.NoError(s.t, s.pool.QueryRow(s.ctx, `SELECT period FROM membership_charges WHERE membership_id = $1`, membershipID).Scan(&p))
	return p
}
