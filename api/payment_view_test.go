package api

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/stretchr/testify/require"

	"github.com/paysaga/paysaga/db"
	"github.com/paysaga/paysaga/workflows"
)

// loadPaymentByParts is how the API read a payment before GetPaymentView
// (issue 19): six statements. The test keeps it as the reference the one
// statement must match field for field.
func (s *server) loadPaymentByParts(ctx context.Context, id string) (paymentResponse, error) {
	p, err := s.q.GetPayment(ctx, id)
	if err != nil {
		return paymentResponse{}, err
	}
	items, err := s.q.ListPaymentItems(ctx, id)
	if err != nil {
		return paymentResponse{}, err
	}
	refunds, err := s.q.ListRefunds(ctx, id)
	if err != nil {
		return paymentResponse{}, err
	}
	events, err := s.q.ListPaymentEvents(ctx, id)
	if err != nil {
		return paymentResponse{}, err
	}
	out := s.paymentOf(p, items, refunds, events)
	row, err := s.q.GetInstallment(ctx, id)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
	case err != nil:
		return paymentResponse{}, err
	default:
		out.Installment = &installmentResponse{Months: int(row.Months), InterestPayer: row.InterestPayer, Plan: nullable(row.Plan.String)}
	}
	out.PointsEarned, err = s.q.PointsEarnedByPayment(ctx, pgtype.Text{String: id, Valid: true})
	return out, err
}

func TestPaymentViewRendersWhatTheSeparateReadsRender(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	refunded, cus := f.seedPayment(workflows.StatusPartiallyRefunded)
	_, err := f.q.CreateRefund(ctx, db.CreateRefundParams{ID: "rf_" + unique("view"), PaymentID: refunded, Amount: 1000, Reason: "late", Kind: "partial"})
	require.NoError(t, err)
	_, err = f.pool.Exec(ctx, "UPDATE refunds SET status = 'failed', failure_code = 'pg_refused', failure_message = 'no' WHERE payment_id = $1 AND amount = 1000", refunded)
	require.NoError(t, err)
	require.NoError(t, f.q.RecordPaymentEvent(ctx, db.RecordPaymentEventParams{PaymentID: refunded, Step: "risk_evaluated",
		Detail: []byte(`{"decision": "allow", "fingerprint": "fp_\u00e9", "rule": "a\"b"}`)}))
	require.NoError(t, f.q.RecordInstallment(ctx, db.RecordInstallmentParams{PaymentID: refunded, Months: 3, InterestPayer: "merchant", Plan: text("promo")}))
	now := time.Now()
	_, err = f.q.InsertPointsBucket(ctx, db.InsertPointsBucketParams{CustomerID: cus, Currency: "KRW", SourceKey: "payment:" + refunded + ":points-earn",
		PaymentID: text(refunded), Amount: 150, EarnedAt: pgtype.Timestamptz{Time: now, Valid: true},
		ExpiresAt: pgtype.Timestamptz{Time: now.Add(time.Hour), Valid: true}})
	require.NoError(t, err)
	failed, _ := f.seedPayment(workflows.StatusFailed)
	processing, _ := f.seedPayment(workflows.StatusProcessing)

	for _, id := range []string{refunded, failed, processing} {
		want, err := f.s.loadPaymentByParts(ctx, id)
		require.NoError(t, err)
		got, err := f.s.loadPayment(ctx, id)
		require.NoError(t, err)
		// What the caller sees: the bodies, byte for byte.
		wantBody, err := json.Marshal(want)
		require.NoError(t, err)
		gotBody, err := json.Marshal(got)
		require.NoError(t, err)
		require.Equal(t, string(wantBody), string(gotBody), id)
	}
	got, err := f.s.loadPayment(ctx, refunded)
	require.NoError(t, err)
	require.Len(t, got.Refunds, 2)
	require.Len(t, got.Timeline, 3)
	require.NotNil(t, got.Installment)
	require.EqualValues(t, 150, got.PointsEarned)
}
