package activities

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"go.temporal.io/sdk/temporal"

	"github.com/paysaga/paysaga/pii"
)

// ErrWrongSealKey: this worker's active PII sealing key is not the one the
// re-sealing run moves rows to (a worker still on the old configuration). The
// attempt is retried, so a worker with the new keyring picks it up.
const ErrWrongSealKey = "WrongSealKey"

// SealedTable is one table holding sealed PII: its key columns (the cursor
// orders by them) and the columns sealed with package pii (nullable ones may
// hold NULL).
type SealedTable struct {
	Name     string
	Keys     []string
	KeyTypes []string // the key columns' types when not text
	Sealed   []string
}

// SealedTables is every table with sealed PII, in the order a re-sealing run
// walks them. A new sealed column must be added here (TestSealedTablesListEverySealedColumn);
// append new tables at the end: a running re-seal's cursor is an index into this list.
var SealedTables = []SealedTable{
	{Name: "bank_debit_accounts", Keys: []string{"method_id"}, Sealed: []string{"account_number_sealed"}},
	{Name: "payment_method_billing_keys", Keys: []string{"method_id", "pg"}, Sealed: []string{"billing_key_sealed"}},
	{Name: "producers", Keys: []string{"id"}, Sealed: []string{"account_sealed"}},
	{Name: "webhook_endpoints", Keys: []string{"id"}, Sealed: []string{"secret_sealed", "previous_secret_sealed"}},
	{Name: "console_sessions", Keys: []string{"token_hash"}, KeyTypes: []string{"bytea"}, Sealed: []string{"key_sealed"}},
	{Name: "customer_cash_receipt_preferences", Keys: []string{"customer_id"}, Sealed: []string{"identity_sealed"}},
}

// Reseal moves sealed PII to the active sealing key.
type Reseal struct {
	Pool *pgxpool.Pool
	Keys *pii.Keys
}

// ResealBatchInput names a table, the key (as text) of the last row already
// done (empty: from the start) and how many rows to take.
type ResealBatchInput struct {
	KeyID string // the sealing key the run moves rows to
	Table string
	After []string
	Limit int
}

// ResealBatchResult is the cursor to continue from and what the batch did.
type ResealBatchResult struct {
	Next     []string // the key of the batch's last row; unchanged when Done
	Scanned  int
	Resealed int // values opened and sealed again (rows already current are skipped)
	Done     bool
}

// ResealBatch re-seals the next Limit rows of a table after the cursor, in one
// transaction with the rows locked: a crash mid-batch rolls the whole batch
// back, and a retry skips values already under the active key, so no value is
// sealed twice over, lost, or left behind.
func (r *Reseal) ResealBatch(ctx context.Context, in ResealBatchInput) (ResealBatchResult, error) {
	if in.KeyID != r.Keys.ActiveID() {
		return ResealBatchResult{}, temporal.NewApplicationError(
			fmt.Sprintf("this worker seals under %q, the run moves rows to %q", r.Keys.ActiveID(), in.KeyID), ErrWrongSealKey)
	}
	t, err := sealedTable(in.Table)
	if err != nil {
		return ResealBatchResult{}, temporal.NewNonRetryableApplicationError(err.Error(), ErrInvalidRequest, err)
	}
	out := ResealBatchResult{Next: in.After}
	err = pgx.BeginFunc(ctx, r.Pool, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, t.selectBatch(len(in.After) > 0), t.batchArgs(in.After, in.Limit)...)
		if err != nil {
			return err
		}
		type row struct {
			key    []string
			sealed [][]byte
		}
		var batch []row
		for rows.Next() {
			rw := row{key: make([]string, len(t.Keys)), sealed: make([][]byte, len(t.Sealed))}
			dest := make([]any, 0, len(t.Keys)+len(t.Sealed))
			for i := range rw.key {
				dest = append(dest, &rw.key[i])
			}
			for i := range rw.sealed {
				dest = append(dest, &rw.sealed[i])
			}
			if err := rows.Scan(dest...); err != nil {
				return err
			}
			batch = append(batch, rw)
		}
		if err := rows.Err(); err != nil {
			return err
		}
		for _, rw := range batch {
			n, err := r.resealRow(ctx, tx, t, rw.key, rw.sealed)
			if err != nil {
				return fmt.Errorf("%s %v: %w", t.Name, rw.key, err)
			}
			out.Resealed += n
		}
		out.Scanned = len(batch)
		out.Done = len(batch) < in.Limit
		if len(batch) > 0 {
			out.Next = batch[len(batch)-1].key
		}
		return nil
	})
	if err != nil {
		return ResealBatchResult{}, fmt.Errorf("reseal %s: %w", in.Table, err)
	}
	return out, nil
}

// resealRow seals each of the row's values not yet under the active key again
// and writes them back; it returns how many it moved.
func (r *Reseal) resealRow(ctx context.Context, tx pgx.Tx, t SealedTable, key []string, sealed [][]byte) (int, error) {
	moved := 0
	vals := make([]any, len(sealed))
	for i, box := range sealed {
		vals[i] = box
		if box == nil || r.Keys.IsCurrent(box) {
			continue
		}
		plain, err := r.Keys.Open(box)
		if err != nil {
			return moved, err
		}
		if vals[i], err = r.Keys.Seal(plain); err != nil {
			return moved, err
		}
		moved++
	}
	if moved == 0 {
		return 0, nil
	}
	args := append(vals, stringsToAny(key)...)
	_, err := tx.Exec(ctx, t.update(), args...)
	return moved, err
}

// StaleSealedValues counts the values of every sealed table not under the
// active key: zero means the old keys can be retired.
func (r *Reseal) StaleSealedValues(ctx context.Context) (map[string]int, error) {
	stale := map[string]int{}
	for _, t := range SealedTables {
		rows, err := r.Pool.Query(ctx, fmt.Sprintf("SELECT %s FROM %s", strings.Join(t.Sealed, ", "), t.Name))
		if err != nil {
			return nil, fmt.Errorf("stale sealed values in %s: %w", t.Name, err)
		}
		for rows.Next() {
			boxes := make([][]byte, len(t.Sealed))
			dest := make([]any, len(boxes))
			for i := range boxes {
				dest[i] = &boxes[i]
			}
			if err := rows.Scan(dest...); err != nil {
				rows.Close()
				return nil, err
			}
			for _, b := range boxes {
				if b != nil && !r.Keys.IsCurrent(b) {
					stale[t.Name]++
				}
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	return stale, nil
}

func sealedTable(name string) (SealedTable, error) {
	for _, t := range SealedTables {
		if t.Name == name {
			return t, nil
		}
	}
	return SealedTable{}, errors.New("no sealed table " + name)
}

// The statements are built from SealedTables only (never from input).
func (t SealedTable) selectBatch(after bool) string {
	cols := make([]string, 0, len(t.Keys)+len(t.Sealed))
	for _, k := range t.Keys {
		cols = append(cols, k+"::text")
	}
	cols = append(cols, t.Sealed...)
	where := ""
	if after {
		where = fmt.Sprintf(" WHERE (%s) > (%s)", strings.Join(t.Keys, ", "), t.placeholders(2))
	}
	return fmt.Sprintf("SELECT %s FROM %s%s ORDER BY %s LIMIT $1 FOR UPDATE",
		strings.Join(cols, ", "), t.Name, where, strings.Join(t.Keys, ", "))
}

func (t SealedTable) batchArgs(after []string, limit int) []any {
	return append([]any{limit}, stringsToAny(after)...)
}

func (t SealedTable) update() string {
	sets := make([]string, len(t.Sealed))
	for i, c := range t.Sealed {
		sets[i] = fmt.Sprintf("%s = $%d", c, i+1)
	}
	return fmt.Sprintf("UPDATE %s SET %s WHERE (%s) = (%s)",
		t.Name, strings.Join(sets, ", "), strings.Join(t.Keys, ", "), t.placeholders(len(t.Sealed)+1))
}

// placeholders are the key values as text cast back to each key column's type
// (the text form of a bytea key reads back as the same bytes).
func (t SealedTable) placeholders(first int) string {
	ps := make([]string, len(t.Keys))
	for i := range t.Keys {
		ps[i] = fmt.Sprintf("$%d::text", first+i)
		if i < len(t.KeyTypes) && t.KeyTypes[i] != "text" {
			ps[i] += "::" + t.KeyTypes[i]
		}
	}
	return strings.Join(ps, ", ")
}

func stringsToAny(s []string) []any {
	out := make([]any, len(s))
	for i, v := range s {
		out[i] = v
	}
	return out
}
