package providersim

import (
	"net/http"
	"strings"
	"time"
)

// Bank defaults: any well-formed account exists with this holder and balance unless
// the admin registered it.
const (
	DefaultHolderName = "홍길동"
	DefaultBalance    = 10_000_000
)

// BankAccount is an account as the admin registers it.
type BankAccount struct {
	BankCode      string `json:"bank_code"`      // 3 digits, e.g. "004"
	AccountNumber string `json:"account_number"` // 10 to 14 digits
	HolderName    string `json:"holder_name"`
	Balance       int64  `json:"balance"`
}

type account struct {
	bankCode string
	number   string
	holder   string
	balance  int64
}

// closed: accounts starting 998 are closed (inquiry still names the holder).
func (a *account) closed() bool { return strings.HasPrefix(a.number, "998") }

type bankTxn struct {
	id        string
	kind      string // debit | transfer
	bankCode  string
	account   string
	holder    string
	amount    int64
	currency  string
	memo      string
	createdAt time.Time
}

type inquiryRequest struct {
	BankCode      string `json:"bank_code"`
	AccountNumber string `json:"account_number"`
}

type inquiryResponse struct {
	BankCode     string `json:"bank_code"`
	AccountLast4 string `json:"account_last4"`
	HolderName   string `json:"holder_name"`
}

type moveRequest struct {
	BankCode      string `json:"bank_code"`
	AccountNumber string `json:"account_number"`
	HolderName    string `json:"holder_name"`
	Amount        int64  `json:"amount"`
	Currency      string `json:"currency"`
	Memo          string `json:"memo"`
}

type transactionJSON struct {
	TransactionID string `json:"transaction_id"`
	Kind          string `json:"kind"`   // debit | transfer
	Status        string `json:"status"` // succeeded
	BankCode      string `json:"bank_code"`
	AccountLast4  string `json:"account_last4"`
	// AccountNumber is shown only when the transaction is read by its id, so
	// the merchant can pay a debit back to the account it came from.
	AccountNumber string    `json:"account_number,omitempty"`
	HolderName    string    `json:"holder_name"`
	Amount        int64     `json:"amount"`
	Currency      string    `json:"currency"`
	Memo          string    `json:"memo"`
	CreatedAt     time.Time `json:"created_at"`
}

func (t *bankTxn) json() transactionJSON {
	return transactionJSON{TransactionID: t.id, Kind: t.kind, Status: "succeeded", BankCode: t.bankCode,
		AccountLast4: last4(t.account), HolderName: t.holder, Amount: t.amount, Currency: t.currency,
		Memo: t.memo, CreatedAt: t.createdAt}
}

// validAccount checks the shape of a bank code and account number.
func validAccount(bankCode, number string) (reply, bool) {
	if len(bankCode) != 3 || !allDigits(bankCode) {
		return errReply(http.StatusBadRequest, "INVALID_BANK_CODE", "bank_code must be 3 digits"), false
	}
	if len(number) < 10 || len(number) > 14 || !allDigits(number) {
		return errReply(http.StatusBadRequest, "INVALID_ACCOUNT_NUMBER", "account_number must be 10 to 14 digits"), false
	}
	return reply{}, true
}

func accountID(bankCode, number string) string { return bankCode + "/" + number }

// account finds (or opens with the defaults) a well-formed account; accounts
// starting 999 do not exist. Callers hold s.mu.
func (s *Server) account(bankCode, number string) (*account, reply, bool) {
	if rep, ok := validAccount(bankCode, number); !ok {
		return nil, rep, false
	}
	if strings.HasPrefix(number, "999") {
		return nil, errReply(http.StatusNotFound, "ACCOUNT_NOT_FOUND", "no such account at this bank"), false
	}
	id := accountID(bankCode, number)
	a, ok := s.accounts[id]
	if !ok {
		a = &account{bankCode: bankCode, number: number, holder: DefaultHolderName, balance: DefaultBalance}
		s.accounts[id] = a
	}
	return a, reply{}, true
}

// inquiry answers an account's holder name (예금주 조회).
func (s *Server) inquiry(r *http.Request) reply {
	var req inquiryRequest
	if rep, ok := decode(r, &req); !ok {
		return rep
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	a, rep, ok := s.account(req.BankCode, req.AccountNumber)
	if !ok {
		return rep
	}
	return jsonReply(http.StatusOK, inquiryResponse{BankCode: a.bankCode, AccountLast4: last4(a.number), HolderName: a.holder})
}

// debit takes money from a customer's account (출금이체).
func (s *Server) debit(r *http.Request) reply { return s.move(r, OpDebit) }

// transfer sends money to an account (송금).
func (s *Server) transfer(r *http.Request) reply { return s.move(r, OpTransfer) }

func (s *Server) move(r *http.Request, op string) reply {
	key, rep, ok := idempotencyKey(r)
	if !ok {
		return rep
	}
	var req moveRequest
	if rep, ok := decode(r, &req); !ok {
		return rep
	}
	if rep, ok := checkMoney(req.Amount, req.Currency); !ok {
		return rep
	}
	if rep, ok := validAccount(req.BankCode, req.AccountNumber); !ok {
		return rep
	}
	if len(req.Memo) > 200 {
		return errReply(http.StatusBadRequest, "INVALID_REQUEST", "memo is longer than 200 bytes")
	}
	fp := fingerprint(op, r, req)
	s.mu.Lock()
	defer s.mu.Unlock()
	if rep, ok := s.replay(ProviderBank, key, fp); ok {
		return rep
	}
	rep, resource := s.moveLocked(op, key, req)
	s.remember(ProviderBank, key, op, fp, rep, resource)
	if op == OpTransfer && rep.ok() {
		ev := BankWebhookEvent{EventID: newID("bwe_"), Type: "transfer.completed", IdempotencyKey: key,
			TransactionID: resource, Amount: req.Amount, Currency: req.Currency, Status: "succeeded", At: s.now()}
		go s.sendBankWebhook(s.webhook, ev)
	}
	return rep
}

func (s *Server) moveLocked(op, key string, req moveRequest) (reply, string) {
	a, rep, ok := s.account(req.BankCode, req.AccountNumber)
	switch {
	case !ok:
		return rep, ""
	case a.closed():
		return errReply(http.StatusPaymentRequired, "ACCOUNT_CLOSED", "the account is closed"), ""
	case req.HolderName != "" && req.HolderName != a.holder:
		return errReply(http.StatusPaymentRequired, "ACCOUNT_HOLDER_MISMATCH", "the holder name does not match the account"), ""
	case op == OpDebit && a.balance < req.Amount:
		return errReply(http.StatusPaymentRequired, "INSUFFICIENT_FUNDS", "the account balance is insufficient"), ""
	}
	if op == OpDebit {
		a.balance -= req.Amount
	} else {
		a.balance += req.Amount
	}
	t := &bankTxn{id: newID("txn_"), kind: op, bankCode: a.bankCode, account: a.number, holder: a.holder,
		amount: req.Amount, currency: req.Currency, memo: req.Memo, createdAt: s.now()}
	s.bankTxns[t.id] = t
	s.record(Record{Provider: ProviderBank, Kind: op, IdempotencyKey: key, PaymentKey: t.id,
		Amount: t.amount, Currency: t.currency})
	return jsonReply(http.StatusOK, t.json()), t.id
}

// transactionByKey answers the transaction a debit or transfer under
// ?idempotency_key= created.
func (s *Server) transactionByKey(r *http.Request) reply {
	key := r.URL.Query().Get("idempotency_key")
	if key == "" {
		return errReply(http.StatusBadRequest, "INVALID_REQUEST", "the idempotency_key query parameter is required")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	id, ok := s.createdBy(ProviderBank, key, OpDebit, OpTransfer)
	if !ok {
		return errReply(http.StatusNotFound, "TRANSACTION_NOT_FOUND", "no transaction was created under this idempotency key")
	}
	return jsonReply(http.StatusOK, s.bankTxns[id].json())
}

func (s *Server) getTransaction(r *http.Request) reply {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.bankTxns[r.PathValue("id")]
	if !ok {
		return errReply(http.StatusNotFound, "TRANSACTION_NOT_FOUND", "no such transaction")
	}
	out := t.json()
	out.AccountNumber = t.account
	return jsonReply(http.StatusOK, out)
}
