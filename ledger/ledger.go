// Package ledger is paysaga's double-entry ledger: journals of signed postings
// (debit > 0, credit < 0) that sum to zero per currency, posted once per
// idempotency key. PostgreSQL enforces the same rules (see the migration); this
// package checks them first so a bad journal fails with a clear Go error.
package ledger

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/paysaga/paysaga/db"
)

// Account names. They are strings so a new kind of account needs no migration.
const RevenueFees = "revenue:fees"

func PGReceivable(pg string) string          { return "pg:" + pg + ":receivable" }
func ProducerPayable(producer string) string { return "producer:" + producer + ":payable" }
func Wallet(customer string) string          { return "wallet:" + customer }

// Posting is one line of a journal: Amount > 0 debits Account, < 0 credits it.
type Posting struct {
	Account  string
	Currency string
	Amount   int64
}

// Journal is one balanced transaction. Key makes posting it idempotent; derive it
// from business ids (payment:{id}:capture), never from attempt numbers.
type Journal struct {
	Key         string
	Kind        string
	PaymentID   string
	Description string
	Postings    []Posting
}

var ErrUnbalanced = errors.New("journal does not sum to zero")

// Validate checks the journal's shape: >= 2 non-zero postings summing to zero per
// currency, with no overflow along the way.
func (j Journal) Validate() error {
	if j.Key == "" || j.Kind == "" {
		return errors.New("journal needs a key and a kind")
	}
	if len(j.Postings) < 2 {
		return fmt.Errorf("journal %s: %d posting(s), at least 2 required", j.Key, len(j.Postings))
	}
	sums := map[string]int64{}
	for _, p := range j.Postings {
		if p.Amount == 0 {
			return fmt.Errorf("journal %s: zero posting to %s", j.Key, p.Account)
		}
		if p.Account == "" || len(p.Currency) != 3 {
			return fmt.Errorf("journal %s: posting needs an account and a currency", j.Key)
		}
		s, ok := add(sums[p.Currency], p.Amount)
		if !ok {
			return fmt.Errorf("journal %s: sum overflows in %s", j.Key, p.Currency)
		}
		sums[p.Currency] = s
	}
	for cur, s := range sums {
		if s != 0 {
			return fmt.Errorf("journal %s: %w in %s (off by %d)", j.Key, ErrUnbalanced, cur, s)
		}
	}
	return nil
}

// Post writes the journal with q, which must be bound to the caller's transaction
// so the posting commits (or not) together with the state change it records.
// It reports posted=false when the key was already posted with the same postings
// (an activity retry); the same key with other postings is an error.
func Post(ctx context.Context, q *db.Queries, j Journal) (posted bool, err error) {
	if err := j.Validate(); err != nil {
		return false, err
	}
	id, err := q.InsertJournalTransaction(ctx, db.InsertJournalTransactionParams{
		IdempotencyKey: j.Key,
		Kind:           j.Kind,
		PaymentID:      pgtype.Text{String: j.PaymentID, Valid: j.PaymentID != ""},
		Description:    j.Description,
	})
	if errors.Is(err, pgx.ErrNoRows) {
		return false, checkSamePosted(ctx, q, j)
	}
	if err != nil {
		return false, fmt.Errorf("post journal %s: %w", j.Key, err)
	}
	for _, p := range j.Postings {
		err := q.InsertJournalPosting(ctx, db.InsertJournalPostingParams{
			TransactionID: id, Account: p.Account, Currency: p.Currency, Amount: p.Amount,
		})
		if err != nil {
			return false, fmt.Errorf("post journal %s to %s: %w", j.Key, p.Account, err)
		}
	}
	return true, nil
}

// checkSamePosted guards idempotency keys against reuse for a different journal,
// which would otherwise silently drop money.
func checkSamePosted(ctx context.Context, q *db.Queries, j Journal) error {
	tx, err := q.GetJournalTransactionByKey(ctx, j.Key)
	if err != nil {
		return fmt.Errorf("read posted journal %s: %w", j.Key, err)
	}
	rows, err := q.ListPostingsByTransaction(ctx, tx.ID)
	if err != nil {
		return fmt.Errorf("read posted journal %s: %w", j.Key, err)
	}
	posted := make([]Posting, len(rows))
	for i, r := range rows {
		posted[i] = Posting{Account: r.Account, Currency: r.Currency, Amount: r.Amount}
	}
	if !samePostings(posted, j.Postings) {
		return fmt.Errorf("journal key %s was already posted with other postings", j.Key)
	}
	return nil
}

func samePostings(a, b []Posting) bool {
	key := func(p Posting) string { return fmt.Sprintf("%s|%s|%d", p.Account, p.Currency, p.Amount) }
	ka, kb := make([]string, len(a)), make([]string, len(b))
	for i := range a {
		ka[i] = key(a[i])
	}
	for i := range b {
		kb[i] = key(b[i])
	}
	slices.Sort(ka)
	slices.Sort(kb)
	return slices.Equal(ka, kb)
}

func add(a, b int64) (int64, bool) {
	if (b > 0 && a > math.MaxInt64-b) || (b < 0 && a < math.MinInt64-b) {
		return 0, false
	}
	return a + b, true
}
