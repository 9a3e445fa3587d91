package activities

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/paysaga/paysaga/adapters/pg"
	"github.com/paysaga/paysaga/db"
	"github.com/paysaga/paysaga/ledger"
)

// KST is the settlement day's time zone (Korea has no daylight saving).
var KST = time.FixedZone("KST", 9*60*60)

// Recon compares the PGs' settlement reports with the ledger (정산대사).
type Recon struct {
	PGs  map[string]pg.Client
	Pool *pgxpool.Pool
}

type ReconcileInput struct {
	RunID  string
	Date   string   // YYYY-MM-DD, Korea time
	PGs    []string // which PGs to reconcile
	FeeBPS int64    // the PGs' contracted fee on captures
}

type ReconcileResult struct {
	PGItems     int
	LedgerItems int
	Mismatches  int
}

// Finding kinds.
const (
	FindingMissingInLedger = "missing_in_ledger" // the PG settled it, the ledger has no such movement
	FindingMissingAtPG     = "missing_at_pg"     // the ledger booked it, the PG does not settle it
	FindingAmountMismatch  = "amount_mismatch"
	FindingFeeMismatch     = "fee_mismatch" // the PG's fee differs from the contracted rate
)

type reconLine struct {
	paymentID  string
	ledger, pg int64
	pgFee      int64
	inLedger   bool
	atPG       bool
}

// Reconcile fetches each PG's report for the day, compares it line by line
// (payment key and capture/refund) with the ledger's postings on that PG's
// receivable, and stores the run and its findings in one transaction. A retry
// redoes the comparison and replaces the findings.
func (r *Recon) Reconcile(ctx context.Context, in ReconcileInput) (ReconcileResult, error) {
	day, err := time.ParseInLocation("2006-01-02", in.Date, KST)
	if err != nil {
		return ReconcileResult{}, nonRetryable(ErrInvalidRequest, Failure{Code: "invalid_date", Message: "date must be YYYY-MM-DD"}, err)
	}
	reports := map[string][]pg.SettlementItem{}
	fees := map[string]bool{} // the PG's report carries its fees
	for _, name := range in.PGs {
		client, ok := r.PGs[name]
		if !ok {
			return ReconcileResult{}, nonRetryable(ErrInvalidRequest, Failure{Code: "unknown_pg", Message: "no PG " + name}, nil)
		}
		if !pg.CapabilitiesOf(client).SettlementReport {
			continue // nothing to compare with; docs/connectors.md says which PGs these are
		}
		fees[name] = pg.CapabilitiesOf(client).SettlementFees
		items, err := client.Settlements(ctx, in.Date)
		if err != nil {
			return ReconcileResult{}, fmt.Errorf("settlements of %s for %s: %w", name, in.Date, err)
		}
		reports[name] = items
	}
	var res ReconcileResult
	err = pgx.BeginFunc(ctx, r.Pool, func(tx pgx.Tx) error {
		q := db.New(tx)
		if err := q.StartReconRun(ctx, db.StartReconRunParams{ID: in.RunID, Date: pgtype.Date{Time: day, Valid: true}}); err != nil {
			return fmt.Errorf("start recon run %s: %w", in.RunID, err)
		}
		if err := q.ClearReconFindings(ctx, in.RunID); err != nil {
			return fmt.Errorf("clear findings of %s: %w", in.RunID, err)
		}
		res = ReconcileResult{}
		for _, name := range in.PGs {
			if _, reported := reports[name]; !reported {
				continue
			}
			n, err := r.reconcilePG(ctx, q, in, name, day, reports[name], fees[name], &res)
			if err != nil {
				return err
			}
			res.Mismatches += n
		}
		return q.CompleteReconRun(ctx, db.CompleteReconRunParams{
			ID: in.RunID, PgItems: int32(res.PGItems), LedgerItems: int32(res.LedgerItems), Mismatches: int32(res.Mismatches),
		})
	})
	return res, err
}

func (r *Recon) reconcilePG(ctx context.Context, q *db.Queries, in ReconcileInput, name string, day time.Time, report []pg.SettlementItem, withFees bool, res *ReconcileResult) (int, error) {
	rows, err := q.LedgerPGMovements(ctx, db.LedgerPGMovementsParams{
		Account:  ledger.PGReceivable(name),
		FromTime: pgtype.Timestamptz{Time: day, Valid: true}, ToTime: pgtype.Timestamptz{Time: day.AddDate(0, 0, 1), Valid: true},
	})
	if err != nil {
		return 0, fmt.Errorf("ledger movements at %s: %w", name, err)
	}
	lines := map[[2]string]*reconLine{}
	line := func(key, typ string) *reconLine {
		k := [2]string{key, typ}
		if lines[k] == nil {
			lines[k] = &reconLine{}
		}
		return lines[k]
	}
	for _, row := range rows {
		typ, amount := "capture", row.Amount
		if row.Kind == "payment_refund" {
			typ, amount = "refund", -row.Amount
		}
		l := line(row.PaymentKey, typ)
		l.paymentID, l.ledger, l.inLedger = row.PaymentID, l.ledger+amount, true
		res.LedgerItems++
	}
	for _, it := range report {
		l := line(it.PaymentKey, it.Type)
		l.pg, l.pgFee, l.atPG = l.pg+it.Amount, l.pgFee+it.Fee, true
		res.PGItems++
	}
	keys := make([][2]string, 0, len(lines))
	for k := range lines {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return keys[i][0]+keys[i][1] < keys[j][0]+keys[j][1] })
	n := 0
	for _, k := range keys {
		l := lines[k]
		if l.paymentID == "" { // a PG line the ledger lacks: find the payment by its key
			if p, err := q.GetPaymentByPGKey(ctx, pgtype.Text{String: k[0], Valid: true}); err == nil {
				l.paymentID = p.ID
			}
		}
		f := db.InsertReconFindingParams{RunID: in.RunID, Pg: name, ItemType: k[1], PaymentID: l.paymentID, PaymentKey: k[0],
			LedgerAmount: l.ledger, PgAmount: l.pg, PgFee: l.pgFee}
		var kinds []string
		switch {
		case !l.inLedger:
			kinds = append(kinds, FindingMissingInLedger)
		case !l.atPG:
			kinds = append(kinds, FindingMissingAtPG)
		case l.ledger != l.pg:
			kinds = append(kinds, FindingAmountMismatch)
		}
		if k[1] == "capture" && l.atPG && withFees {
			f.ExpectedFee = l.pg * in.FeeBPS / 10_000
			if f.ExpectedFee != l.pgFee {
				kinds = append(kinds, FindingFeeMismatch)
			}
		}
		for _, kind := range kinds {
			f.Kind = kind
			if err := q.InsertReconFinding(ctx, f); err != nil {
				return n, fmt.Errorf("store finding %s %s: %w", kind, k[0], err)
			}
			n++
		}
	}
	return n, nil
}
