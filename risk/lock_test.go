package risk_test

import (
	"context"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/paysaga/paysaga/db"
	"github.com/paysaga/paysaga/risk"
	"github.com/paysaga/paysaga/testenv"
)

// evaluateWhileAnotherIsOpen evaluates customer B's payment while customer
// A's evaluation from the same IP is still inside its transaction, B with a
// lock timeout: it answers whether B had to wait for A.
func evaluateWhileAnotherIsOpen(t *testing.T, rules ...db.CreateRiskRuleParams) (waited bool) {
	t.Helper()
	ctx := context.Background()
	pool := testenv.Pool(t)
	for _, r := range rules {
		_, err := db.New(pool).CreateRiskRule(ctx, r)
		require.NoError(t, err)
	}
	a, err := pool.Begin(ctx)
	require.NoError(t, err)
	defer a.Rollback(ctx)
	_, err = risk.Evaluate(ctx, a, risk.Subject{PaymentID: "pay_a", CustomerID: "cus_a", IP: "198.51.100.7", Currency: "KRW", Amount: 1_000}, risk.CardTesting{}, nil)
	require.NoError(t, err)

	err = pgx.BeginFunc(ctx, pool, func(b pgx.Tx) error {
		if _, err := b.Exec(ctx, "SET LOCAL lock_timeout = '300ms'"); err != nil {
			return err
		}
		_, err := risk.Evaluate(ctx, b, risk.Subject{PaymentID: "pay_b", CustomerID: "cus_b", IP: "198.51.100.7", Currency: "KRW", Amount: 1_000}, risk.CardTesting{}, nil)
		return err
	})
	if err != nil {
		require.ErrorContains(t, err, "lock timeout")
		return true
	}
	return false
}

// Two customers behind one IP (the app's servers, a carrier's NAT) do not
// queue on each other while no rule counts by IP; an IP rule makes them
// (its counter must not be passed by both at once).
func TestEvaluationsShareTheIPLockOnlyForAnIPRule(t *testing.T) {
	require.False(t, evaluateWhileAnotherIsOpen(t), "no IP rule: no shared lock")
	require.True(t, evaluateWhileAnotherIsOpen(t, db.CreateRiskRuleParams{
		ID: "rr_ip", Name: "per IP", Kind: "count", Dimension: "ip", WindowSeconds: 3600, Threshold: 100, Action: risk.Block, CreatedBy: "test",
	}), "an IP rule serializes the evaluations it counts")
}
