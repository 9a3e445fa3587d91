// Package risk decides whether a payment may go ahead before any money moves:
// blocklists, card-testing detection and ops' velocity rules, all read from
// PostgreSQL so that every API and worker replica counts the same attempts.
// It has no Temporal import: the checkout's risk activity and the API's
// step-up check both call it.
package risk

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/paysaga/paysaga/db"
	"github.com/paysaga/paysaga/pii"
)

// Decisions.
const (
	Allow  = "allow"
	Block  = "block"
	StepUp = "step_up"
)

// Rule names recorded on the timeline for what is not an ops rule.
const (
	RuleCardTesting = "card_testing"
	RuleBlocklist   = "blocklist:" // + the entry's kind
)

// Subject is what the rules look at for one payment.
type Subject struct {
	PaymentID   string
	CustomerID  string
	Fingerprint string // of the card (or bank account) paying; "" for the wallet alone
	BankAccount string // keyed hash of bank code + account number; "" for a card
	BIN         string // the card's BIN (cardbin.Parse); "" when unknown
	DeviceID    string
	IP          string
	Currency    string
	Amount      int64
}

// DimensionValue is the subject's value for a rule's dimension ("" = not known,
// the rule does not apply).
func (s Subject) DimensionValue(dimension string) string {
	switch dimension {
	case "customer":
		return s.CustomerID
	case "card_fingerprint":
		return s.Fingerprint
	case "device":
		return s.DeviceID
	case "ip":
		return s.IP
	}
	return ""
}

// CardTesting says when a burst of declines blocks a customer or a card.
type CardTesting struct {
	Declines int64         // declines in Window that trigger the block; 0 = off
	Window   time.Duration // how far back declines count
	BlockFor time.Duration // how long the automatic blocklist entry lasts
}

// Describe fills in the fingerprint (and bank account hash) of the method
// paying; an empty methodID (wallet only) leaves them empty.
func Describe(ctx context.Context, q *db.Queries, keys *pii.Keys, methodID string, s Subject) (Subject, error) {
	if methodID == "" {
		return s, nil
	}
	f, err := q.MethodRiskFacts(ctx, methodID)
	if errors.Is(err, pgx.ErrNoRows) {
		return s, nil
	}
	if err != nil {
		return s, fmt.Errorf("risk facts of method %s: %w", methodID, err)
	}
	return DescribeMethod(keys, methodID, f, s)
}

// DescribeMethod is Describe from the method's facts already read (the API's
// checkout reads them with its idempotency claim, in one round trip).
func DescribeMethod(keys *pii.Keys, methodID string, f db.MethodRiskFactsRow, s Subject) (Subject, error) {
	if f.Kind == "bank_account" && len(f.AccountNumberSealed) > 0 {
		number, err := keys.Open(f.AccountNumberSealed)
		if err != nil {
			return s, fmt.Errorf("open account of method %s: %w", methodID, err)
		}
		s.BankAccount = BankAccountHash(keys, f.BankCode, number)
		s.Fingerprint = s.BankAccount
		return s, nil
	}
	s.Fingerprint = CardFingerprint(f.CardBrand, f.CardType, f.CardLast4)
	s.BIN = f.CardBin
	return s, nil
}

// CardFingerprint names a card across customers from what the PG tells us
// (brand, type, last four digits). It is coarse: two cards can share it, so a
// blocklisted fingerprint may refuse an innocent card; a PG-issued card
// fingerprint, when the connectors return one, should replace it.
func CardFingerprint(brand, typ, last4 string) string {
	if last4 == "" {
		return ""
	}
	sum := sha256.Sum256([]byte("card\x00" + brand + "\x00" + typ + "\x00" + last4))
	return "fp_" + hex.EncodeToString(sum[:12])
}

// BankAccountHash is the blocklist value of a bank account: a keyed hash, so
// the list never holds an account number.
func BankAccountHash(keys *pii.Keys, bankCode, number string) string {
	return "ba_" + keys.Hash("bank_account", bankCode+":"+number)[:32]
}

// Outcome is a decision and the rule behind it.
type Outcome struct {
	Decision string
	Rule     string // the rule id, card_testing or blocklist:{kind}; "" when allowed
}

// Evaluate decides a payment and records it as an attempt, in one transaction
// serialized with every other evaluation sharing one of its counters (advisory
// locks, so replicas queue rather than both passing a limit). Evaluating the
// same payment again returns the recorded outcome: the activity may be retried.
// onCardTesting runs inside the transaction when a burst of declines is found,
// to emit its event with the block.
func Evaluate(ctx context.Context, tx pgx.Tx, s Subject, ct CardTesting, onCardTesting func(*db.Queries, db.RiskBlocklist) error) (Outcome, error) {
	q := db.New(tx)
	if prev, err := q.GetRiskAttempt(ctx, s.PaymentID); err == nil {
		return Outcome{Decision: prev.Decision, Rule: prev.Rule}, nil
	} else if !errors.Is(err, pgx.ErrNoRows) {
		return Outcome{}, fmt.Errorf("risk attempt %s: %w", s.PaymentID, err)
	}
	rules, err := q.ListEnabledRiskRules(ctx, Block)
	if err != nil {
		return Outcome{}, fmt.Errorf("risk rules: %w", err)
	}
	if err := lockSubjects(ctx, q, s, rules); err != nil {
		return Outcome{}, err
	}
	out, err := decide(ctx, q, s, ct, rules, onCardTesting)
	if err != nil {
		return Outcome{}, err
	}
	err = q.RecordRiskAttempt(ctx, db.RecordRiskAttemptParams{
		PaymentID: s.PaymentID, CustomerID: s.CustomerID, Fingerprint: s.Fingerprint, DeviceID: s.DeviceID,
		Ip: s.IP, Currency: s.Currency, Amount: s.Amount, Decision: out.Decision, Rule: out.Rule,
	})
	if err != nil {
		return Outcome{}, fmt.Errorf("record risk attempt %s: %w", s.PaymentID, err)
	}
	return out, nil
}

// lockSubjects takes the advisory lock of each counter the payment touches, in
// a fixed order so two evaluations never wait on each other in a cycle. The
// customer's and the card's are always taken (card testing counts by them);
// a device's or an IP's only while an enabled rule counts by it: an IP is
// shared by every customer behind it (the app's servers, a carrier's NAT),
// so locking it for no rule would queue all their checkouts on one lock.
func lockSubjects(ctx context.Context, q *db.Queries, s Subject, rules []db.RiskRule) error {
	counted := map[string]bool{"customer": true, "card_fingerprint": true}
	for _, r := range rules {
		counted[r.Dimension] = true
	}
	var keys []string
	for _, d := range []string{"customer", "card_fingerprint", "device", "ip"} {
		if v := s.DimensionValue(d); v != "" && counted[d] {
			keys = append(keys, "risk:"+d+":"+v)
		}
	}
	slices.Sort(keys)
	for _, k := range keys {
		if err := q.LockRiskSubject(ctx, k); err != nil {
			return fmt.Errorf("lock %s: %w", k, err)
		}
	}
	return nil
}

func decide(ctx context.Context, q *db.Queries, s Subject, ct CardTesting, rules []db.RiskRule, onCardTesting func(*db.Queries, db.RiskBlocklist) error) (Outcome, error) {
	hit, err := q.FindBlocked(ctx, db.FindBlockedParams{
		CustomerID: s.CustomerID, Fingerprint: s.Fingerprint, BankAccount: s.BankAccount, Bin: s.BIN,
	})
	switch {
	case err == nil:
		return Outcome{Decision: Block, Rule: RuleBlocklist + hit.Kind}, nil
	case !errors.Is(err, pgx.ErrNoRows):
		return Outcome{}, fmt.Errorf("blocklist: %w", err)
	}
	if blocked, err := cardTesting(ctx, q, s, ct, onCardTesting); err != nil || blocked {
		return Outcome{Decision: Block, Rule: RuleCardTesting}, err
	}
	rule, err := FirstHitOf(ctx, q, rules, s, nil)
	if err != nil || rule == "" {
		return Outcome{Decision: Allow}, err
	}
	return Outcome{Decision: Block, Rule: rule}, nil
}

// cardTesting blocks the customer when it had ct.Declines declined payments
// (its own, or with the same card) within the window: someone is trying cards.
func cardTesting(ctx context.Context, q *db.Queries, s Subject, ct CardTesting, on func(*db.Queries, db.RiskBlocklist) error) (bool, error) {
	if ct.Declines <= 0 {
		return false, nil
	}
	n, err := q.CountRecentDeclines(ctx, db.CountRecentDeclinesParams{
		WindowSeconds: ct.Window.Seconds(), CustomerID: s.CustomerID, Fingerprint: s.Fingerprint,
	})
	if err != nil {
		return false, fmt.Errorf("count declines: %w", err)
	}
	if n < ct.Declines {
		return false, nil
	}
	entry, err := q.CreateBlocklistEntry(ctx, db.CreateBlocklistEntryParams{
		ID: "bl_ct_" + s.PaymentID, Kind: "customer", Value: s.CustomerID,
		Reason:    fmt.Sprintf("card testing: %d declined payments within %s", n, ct.Window),
		ExpiresAt: timestamptz(time.Now().Add(ct.BlockFor)), CreatedBy: "risk:" + RuleCardTesting,
	})
	if err != nil {
		return false, fmt.Errorf("block customer %s: %w", s.CustomerID, err)
	}
	if on != nil {
		if err := on(q, entry); err != nil {
			return false, err
		}
	}
	return true, nil
}

// FirstHit returns the id of the first enabled rule with this action that the
// payment would break, or "". A count rule breaks when this payment would be
// one more than its threshold; an amount rule when the sum would pass it.
func FirstHit(ctx context.Context, q *db.Queries, action string, s Subject) (string, error) {
	rules, err := q.ListEnabledRiskRules(ctx, action)
	if err != nil {
		return "", fmt.Errorf("risk rules: %w", err)
	}
	return FirstHitOf(ctx, q, rules, s, nil)
}

// Totals are what a rule's window counts: allowed payments and their amount.
type Totals struct{ N, Amount int64 }

// FirstHitOf is FirstHit over rules the caller already holds (the API keeps
// the step-up rules in memory for a short TTL). known holds the window totals
// the caller has read already, by rule id (the API's checkout reads them with
// its claim); every other rule whose dimension the payment has costs one
// round trip for its totals.
func FirstHitOf(ctx context.Context, q *db.Queries, rules []db.RiskRule, s Subject, known map[string]Totals) (string, error) {
	for _, r := range rules {
		v := s.DimensionValue(r.Dimension)
		if v == "" {
			continue
		}
		t, ok := known[r.ID]
		if !ok {
			row, err := q.RiskWindowTotals(ctx, db.RiskWindowTotalsParams{
				WindowSeconds: float64(r.WindowSeconds), Dimension: r.Dimension, Value: v,
			})
			if err != nil {
				return "", fmt.Errorf("totals for rule %s: %w", r.ID, err)
			}
			t = Totals{N: row.N, Amount: row.Amount}
		}
		if (r.Kind == "count" && t.N+1 > r.Threshold) || (r.Kind == "amount" && t.Amount+s.Amount > r.Threshold) {
			return r.ID, nil
		}
	}
	return "", nil
}
