package activities

import (
	"context"
	"fmt"

	"github.com/paysaga/paysaga/db"
)

type RecordInstallmentInput struct {
	PaymentID string
	Months    int // 2..12
	// Plan names the interest-free plan (finance config) whose interest the
	// merchant pays; empty: the customer pays the issuer's interest.
	Plan string
}

// Interest payers of an installment plan, as stored.
const (
	InterestPayerCustomer = "customer"
	InterestPayerMerchant = "merchant"
)

// RecordInstallment stores the payment's installment plan before the card is
// charged, so finance can find every payment whose interest the merchant pays.
// Its own small write (not part of CreatePayment's transaction); idempotent.
func (s *Store) RecordInstallment(ctx context.Context, in RecordInstallmentInput) error {
	return recordInstallment(ctx, db.New(s.Pool), in)
}

// recordInstallment is RecordInstallment's write, on the caller's connection
// or transaction.
func recordInstallment(ctx context.Context, q *db.Queries, in RecordInstallmentInput) error {
	payer := InterestPayerCustomer
	if in.Plan != "" {
		payer = InterestPayerMerchant
	}
	err := q.RecordInstallment(ctx, db.RecordInstallmentParams{
		PaymentID: in.PaymentID, Months: int32(in.Months), InterestPayer: payer, Plan: text(in.Plan),
	})
	if err != nil {
		return fmt.Errorf("record installment of %s: %w", in.PaymentID, err)
	}
	return nil
}
