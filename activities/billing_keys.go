package activities

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/paysaga/paysaga/db"
	"github.com/paysaga/paysaga/pii"
)

// billingKey is the method's billing key at pg, opened from its sealed form (or
// read from a row written before billing keys were sealed). pgx.ErrNoRows when
// the method has none there.
func (p *Payments) billingKey(ctx context.Context, methodID, pg string) (string, error) {
	row, err := p.Queries.GetBillingKey(ctx, db.GetBillingKeyParams{MethodID: methodID, Pg: pg})
	if err != nil {
		return "", err
	}
	return p.openBillingKey(row.BillingKey, row.BillingKeySealed)
}

// openBillingKey is the key of a billing-key row: in clear on rows not sealed
// yet, else unsealed.
func (p *Payments) openBillingKey(clear pgtype.Text, sealed []byte) (string, error) {
	if clear.Valid {
		return clear.String, nil
	}
	key, err := p.Keys.Open(sealed)
	if err != nil {
		return "", fmt.Errorf("open billing key: %w", err)
	}
	return key, nil
}

// SealBillingKeys seals every billing key still stored in clear (rows written
// before migration 00031), in batches, each row in its own statement: safe to
// run on every start, from several processes at once, and to stop halfway.
// It returns how many rows it sealed.
func SealBillingKeys(ctx context.Context, pool *pgxpool.Pool, keys *pii.Keys) (int, error) {
	q := db.New(pool)
	sealed := 0
	for {
		rows, err := q.ClearBillingKeys(ctx, 100)
		if err != nil {
			return sealed, fmt.Errorf("clear billing keys: %w", err)
		}
		if len(rows) == 0 {
			return sealed, nil
		}
		for _, r := range rows {
			box, err := keys.Seal(r.BillingKey.String)
			if err != nil {
				return sealed, fmt.Errorf("seal billing key of %s: %w", r.MethodID, err)
			}
			n, err := q.SealBillingKey(ctx, db.SealBillingKeyParams{MethodID: r.MethodID, Pg: r.Pg, BillingKeySealed: box})
			if err != nil && err != pgx.ErrNoRows {
				return sealed, fmt.Errorf("seal billing key of %s: %w", r.MethodID, err)
			}
			sealed += int(n)
		}
	}
}
