// Package workflows holds paysaga's deterministic Temporal workflows: the business
// processes (checkout, refund, payment-method registration) read top to bottom,
// with every side effect in an activity.
package workflows

import (
	"strconv"
	"time"

	"github.com/paysaga/paysaga/activities"
)

// Registered workflow names. They are constants so renaming a Go function never
// breaks a running workflow.
const (
	CheckoutName       = "Checkout"
	RefundName         = "Refund"
	RegisterMethodName = "RegisterPaymentMethod"
	VerifyIdentityName = "VerifyIdentity"
	TopUpName          = "TopUp"
)

// Workflow ids are business keys: duplicates collapse and ops can find them.
func CheckoutID(orderID string) string           { return "checkout-" + orderID }
func RefundID(paymentID, refundID string) string { return "refund-" + paymentID + "-" + refundID }
func RegisterMethodID(methodID string) string    { return "method-" + methodID }
func TopUpID(topUpID string) string              { return "topup-" + topUpID }

// VerifyIdentityID is idv-{customer}-{n}, n counting the customer's verifications from 1.
func VerifyIdentityID(customerID string, n int64) string {
	return "idv-" + customerID + "-" + strconv.FormatInt(n, 10)
}

// Payment statuses, as stored, returned by the API and upserted as PaymentStatus.
const (
	StatusProcessing        = "processing"
	StatusAuthorized        = "authorized"
	StatusSucceeded         = "succeeded"
	StatusFailed            = "failed"
	StatusCanceled          = "canceled"
	StatusPartiallyRefunded = "partially_refunded"
	StatusRefunded          = "refunded"
)

// CheckoutInput is everything the checkout needs, fixed when it starts: the fee
// rate and the PG routing order are copied from config so a config change never
// alters a running payment.
type CheckoutInput struct {
	PaymentID  string
	OrderID    string
	CustomerID string
	MethodID   string // pays Amount - WalletAmount - PointsAmount; empty when they pay it all
	// MethodKind is the method's kind (MethodCard, MethodBankAccount), read
	// by the API when it starts the checkout; empty in histories from before
	// it, which route every method by PGs.
	MethodKind string
	Currency   string
	Amount     int64
	// WalletAmount of Amount is paid from the customer's wallet (held, then
	// posted at capture). 0: card or bank account only.
	WalletAmount int64
	// PointsAmount of Amount is paid with the customer's points (issue 15,
	// ADR 0022): held after the wallet part, spent at the posting. 0: none.
	PointsAmount int64
	Items        []CheckoutItem
	FeeBPS       int64
	PGs          []string // routing order, primary first
	// AsyncAuthTimeout is how long a pending authorization waits for the PG's
	// webhook before the PG is queried; 0 means DefaultAsyncAuthTimeout.
	AsyncAuthTimeout time.Duration
	// DeviceID (sent by the app) and IP (the caller's) feed the velocity rules.
	DeviceID string
	IP       string
	// InstallmentMonths splits the card part into monthly payments at the
	// issuer (할부): 0 is 일시불, else 2..12, within every routed PG's limits
	// (checked by the API). InterestFreePlan names finance's interest-free plan
	// (무이자) that matched when the checkout started, copied like FeeBPS so a
	// config change never alters a running payment: the merchant pays the
	// interest. Empty: the customer does.
	InstallmentMonths int
	InterestFreePlan  string
	// PointsRateBPS of the card part is earned as points once the payment is
	// captured, valid for PointsValidity (issue 15; copied from config). 0: none.
	PointsRateBPS  int64
	PointsValidity time.Duration
	// CashReceipt says which tenders owe a cash receipt (issue 14); nil: none
	// (a card payment, or a wallet part receipted at top-up).
	CashReceipt *CashReceiptPlan
	// Benefits: the checkout evaluates finance's benefit rules in force at its
	// start (issue 15) for the card part; a matching partner-card rule and the
	// customer's membership multiplier set the points rate instead of
	// PointsRateBPS, within the rule set's monthly cap. Needs PointsValidity.
	Benefits bool
	// PointsAtConfirmation (PAYSAGA_POINTS_EARN_AT=confirmation, with
	// Benefits): the evaluated points are earned per item when its purchase is
	// confirmed (the Fulfilment workflow), not at capture.
	PointsAtConfirmation bool
}

// Payment method kinds, as stored (payment_methods.kind).
const (
	MethodCard        = "card"
	MethodBankAccount = "bank_account"
)

// DefaultAsyncAuthTimeout applies when a CheckoutInput carries none.
const DefaultAsyncAuthTimeout = 10 * time.Minute

// SignalPGResult carries a PG's asynchronous decision (from a verified webhook)
// to the checkout waiting on it.
const SignalPGResult = "pg-result"

// PGResultSignal is the decision: authorized or declined.
type PGResultSignal struct {
	EventID    string // the PG's webhook event id
	PaymentKey string
	Status     string // authorized | declined
	Code       string // decline reason, e.g. CARD_DECLINED
}

// CheckoutItem is one producer's share of the order.
type CheckoutItem struct {
	ProducerID string
	Amount     int64
	// TaxFreeAmount of Amount is tax-free (면세); 0 in histories from before it.
	TaxFreeAmount int64
}

// CheckoutResult is the final outcome the HTTP call answers with.
type CheckoutResult struct {
	PaymentID      string
	Status         string // succeeded | failed
	PG             string // the PG that served the payment, when one did
	FailureCode    string // stable code, e.g. card_declined
	FailureMessage string
	PointsEarned   int64 // points credited for this payment (issue 15)
}

// RefundInput asks to give back part or all of a captured payment.
type RefundInput struct {
	RefundID  string
	PaymentID string
	Amount    int64  // 0 with Kind "cancel" means whatever remains
	Kind      string // cancel | partial
	Reason    string
	// Items the refund gives back, by producer (ADR 0016); Amount is then their
	// sum. None: the amount is spread over the payment's items.
	Items []activities.RefundItem
	// CashReceiptRetryEvery paces the receipt cancel's retry rounds (0: the default).
	CashReceiptRetryEvery time.Duration
}

type RefundResult struct {
	RefundID       string
	Status         string // succeeded | failed
	Amount         int64
	FailureCode    string
	FailureMessage string
	// Points earned on the refunded part taken back (ADR 0023), and of them
	// the won kept back from the refund's card cash for points already spent.
	PointsReversed  int64
	PointsShortfall int64
}

// RegisterMethodInput registers a card (AuthKey from the PG's client SDK) or a
// bank account (holder-checked at the bank) and issues a billing key at each PG.
type RegisterMethodInput struct {
	MethodID    string
	CustomerID  string
	Kind        string // card | bank_account
	AuthKey     string
	BankAccount *BankAccount
	PGs         []string // billing keys are issued at each; the first is required
}

type BankAccount struct {
	BankCode      string
	AccountNumber string
	HolderName    string
}

type RegisterMethodResult struct {
	MethodID       string
	Status         string // active | failed
	FailureCode    string // e.g. invalid_auth_key, holder_mismatch
	FailureMessage string
}

// Payout workflows: a run settles every producer for one period; each producer's
// payout is its own workflow, payout-{producer}-{period}, so it happens once.
const (
	PayoutRunName = "PayoutRun"
	PayoutName    = "Payout"
	// PayoutBatchName pays a batch of a run's payouts in one activity (issue 19,
	// ADR 0025); only payouts that wait for approval keep a Payout workflow.
	PayoutBatchName = "PayoutBatch"
	// ApproveUpdate is the update finance sends to a payout awaiting approval.
	ApproveUpdate = "approve"
)

// PayoutScheduleID and PayoutRunID are the Temporal schedule's id and the id
// prefix of the runs it starts (Temporal appends the scheduled time).
func PayoutScheduleID(id string) string { return "payout-schedule-" + id }
func PayoutRunID(id string) string      { return "payout-run-" + id }

// Settlement cycles: the period a run settles, and so what "once per period" means.
const (
	CycleDaily   = "daily"
	CycleWeekly  = "weekly"
	CycleMonthly = "monthly"
)

// PayoutRunInput is fixed by the schedule (or the trigger); Cutoff, Period and
// the cursor are set by the first run and carried over continue-as-new.
type PayoutRunInput struct {
	ScheduleID      string
	Cycle           string // daily | weekly | monthly
	TimeZone        string // IANA, e.g. Asia/Seoul: where the period's day starts
	Currency        string
	Threshold       int64         // payouts above it wait for approval; 0 = none do
	ApprovalTimeout time.Duration // how long a payout waits for approval before it is held
	PageSize        int           // producers per claim
	Concurrency     int           // payouts in flight at once
	PagesPerRun     int           // pages before continue-as-new
	// Batches (i19-payout-batches): payouts per PayoutBatch and transfers in
	// flight inside one; Concurrency / BatchWorkers batches run at once.
	BatchSize    int
	BatchWorkers int

	Cutoff  time.Time
	Period  string
	AfterID string
	Totals  PayoutTotals
}

// PayoutTotals counts what the run (all its continued runs) settled.
type PayoutTotals struct {
	Producers        int // looked at
	Started          int // payouts handed to a workflow (their own, or a batch)
	Batches          int // PayoutBatch workflows started
	Paid, Held       int
	Failed           int
	AwaitingApproval int // started and left waiting for finance
	AlreadyStarted   int // started by an earlier attempt; not counted again
	PaidAmount       int64
}

type PayoutInput struct {
	PayoutID        string
	ProducerID      string
	Period          string
	Amount          int64
	NeedsApproval   bool
	ApprovalTimeout time.Duration
}

type PayoutResult struct {
	PayoutID string
	Amount   int64
	Status   string // paid | held | failed
	Reason   string // stable code when held or failed
}

// PayoutBatchInput is one batch of a run's claimed payouts (none needing approval).
type PayoutBatchInput struct {
	RunID     string
	Period    string
	PayoutIDs []string
	Amount    int64 // the batch's sum, for the UI's AmountKRW
	Workers   int   // transfers in flight inside the batch
}

// PayoutBatchID names a batch by business keys, the period and its first
// producer (producers are claimed in id order, each once per period, so no two
// runs' batches share it), never by the run's workflow id: a replay or a reset
// sees the same id.
func PayoutBatchID(period, firstProducerID string) string {
	return "payout-batch-" + period + "-" + firstProducerID
}

// ApproveInput is the approve update's argument.
type ApproveInput struct {
	ApprovedBy string
}
