package activities

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/paysaga/paysaga/db"
	"github.com/paysaga/paysaga/pii"
	"github.com/paysaga/paysaga/risk"
)

// Risk evaluates a payment against the blocklists, card-testing detection and
// ops' velocity rules before any money moves (see package risk).
type Risk struct {
	Pool        *pgxpool.Pool
	Keys        *pii.Keys // opens bank account numbers to hash them for the blocklist
	CardTesting risk.CardTesting
}

// EvaluateRiskInput is the payment as the rules see it. It carries no PIN and
// no card data: the fingerprint is derived here from the stored method.
type EvaluateRiskInput struct {
	PaymentID  string
	CustomerID string
	MethodID   string
	DeviceID   string
	IP         string
	Currency   string
	Amount     int64
	// NoTimeline: not a payment (a top-up), so no payment timeline step.
	NoTimeline bool
}

// RiskDecision is allow or block, with the rule that fired.
type RiskDecision struct {
	Decision    string
	Rule        string
	Fingerprint string
}

// ErrRiskBlocked is the type of the non-retryable error a blocked payment fails with.
const ErrRiskBlocked = "RiskBlocked"

// EvaluateRisk decides and records the payment's risk outcome and puts it on
// the payment's timeline (step risk_evaluated), all in one transaction.
// Idempotent: a retry returns the outcome recorded the first time.
func (r *Risk) EvaluateRisk(ctx context.Context, in EvaluateRiskInput) (RiskDecision, error) {
	var out RiskDecision
	err := pgx.BeginFunc(ctx, r.Pool, func(tx pgx.Tx) error {
		var err error
		out, err = r.evaluate(ctx, tx, in)
		return err
	})
	if err != nil {
		return RiskDecision{}, fmt.Errorf("evaluate risk of %s: %w", in.PaymentID, err)
	}
	return out, nil
}

// evaluate is EvaluateRisk's decision and writes, in the caller's transaction.
func (r *Risk) evaluate(ctx context.Context, tx pgx.Tx, in EvaluateRiskInput) (RiskDecision, error) {
	q := db.New(tx)
	s, err := risk.Describe(ctx, q, r.Keys, in.MethodID, risk.Subject{
		PaymentID: in.PaymentID, CustomerID: in.CustomerID, DeviceID: in.DeviceID, IP: in.IP,
		Currency: in.Currency, Amount: in.Amount,
	})
	if err != nil {
		return RiskDecision{}, err
	}
	o, err := risk.Evaluate(ctx, tx, s, r.CardTesting, func(q *db.Queries, e db.RiskBlocklist) error {
		return emitEvent(ctx, q, EventRiskCardTesting, "risk:card_testing:"+in.PaymentID, in.CustomerID, map[string]any{
			"customer_id": in.CustomerID, "payment_id": in.PaymentID, "blocklist_entry_id": e.ID,
			"reason": e.Reason, "blocked_until": e.ExpiresAt.Time.UTC().Format(time.RFC3339),
		})
	})
	if err != nil {
		return RiskDecision{}, err
	}
	out := RiskDecision{Decision: o.Decision, Rule: o.Rule, Fingerprint: s.Fingerprint}
	if in.NoTimeline {
		return out, nil
	}
	detail := map[string]string{"decision": o.Decision}
	if o.Rule != "" {
		detail["rule"] = o.Rule
	}
	if s.Fingerprint != "" {
		detail["fingerprint"] = s.Fingerprint
	}
	return out, recordEvent(ctx, q, in.PaymentID, "risk_evaluated", detail)
}

// RiskBlockedError is how a workflow fails a blocked payment: code risk_blocked.
func RiskBlockedError(d RiskDecision) error {
	return nonRetryable(ErrRiskBlocked, Failure{Code: "risk_blocked", Message: "the payment was refused by risk rule " + d.Rule}, nil)
}
