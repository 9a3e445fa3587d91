package ledger_test

import (
	"context"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/paysaga/paysaga/db"
	"github.com/paysaga/paysaga/ledger"
	"github.com/paysaga/paysaga/testenv"
)

func post(t *testing.T, ctx context.Context, pool *pgxpool.Pool, j ledger.Journal) (bool, error) {
	t.Helper()
	var posted bool
	err := pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		var err error
		posted, err = ledger.Post(ctx, db.New(tx), j)
		return err
	})
	return posted, err
}

func TestPostIsIdempotentByKey(t *testing.T) {
	ctx := context.Background()
	pool := testenv.Pool(t)
	j := ledger.CaptureJournal("pay_1", "alpha", "KRW", []ledger.Item{{ProducerID: "A", Amount: 15_000, Fee: 450}})

	posted, err := post(t, ctx, pool, j)
	require.NoError(t, err)
	require.True(t, posted)
	posted, err = post(t, ctx, pool, j)
	require.NoError(t, err)
	require.False(t, posted, "a retry must not post twice")

	q := db.New(pool)
	for acct, want := range map[string]int64{"pg:alpha:receivable": 15_000, "producer:A:payable": -14_550, "revenue:fees": -450} {
		got, err := q.AccountBalance(ctx, db.AccountBalanceParams{Account: acct, Currency: "KRW"})
		require.NoError(t, err)
		require.Equal(t, want, got, acct)
	}
	var n int
	require.NoError(t, pool.QueryRow(ctx, `SELECT count(*) FROM journal_transactions`).Scan(&n))
	require.Equal(t, 1, n)
}

func TestPostRefusesAReusedKeyWithOtherPostings(t *testing.T) {
	ctx := context.Background()
	pool := testenv.Pool(t)
	j := ledger.CaptureJournal("pay_1", "alpha", "KRW", []ledger.Item{{ProducerID: "A", Amount: 15_000, Fee: 450}})
	_, err := post(t, ctx, pool, j)
	require.NoError(t, err)
	other := ledger.CaptureJournal("pay_1", "alpha", "KRW", []ledger.Item{{ProducerID: "A", Amount: 16_000, Fee: 480}})
	_, err = post(t, ctx, pool, other)
	require.ErrorContains(t, err, "already posted with other postings")
}

// The database holds the ledger's rules even for code that bypasses package ledger.
func TestDatabaseEnforcesLedgerRules(t *testing.T) {
	ctx := context.Background()
	pool := testenv.Pool(t)
	insert := func(postings ...int64) error {
		return pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
			var id int64
			if err := tx.QueryRow(ctx, `INSERT INTO journal_transactions (idempotency_key, kind) VALUES ($1, 'test') RETURNING id`,
				t.Name()+string(rune('a'+len(postings)))).Scan(&id); err != nil {
				return err
			}
			for i, amt := range postings {
				if _, err := tx.Exec(ctx, `INSERT INTO journal_postings (transaction_id, account, currency, amount) VALUES ($1, $2, 'KRW', $3)`,
					id, "test:acct"+string(rune('0'+i)), amt); err != nil {
					return err
				}
			}
			return nil
		})
	}
	require.ErrorContains(t, insert(100, -99), "does not sum to zero")
	require.ErrorContains(t, insert(100), "at least 2 required")
	require.ErrorContains(t, insert(), "has no postings")
	require.NoError(t, insert(100, -60, -40))

	_, err := pool.Exec(ctx, `UPDATE journal_postings SET amount = amount + 1`)
	require.ErrorContains(t, err, "append-only")
	_, err = pool.Exec(ctx, `DELETE FROM journal_transactions`)
	require.ErrorContains(t, err, "append-only")

	var unbalanced int64
	unbalanced, err = db.New(pool).UnbalancedTransactionCount(ctx)
	require.NoError(t, err)
	require.Zero(t, unbalanced)
}
