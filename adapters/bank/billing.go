package bank

import (
	"context"
	"strings"
	"unicode/utf8"

	"github.com/paysaga/paysaga/adapters"
	"github.com/paysaga/paysaga/adapters/pg"
)

// Billing is the firm-banking connector seen as a PG: it bills a registered
// bank account (CMS auto-debit) through the bank's own calls, so a checkout
// paid by bank account runs the same saga as one paid by card at a PG that
// approves in one call. Neither Toss nor PortOne documents a server-side
// debit from an account number; this protocol (paysaga's "firm banking",
// providersim/README.md) is where Korean account auto-debit happens.
//
//   - billing key: the account itself (bank code, number, holder), checked at
//     the bank (예금주 조회). CMS has no token of its own: the account and the
//     holder's consent are the registration. paysaga seals it like every
//     billing key, and histories are encrypted by the codec.
//   - authorize: one debit (출금이체) under the authorize key; the payment key
//     is the bank's transaction id, and a lost answer is found by the key.
//   - cancel (void, refund, full or partial): a transfer (송금) back to the
//     account the debit came from, under the cancel's own key.
type Billing struct {
	name string
	bank Client
}

// NewBilling is the firm-banking billing connector named name (its ledger
// account is pg:{name}:receivable), over the bank client c.
func NewBilling(name string, c Client) *Billing { return &Billing{name: name, bank: c} }

// billingCapabilities: a debit takes the money at once (no separate capture),
// a refund may be any part, lost answers are found by idempotency key, and the
// bank reports no settlement file (its debits are checked by verify and by
// the ledger's own zero sum, not by the daily PG reconciliation).
var billingCapabilities = pg.Capabilities{
	SeparateCapture:     false,
	PartialCancel:       true,
	LookupByOrderID:     false,
	SignedWebhooks:      false,
	BankAccountBilling:  true,
	AccountIsBillingKey: true,
	SettlementReport:    false,
}

// Capabilities declares what this connector can do.
func (b *Billing) Capabilities() pg.Capabilities { return billingCapabilities }

// Name is the connector's configured name.
func (b *Billing) Name() string { return b.name }

// IssueBillingKey checks the account's holder at the bank and answers the
// account as the billing key. Cards are not billed here.
func (b *Billing) IssueBillingKey(ctx context.Context, req pg.IssueBillingKeyRequest) (pg.BillingKey, error) {
	a := req.BankAccount
	if a == nil {
		return pg.BillingKey{}, invalid("billing_key", "firm banking bills bank accounts only")
	}
	holder, err := b.bank.InquireHolder(ctx, a.BankCode, a.AccountNumber)
	if err != nil {
		return pg.BillingKey{}, err
	}
	if squash(holder) != squash(a.HolderName) {
		return pg.BillingKey{}, &adapters.Error{Provider: "bank", Op: "billing_key", Kind: adapters.Declined,
			Code: "HOLDER_MISMATCH", Message: "the account holder does not match the given name"}
	}
	return pg.BillingKey{BillingKey: encodeAccount(*a), Method: "bank_account", BankCode: a.BankCode,
		AccountLast4: last4(a.AccountNumber)}, nil
}

// Authorize debits the account once under req.IdempotencyKey. A debit is the
// money taken: the payment answers captured. A lost answer (Ambiguous) is
// left to the caller, who looks the key up (GetByIdempotencyKey).
func (b *Billing) Authorize(ctx context.Context, req pg.AuthorizeRequest) (pg.Payment, error) {
	a, err := decodeAccount(req.BillingKey)
	if err != nil {
		return pg.Payment{}, err
	}
	if req.InstallmentMonths != 0 {
		return pg.Payment{}, invalid("authorize", "a bank debit has no installments")
	}
	txn, err := b.bank.Debit(ctx, MoveRequest{
		IdempotencyKey: req.IdempotencyKey, BankCode: a.BankCode, AccountNumber: a.AccountNumber, HolderName: a.HolderName,
		Amount: req.Amount, Currency: req.Currency, Memo: memo("paysaga order ", req.OrderID),
	})
	if err != nil {
		return pg.Payment{}, err
	}
	return debitPayment(txn, req.OrderID), nil
}

// Capture has nothing to do: the debit took the money.
func (b *Billing) Capture(ctx context.Context, req pg.CaptureRequest) (pg.Payment, error) {
	return b.GetPayment(ctx, req.PaymentKey)
}

// Cancel pays the debit (or req.Amount of it) back to the account it came
// from, under the cancel's key: a repeat transfers nothing more. Amount 0 is
// the whole debit (a checkout's compensation, before any refund); paysaga's
// refund claims bound partial refunds to what remains, since the bank keeps
// no running balance of a debit.
func (b *Billing) Cancel(ctx context.Context, req pg.CancelRequest) (pg.Payment, error) {
	debit, err := b.bank.GetTransaction(ctx, req.PaymentKey)
	if err != nil {
		return pg.Payment{}, err
	}
	if debit.Kind != "debit" {
		return pg.Payment{}, invalid("cancel", "only a debit can be paid back")
	}
	amount := req.Amount
	if amount == 0 {
		amount = debit.Amount
	}
	if amount < 0 || amount > debit.Amount {
		return pg.Payment{}, &adapters.Error{Provider: "bank", Op: "cancel", Kind: adapters.Invalid,
			Code: "NOT_CANCELABLE_AMOUNT", Message: "the refund exceeds the debit"}
	}
	_, err = b.bank.Transfer(ctx, MoveRequest{
		IdempotencyKey: req.IdempotencyKey, BankCode: debit.BankCode, AccountNumber: debit.AccountNumber,
		HolderName: debit.HolderName, Amount: amount, Currency: debit.Currency, Memo: memo("paysaga refund ", req.Reason),
	})
	if err != nil {
		return pg.Payment{}, err
	}
	out := debitPayment(debit, "")
	out.CanceledAmount = amount
	out.Status = "partially_canceled"
	if amount == debit.Amount {
		out.Status = "canceled"
	}
	return out, nil
}

// GetByIdempotencyKey finds the debit an Authorize under key made.
func (b *Billing) GetByIdempotencyKey(ctx context.Context, key string) (pg.Payment, error) {
	txn, err := b.bank.GetByIdempotencyKey(ctx, key)
	if err != nil {
		return pg.Payment{}, err
	}
	return debitPayment(txn, ""), nil
}

// GetPayment reads the debit by its transaction id.
func (b *Billing) GetPayment(ctx context.Context, paymentKey string) (pg.Payment, error) {
	txn, err := b.bank.GetTransaction(ctx, paymentKey)
	if err != nil {
		return pg.Payment{}, err
	}
	return debitPayment(txn, ""), nil
}

// Settlements: the bank serves no settlement report (SettlementReport false).
func (b *Billing) Settlements(context.Context, string) ([]pg.SettlementItem, error) { return nil, nil }

func debitPayment(t Transaction, orderID string) pg.Payment {
	return pg.Payment{PaymentKey: t.ID, OrderID: orderID, Status: "captured", Amount: t.Amount,
		CapturedAmount: t.Amount, Currency: t.Currency}
}

// The billing key's form: v1|bank code|account number|holder name.
const accountKeyPrefix = "v1|"

func encodeAccount(a pg.BankAccount) string {
	return accountKeyPrefix + a.BankCode + "|" + a.AccountNumber + "|" + a.HolderName
}

func decodeAccount(key string) (pg.BankAccount, error) {
	parts := strings.SplitN(strings.TrimPrefix(key, accountKeyPrefix), "|", 3)
	if !strings.HasPrefix(key, accountKeyPrefix) || len(parts) != 3 || parts[0] == "" || parts[1] == "" {
		return pg.BankAccount{}, invalid("authorize", "the billing key is not a bank account")
	}
	return pg.BankAccount{BankCode: parts[0], AccountNumber: parts[1], HolderName: parts[2]}, nil
}

// invalid is a final refusal made before any call. Its message never holds
// the billing key: that is an account number.
func invalid(op, msg string) error {
	return &adapters.Error{Provider: "bank", Op: op, Kind: adapters.Invalid, Code: "INVALID_REQUEST", Message: msg}
}

// memo fits the bank's 200-byte limit, cut at a character boundary.
func memo(prefix, s string) string {
	m := prefix + s
	for len(m) > 200 {
		_, size := utf8.DecodeLastRuneInString(m)
		m = m[:len(m)-size]
	}
	return m
}

func squash(s string) string { return strings.Join(strings.Fields(s), "") }

func last4(s string) string {
	if len(s) <= 4 {
		return s
	}
	return s[len(s)-4:]
}
