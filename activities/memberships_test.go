package activities_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/paysaga/paysaga/activities"
	"github.com/paysaga/paysaga/db"
	"github.com/paysaga/paysaga/testenv"
)

func newMembership(t *testing.T) (*activities.Memberships, *db.Queries) {
	t.Helper()
	ctx := context.Background()
	pool := testenv.Pool(t)
	q := db.New(pool)
	_, err := q.CreateCustomer(ctx, db.CreateCustomerParams{ID: "cus_m", ExternalID: "ext-m", Name: "김고객"})
	require.NoError(t, err)
	_, err = pool.Exec(ctx, `INSERT INTO payment_methods (id, customer_id, kind) VALUES ('pm_m', 'cus_m', 'card')`)
	require.NoError(t, err)
	_, err = q.CreateMembership(ctx, db.CreateMembershipParams{ID: "mem_1", CustomerID: "cus_m", PlanID: "plus", Tier: "gold", MethodID: "pm_m",
		Currency: "KRW", Price: 9900, AnchorDay: 1, ScheduleID: "membership:mem_1"})
	require.NoError(t, err)
	for _, id := range []string{"pay_x", "pay_2"} { // what the membership's checkouts wrote
		_, err = pool.Exec(ctx, `INSERT INTO payments (id, order_id, customer_id, method_id, currency, amount, status, workflow_id)
			VALUES ($1, 'o-'||$1, 'cus_m', 'pm_m', 'KRW', 9900, 'succeeded', 'checkout-o-'||$1)`, id)
		require.NoError(t, err)
	}
	return &activities.Memberships{Pool: pool}, q
}

func events(t *testing.T, m *activities.Memberships, typ string) int {
	t.Helper()
	var n int
	require.NoError(t, m.Pool.QueryRow(context.Background(), `SELECT count(*) FROM events WHERE type = $1`, typ).Scan(&n))
	return n
}

// A period is claimed once: a second firing finds it charged and charges nothing.
func TestMembershipPeriodIsClaimedOnce(t *testing.T) {
	ctx := context.Background()
	m, q := newMembership(t)
	in := activities.BeginMembershipChargeInput{MembershipID: "mem_1", Period: "202612", WorkflowID: "membership:mem_1:202612"}
	first, err := m.BeginMembershipCharge(ctx, in)
	require.NoError(t, err)
	require.Equal(t, activities.BeginMembershipChargeResult{Charge: true, CustomerID: "cus_m", MethodID: "pm_m", Currency: "KRW", Amount: 9900}, first)
	until := time.Date(2027, 1, 1, 1, 0, 0, 0, time.UTC)
	rec := activities.RecordMembershipAttemptInput{MembershipID: "mem_1", Period: "202612", Attempt: 1, PaymentID: "pay_x", Succeeded: true, PaidUntil: until}
	require.NoError(t, m.RecordMembershipAttempt(ctx, rec))
	require.NoError(t, m.RecordMembershipAttempt(ctx, rec)) // a retried activity

	again, err := m.BeginMembershipCharge(ctx, in)
	require.NoError(t, err)
	require.False(t, again.Charge)
	require.Equal(t, "already_succeeded", again.Reason)
	mem, err := q.GetMembership(ctx, "mem_1")
	require.NoError(t, err)
	require.Equal(t, activities.MembershipActive, mem.Status)
	require.True(t, mem.PaidUntil.Time.Equal(until))
	charges, err := q.ListMembershipCharges(ctx, "mem_1")
	require.NoError(t, err)
	require.Len(t, charges, 1)
	require.Equal(t, "succeeded", charges[0].Status)
	require.Equal(t, "pay_x", charges[0].PaymentID.String)
}

// Declined: past_due with membership.charge_failed; paid on a retry: active
// with membership.recovered; the last retry failing suspends it.
func TestMembershipDunningStatusesAndEvents(t *testing.T) {
	ctx := context.Background()
	m, q := newMembership(t)
	status := func() string {
		mem, err := q.GetMembership(ctx, "mem_1")
		require.NoError(t, err)
		return mem.Status
	}
	_, err := m.BeginMembershipCharge(ctx, activities.BeginMembershipChargeInput{MembershipID: "mem_1", Period: "202612", WorkflowID: "w"})
	require.NoError(t, err)
	require.NoError(t, m.RecordMembershipAttempt(ctx, activities.RecordMembershipAttemptInput{MembershipID: "mem_1", Period: "202612",
		Attempt: 1, PaymentID: "pay_1", FailureCode: "card_declined", NextAttemptAt: time.Now().Add(24 * time.Hour)}))
	require.Equal(t, activities.MembershipPastDue, status())
	require.Equal(t, 1, events(t, m, activities.EventMembershipChargeFailed))
	require.NoError(t, m.RecordMembershipAttempt(ctx, activities.RecordMembershipAttemptInput{MembershipID: "mem_1", Period: "202612",
		Attempt: 2, PaymentID: "pay_2", Succeeded: true, PaidUntil: time.Now()}))
	require.Equal(t, activities.MembershipActive, status())
	require.Equal(t, 1, events(t, m, activities.EventMembershipRecovered))

	_, err = m.BeginMembershipCharge(ctx, activities.BeginMembershipChargeInput{MembershipID: "mem_1", Period: "202701", WorkflowID: "w2"})
	require.NoError(t, err)
	for attempt := 1; attempt <= 4; attempt++ {
		require.NoError(t, m.RecordMembershipAttempt(ctx, activities.RecordMembershipAttemptInput{MembershipID: "mem_1", Period: "202701",
			Attempt: attempt, PaymentID: "pay", FailureCode: "card_declined", Final: attempt == 4}))
	}
	require.Equal(t, activities.MembershipSuspended, status())
	require.Equal(t, 1, events(t, m, activities.EventMembershipSuspended))
	require.Equal(t, 5, events(t, m, activities.EventMembershipChargeFailed))
	ch, err := q.GetMembershipCharge(ctx, db.GetMembershipChargeParams{MembershipID: "mem_1", Period: "202701"})
	require.NoError(t, err)
	require.Equal(t, "failed", ch.Status)
	require.EqualValues(t, 4, ch.Attempts)

	// Suspended (or paused, or canceled): the next period is recorded skipped, not charged.
	next, err := m.BeginMembershipCharge(ctx, activities.BeginMembershipChargeInput{MembershipID: "mem_1", Period: "202702", WorkflowID: "w3"})
	require.NoError(t, err)
	require.False(t, next.Charge)
	require.Equal(t, "membership_suspended", next.Reason)
}

// A cancel during dunning stops the retries and ends the period failed.
func TestMembershipCanceledIsNoLongerChargeable(t *testing.T) {
	ctx := context.Background()
	m, q := newMembership(t)
	_, err := m.BeginMembershipCharge(ctx, activities.BeginMembershipChargeInput{MembershipID: "mem_1", Period: "202612", WorkflowID: "w"})
	require.NoError(t, err)
	_, err = q.CancelMembership(ctx, "mem_1")
	require.NoError(t, err)
	still, err := m.StillChargeable(ctx, activities.MembershipRef{MembershipID: "mem_1", Period: "202612"})
	require.NoError(t, err)
	require.False(t, still.Chargeable)
	ch, err := q.GetMembershipCharge(ctx, db.GetMembershipChargeParams{MembershipID: "mem_1", Period: "202612"})
	require.NoError(t, err)
	require.Equal(t, "failed", ch.Status)
	require.Equal(t, "membership_canceled", ch.FailureCode.String)
}
