package verify_test

import (
	"context"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/rs/zerolog"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"

	"github.com/paysaga/paysaga/adapters/bank"
	"github.com/paysaga/paysaga/adapters/pg"
	"github.com/paysaga/paysaga/db"
	"github.com/paysaga/paysaga/ledger"
	"github.com/paysaga/paysaga/providersim"
	"github.com/paysaga/paysaga/testenv"
	"github.com/paysaga/paysaga/verify"
)

// world is a consistent little history: one card payment captured, one
// top-up, one split payment with the wallet, one payout. Each test then plants
// one breach in it and expects verify to report exactly that invariant.
type world struct {
	t     *testing.T
	ctx   context.Context
	pool  *pgxpool.Pool
	admin *providersim.AdminClient
	alpha pg.Client
	bank  bank.Client
	bk    string
	sim   string // the sandbox's URL
}

const account = "110123456789"

func newWorld(t *testing.T) *world {
	t.Helper()
	ctx := t.Context()
	srv := httptest.NewServer(providersim.New(providersim.Options{PGs: []string{"alpha", "beta"}, Seed: 1, Logger: zerolog.Nop()}).Handler())
	t.Cleanup(srv.Close)
	w := &world{t: t, ctx: ctx, pool: testenv.Pool(t), admin: providersim.NewAdminClient(srv.URL, nil), sim: srv.URL,
		alpha: pg.NewHTTPClient("alpha", srv.URL+"/pg/alpha", nil), bank: bank.NewHTTPClient(srv.URL+"/bank", nil)}
	authKey, err := w.admin.Tokenize(ctx, providersim.Card{Number: "4111111111111111", ExpiryMonth: "12", ExpiryYear: "2030", CVC: "123"})
	require.NoError(t, err)
	bk, err := w.alpha.IssueBillingKey(ctx, pg.IssueBillingKeyRequest{CustomerKey: "c1", AuthKey: authKey})
	require.NoError(t, err)
	w.bk = bk.BillingKey
	require.NoError(t, w.admin.SetBankAccount(ctx, providersim.BankAccount{BankCode: "088", AccountNumber: account, HolderName: "홍길동", Balance: 10_000_000}))
	w.exec(`INSERT INTO customers (id, external_id, name) VALUES ('c1', 'x1', 'n')`)
	w.exec(`INSERT INTO payment_methods (id, customer_id, kind) VALUES ('m1', 'c1', 'card')`)
	return w
}

func (w *world) exec(sql string, args ...any) {
	w.t.Helper()
	_, err := w.pool.Exec(w.ctx, sql, args...)
	require.NoError(w.t, err, sql)
}

func (w *world) post(j ledger.Journal) {
	w.t.Helper()
	require.NoError(w.t, pgx.BeginFunc(w.ctx, w.pool, func(tx pgx.Tx) error {
		_, err := ledger.Post(w.ctx, db.New(tx), j)
		return err
	}))
}

// authorize authorizes amount for order at alpha under key and returns the payment key.
func (w *world) authorize(order, key string, amount int64) string {
	w.t.Helper()
	p, err := w.alpha.Authorize(w.ctx, pg.AuthorizeRequest{IdempotencyKey: key, BillingKey: w.bk, OrderID: order, Amount: amount, Currency: "KRW"})
	require.NoError(w.t, err)
	return p.PaymentKey
}

func (w *world) capture(paymentKey, key string, amount int64) {
	w.t.Helper()
	_, err := w.alpha.Capture(w.ctx, pg.CaptureRequest{IdempotencyKey: key, PaymentKey: paymentKey, Amount: amount})
	require.NoError(w.t, err)
}

// pay records a card payment of amount (wallet part walletAmount) captured at alpha.
func (w *world) pay(id string, amount, walletAmount int64) {
	w.t.Helper()
	card := amount - walletAmount
	pk := w.authorize("order-"+id, "payment:"+id+":authorize", card)
	w.capture(pk, "payment:"+id+":capture", card)
	w.exec(`INSERT INTO payments (id, order_id, customer_id, method_id, currency, amount, wallet_amount, status, pg, pg_payment_key, captured_amount, workflow_id)
		VALUES ($1, $2, 'c1', 'm1', 'KRW', $3, $4, 'succeeded', 'alpha', $5, $3, 'checkout-'||$2)`, id, "order-"+id, amount, walletAmount, pk)
	w.exec(`INSERT INTO payment_items (payment_id, producer_id, amount, fee) VALUES ($1, 'farm-a', $2, $3)`, id, amount, amount*3/100)
	j := ledger.CaptureJournal(id, "alpha", "KRW", []ledger.Item{{ProducerID: "farm-a", Amount: amount, Fee: amount * 3 / 100}})
	if walletAmount > 0 {
		w.exec(`INSERT INTO wallet_holds (payment_id, customer_id, currency, amount, status) VALUES ($1, 'c1', 'KRW', $2, 'captured')`, id, walletAmount)
		j = ledger.FundWithWallet(j, ledger.PGReceivable("alpha"), "c1", walletAmount)
	}
	w.post(j)
}

func (w *world) topUp(id string, amount int64) {
	w.t.Helper()
	_, err := w.bank.Debit(w.ctx, bank.MoveRequest{IdempotencyKey: "topup:" + id + ":debit", BankCode: "088", AccountNumber: account, HolderName: "홍길동", Amount: amount, Currency: "KRW"})
	require.NoError(w.t, err)
	w.exec(`INSERT INTO wallet_topups (id, customer_id, method_id, currency, amount, status, workflow_id) VALUES ($1, 'c1', 'm1', 'KRW', $2, 'succeeded', 'topup-'||$1)`, id, amount)
	w.post(ledger.TopUpJournal(id, "c1", "KRW", amount))
}

func (w *world) payout(producer, period string, amount int64, key string) {
	w.t.Helper()
	_, err := w.bank.Transfer(w.ctx, bank.MoveRequest{IdempotencyKey: key, BankCode: "088", AccountNumber: account, HolderName: "홍길동", Amount: amount, Currency: "KRW"})
	require.NoError(w.t, err)
}

// consistent builds the history every test starts from.
func (w *world) consistent() {
	w.pay("pay1", 15_000, 0)
	w.topUp("top1", 50_000)
	w.pay("pay2", 20_000, 5_000)
	// A payout to a registered producer of part of its payable.
	w.exec(`INSERT INTO producers (id, name, bank_code, account_sealed, account_last4, holder_name, fee_bps, settlement_days)
		VALUES ('farm-a', 'Farm A', '088', '\x00', '6789', '홍길동', 300, 0)`)
	w.exec(`INSERT INTO payout_runs (id, period, cutoff, currency, status) VALUES ('run1', '2026-11-01', now(), 'KRW', 'completed')`)
	w.exec(`INSERT INTO payouts (id, producer_id, period, run_id, currency, amount, status) VALUES ('po1', 'farm-a', '2026-11-01', 'run1', 'KRW', 10000, 'paid')`)
	w.payout("farm-a", "2026-11-01", 10_000, ledger.PayoutKey("farm-a", "2026-11-01"))
	w.post(ledger.PayoutJournal("farm-a", "2026-11-01", "KRW", 10_000))
	// Points earned on pay1 (1% of its card part), partly expired already.
	w.earnPoints("pay1", 150)
	w.exec(`UPDATE points_buckets SET remaining = 100 WHERE payment_id = 'pay1'`)
	w.post(ledger.Journal{Key: "points:bucket:x:expire", Kind: ledger.KindPointsExpire, Postings: []ledger.Posting{
		{Account: ledger.Points("c1"), Currency: "KRW", Amount: 50}, {Account: ledger.PointsExpired, Currency: "KRW", Amount: -50}}})
	w.membershipAndRefund()
}

// reversal records refund id of pay1 (status) as having taken back taken
// points of pay1's earning and forgiven more; "succeeded" keeps 40 won back
// as a shortfall.
func (w *world) reversal(id, status string, taken, forgiven int64) {
	w.t.Helper()
	w.exec(`INSERT INTO refunds (id, payment_id, amount, kind, refunded_before, status) VALUES ($1, 'pay1', 1000, 'partial', 0, $2)`, id, status)
	var shortfall int64
	if status == "succeeded" {
		shortfall = 40
	}
	w.exec(`INSERT INTO points_reversals (refund_id, source_key, payment_id, customer_id, currency, points, taken, from_expired, shortfall, forgiven)
		VALUES ($1, $2, 'pay1', 'c1', 'KRW', $3, $4, 0, $5, $6)`, id, ledger.PointsEarnKey("pay1"), taken+shortfall+forgiven, taken, shortfall, forgiven)
}

// earnPoints books points as EarnPoints does: the journal and its bucket.
func (w *world) earnPoints(paymentID string, points int64) {
	w.t.Helper()
	key := ledger.PointsEarnKey(paymentID)
	w.post(ledger.EarnPointsJournal(key, paymentID, "c1", "KRW", points))
	w.exec(`INSERT INTO points_buckets (customer_id, currency, source_key, payment_id, amount, remaining, earned_at, expires_at)
		VALUES ('c1', 'KRW', $1, $2, $3, $3, now(), now() + interval '5 years')`, key, paymentID, points)
}

func (w *world) run() verify.Report {
	w.t.Helper()
	rep, err := verify.Run(w.ctx, verify.Sources{Pool: w.pool, Sim: w.admin})
	require.NoError(w.t, err)
	return rep
}

func TestConsistentHistoryPasses(t *testing.T) {
	w := newWorld(t)
	w.consistent()
	rep := w.run()
	require.True(t, rep.OK(), "%s", rep)
	require.Equal(t, 3, rep.Get(verify.CapturedOnce).Checked) // pay1, pay2 and the membership's
	require.Equal(t, 1, rep.Get(verify.MembershipOncePerPeriod).Checked)
	require.Equal(t, 1, rep.Get(verify.WalletRefundsOnce).Checked)
	require.Equal(t, 1, rep.Get(verify.PayoutOncePerPeriod).Checked)
	require.Equal(t, 1, rep.Get(verify.WalletsReconcile).Checked)
	require.Equal(t, 1, rep.Get(verify.PointsReconcile).Checked)
	require.Contains(t, rep.String(), "payment_captured_once")
}

func TestPlantedBreachesAreReported(t *testing.T) {
	for _, tc := range []struct {
		name  string
		plant func(w *world)
		want  []string // breached invariants
	}{{
		name: "a second capture under an attempt-numbered key",
		plant: func(w *world) {
			// The provider key carried the attempt number: the retry authorized and captured again.
			pk := w.authorize("order-pay1", "payment:pay1:authorize:2", 15_000)
			w.capture(pk, "payment:pay1:capture:2", 15_000)
		},
		want: []string{verify.CapturedOnce, verify.PGMatchesLedger},
	}, {
		name: "a second authorization left open",
		plant: func(w *world) {
			w.authorize("order-pay1", "payment:pay1:authorize:2", 15_000)
		},
		want: []string{verify.AuthorizationsShut},
	}, {
		name: "a failed payment left captured",
		plant: func(w *world) {
			pk := w.authorize("order-pay3", "payment:pay3:authorize", 7_000)
			w.capture(pk, "payment:pay3:capture", 7_000)
			w.exec(`INSERT INTO payments (id, order_id, customer_id, method_id, currency, amount, status, workflow_id)
				VALUES ('pay3', 'order-pay3', 'c1', 'm1', 'KRW', 7000, 'failed', 'checkout-order-pay3')`)
		},
		want: []string{verify.CapturedOnce, verify.PGMatchesLedger},
	}, {
		name: "a failed bank-account payment left debited at the bank",
		plant: func(w *world) {
			_, err := w.bank.Debit(w.ctx, bank.MoveRequest{IdempotencyKey: "payment:pay4:authorize", BankCode: "088", AccountNumber: account,
				HolderName: "홍길동", Amount: 8_000, Currency: "KRW"})
			require.NoError(w.t, err)
			w.exec(`INSERT INTO payments (id, order_id, customer_id, method_id, currency, amount, status, workflow_id)
				VALUES ('pay4', 'order-pay4', 'c1', 'm1', 'KRW', 8000, 'failed', 'checkout-order-pay4')`)
		},
		want: []string{verify.CapturedOnce, verify.PGMatchesLedger},
	}, {
		name: "a bank-account payment debited twice",
		plant: func(w *world) {
			// The retry's key carried the attempt number: the account was debited again.
			first := ""
			for _, key := range []string{"payment:pay5:authorize", "payment:pay5:authorize:2"} {
				txn, err := w.bank.Debit(w.ctx, bank.MoveRequest{IdempotencyKey: key, BankCode: "088", AccountNumber: account,
					HolderName: "홍길동", Amount: 6_000, Currency: "KRW"})
				require.NoError(w.t, err)
				if first == "" {
					first = txn.ID
				}
			}
			w.exec(`INSERT INTO payments (id, order_id, customer_id, method_id, currency, amount, status, pg, pg_payment_key, captured_amount, workflow_id)
				VALUES ('pay5', 'order-pay5', 'c1', 'm1', 'KRW', 6000, 'succeeded', 'bank', $1, 6000, 'checkout-order-pay5')`, first)
			w.exec(`INSERT INTO payment_items (payment_id, producer_id, amount, fee) VALUES ('pay5', 'farm-a', 6000, 180)`)
			w.post(ledger.CaptureJournal("pay5", "bank", "KRW", []ledger.Item{{ProducerID: "farm-a", Amount: 6000, Fee: 180}}))
		},
		want: []string{verify.CapturedOnce, verify.PGMatchesLedger},
	}, {
		name: "a top-up left processing with nothing to finish it",
		plant: func(w *world) {
			w.exec(`INSERT INTO wallet_topups (id, customer_id, method_id, currency, amount, status, workflow_id, created_at)
				VALUES ('top9', 'c1', 'm1', 'KRW', 1000, 'processing', 'topup-top9', now() - interval '1 hour')`)
		},
		want: []string{verify.RecordsSettled},
	}, {
		name: "a journal that does not sum to zero",
		plant: func(w *world) {
			// Only a bypassed database check can do this: triggers off for this session.
			require.NoError(w.t, pgx.BeginFunc(w.ctx, w.pool, func(tx pgx.Tx) error {
				if _, err := tx.Exec(w.ctx, `SET LOCAL session_replication_role = replica`); err != nil {
					return err
				}
				_, err := tx.Exec(w.ctx, `WITH t AS (INSERT INTO journal_transactions (idempotency_key, kind) VALUES ('bad:1', 'test') RETURNING id)
					INSERT INTO journal_postings (transaction_id, account, currency, amount) SELECT id, 'revenue:fees', 'KRW', 5 FROM t`)
				return err
			}))
		},
		want: []string{verify.JournalsBalanced},
	}, {
		name: "a wallet spent below zero",
		plant: func(w *world) {
			w.exec(`INSERT INTO wallet_holds (payment_id, customer_id, currency, amount, status)
				SELECT 'pay1', 'c1', 'KRW', 100000, 'captured'`)
			w.post(ledger.Journal{Key: "spend:too-much", Kind: "test", Postings: []ledger.Posting{
				{Account: ledger.Wallet("c1"), Currency: "KRW", Amount: 100_000}, {Account: ledger.RevenueFees, Currency: "KRW", Amount: -100_000}}})
		},
		want: []string{verify.WalletsNotNegative},
	}, {
		name: "points spent below zero",
		plant: func(w *world) {
			w.post(ledger.Journal{Key: "points:overspent", Kind: "points_spend", Postings: []ledger.Posting{
				{Account: ledger.Points("c1"), Currency: "KRW", Amount: 500}, {Account: ledger.PGReceivable("alpha"), Currency: "KRW", Amount: -500}}})
			w.exec(`UPDATE points_buckets SET remaining = 0`)
		},
		want: []string{verify.PointsNotNegative, verify.PointsReconcile, verify.PGMatchesLedger},
	}, {
		name: "a points bucket refilled without a journal",
		plant: func(w *world) {
			w.exec(`UPDATE points_buckets SET remaining = amount`)
		},
		want: []string{verify.PointsReconcile},
	}, {
		name: "points credited by a journal of another kind",
		plant: func(w *world) {
			w.post(ledger.Journal{Key: "points:gift", Kind: "test", Postings: []ledger.Posting{
				{Account: ledger.RevenueFees, Currency: "KRW", Amount: 10}, {Account: ledger.Points("c1"), Currency: "KRW", Amount: -10}}})
		},
		want: []string{verify.PointsReconcile},
	}, {
		name: "points taken back by a refund without their journal",
		plant: func(w *world) {
			w.reversal("rf9", "processing", 30, 0)
		},
		want: []string{verify.PointsReversals, verify.RecordsSettled}, // the planted refund is in flight
	}, {
		name: "a refund reversing more points than were earned",
		plant: func(w *world) {
			w.reversal("rf9", "processing", 0, 200)
		},
		want: []string{verify.PointsReversals, verify.RecordsSettled}, // the planted refund is in flight
	}, {
		name: "a failed refund keeping the points it took back",
		plant: func(w *world) {
			w.reversal("rf9", "failed", 30, 0)
			w.exec(`UPDATE points_buckets SET remaining = remaining - 30 WHERE payment_id = 'pay1'`)
			w.post(ledger.ReversePointsJournal("rf9", "pay1", "c1", "KRW", 30, 0))
		},
		want: []string{verify.PointsReversals},
	}, {
		name: "a refund's points shortfall kept back but never booked",
		plant: func(w *world) {
			w.reversal("rf9", "succeeded", 0, 0)
		},
		// The planted refund row has no booking at all, so the producer's books disagree too.
		want: []string{verify.PointsReversals, verify.SettlementReconciles},
	}, {
		name: "a top-up credited without its record",
		plant: func(w *world) {
			w.post(ledger.TopUpJournal("ghost", "c1", "KRW", 1_000))
			// The bank debited it, so only the wallet's own books disagree.
			_, err := w.bank.Debit(w.ctx, bank.MoveRequest{IdempotencyKey: "topup:ghost:debit", BankCode: "088", AccountNumber: account, HolderName: "홍길동", Amount: 1_000, Currency: "KRW"})
			require.NoError(w.t, err)
		},
		want: []string{verify.WalletsReconcile},
	}, {
		name: "a top-up debited twice at the bank",
		plant: func(w *world) {
			_, err := w.bank.Debit(w.ctx, bank.MoveRequest{IdempotencyKey: "topup:top1:debit:2", BankCode: "088", AccountNumber: account, HolderName: "홍길동", Amount: 50_000, Currency: "KRW"})
			require.NoError(w.t, err)
		},
		want: []string{verify.BankDebitsMatch},
	}, {
		name: "a producer paid twice for a period",
		plant: func(w *world) {
			w.payout("farm-a", "2026-11-01", 10_000, ledger.PayoutKey("farm-a", "2026-11-01")+":2")
		},
		want: []string{verify.PayoutOncePerPeriod, verify.BankTransfersMatch},
	}, {
		name: "a membership period charged twice",
		plant: func(w *world) {
			w.membershipPayment("mem1", "202612", 2)
		},
		want: []string{verify.MembershipOncePerPeriod},
	}, {
		name: "a paused membership charged for its period",
		plant: func(w *world) {
			w.exec(`INSERT INTO membership_charges (membership_id, period, currency, amount, status, workflow_id)
				VALUES ('mem1', '202701', 'KRW', 9900, 'skipped', 'membership:mem1:202701')`)
			w.membershipPayment("mem1", "202701", 1)
		},
		want: []string{verify.MembershipOncePerPeriod},
	}, {
		name: "a wallet refund transferred twice",
		plant: func(w *world) {
			w.payout("c1", "", 29_500, "wallet-refund:wr1:transfer:2")
		},
		want: []string{verify.WalletRefundsOnce, verify.BankDebitsMatch},
	}, {
		name: "a confirmation that skipped the commission's VAT",
		plant: func(w *world) {
			// Balanced, but the producer is owed 45 more than sales - commission - VAT.
			w.post(ledger.Journal{Key: "payment:pay1:confirm:farm-a:bad", Kind: "sale_confirmation", Postings: []ledger.Posting{
				{Account: ledger.VATPayable, Currency: "KRW", Amount: 45},
				{Account: ledger.ProducerPayable("farm-a"), Currency: "KRW", Amount: -45},
			}})
		},
		want: []string{verify.SettlementReconciles, verify.CommissionVATBooked},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorld(t)
			w.consistent()
			tc.plant(w)
			rep := w.run()
			for _, res := range rep.Results {
				want := false
				for _, n := range tc.want {
					want = want || n == res.Name
				}
				if want {
					require.NotEmpty(t, res.Breaches, "%s should be breached:\n%s", res.Name, rep)
				} else {
					require.Empty(t, res.Breaches, "%s should hold:\n%s", res.Name, rep)
				}
			}
			require.False(t, rep.OK())
		})
	}
}

func TestStuckWorkflowIsReported(t *testing.T) {
	w := newWorld(t)
	c, err := client.Dial(client.Options{HostPort: testenv.TemporalAddress(t), Logger: quiet{}})
	require.NoError(t, err)
	defer c.Close()
	queue := "verify-" + t.Name() + time.Now().Format("150405.000000")
	// Nothing polls this queue: the workflow stays running.
	run, err := c.ExecuteWorkflow(w.ctx, client.StartWorkflowOptions{ID: "stuck-" + queue, TaskQueue: queue}, "Nothing")
	require.NoError(t, err)
	defer func() { _ = c.TerminateWorkflow(context.Background(), run.GetID(), "", "test over") }()
	src := verify.Sources{Pool: w.pool, Sim: w.admin, Temporal: c, Namespace: "default", TaskQueue: queue}
	require.Eventually(t, func() bool {
		src.MinAge = 0
		src.Now = func() time.Time { return time.Now().Add(time.Minute) }
		rep, err := verify.Run(w.ctx, src)
		require.NoError(t, err)
		return len(rep.Get(verify.WorkflowsTerminal).Breaches) == 1
	}, 20*time.Second, 200*time.Millisecond, "visibility should list the running workflow")
	// Younger than MinAge it is not (yet) a breach.
	src.Now, src.MinAge = time.Now, time.Hour
	rep, err := verify.Run(w.ctx, src)
	require.NoError(t, err)
	require.True(t, rep.OK(), "%s", rep)
}

type quiet struct{}

func (quiet) Debug(string, ...any) {}
func (quiet) Info(string, ...any)  {}
func (quiet) Warn(string, ...any)  {}
func (quiet) Error(string, ...any) {}
