package providersim

import (
	"net/http"
	"strings"
)

// The /admin/ API drives the sandbox: records, faults, bank accounts, identity
// codes and reset. It is never subject to faults.

type recordsResponse struct {
	Records []Record `json:"records"`
}

type faultsResponse struct {
	Faults []FaultStatus `json:"faults"`
}

type identityCodeResponse struct {
	Code string `json:"code"`
}

// GET /admin/records?provider=&kind=&idempotency_key=&order_id=&payment_key=
func (s *Server) adminRecords(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	f := RecordFilter{
		Provider: q.Get("provider"), Kind: q.Get("kind"), IdempotencyKey: q.Get("idempotency_key"),
		OrderID: q.Get("order_id"), PaymentKey: q.Get("payment_key"),
	}
	writeReply(w, jsonReply(http.StatusOK, recordsResponse{Records: s.Records(f)}))
}

// GET /admin/faults lists the rules with how often each fired.
func (s *Server) adminFaults(w http.ResponseWriter, _ *http.Request) {
	s.mu.Lock()
	out := make([]FaultStatus, 0, len(s.faults))
	for _, f := range s.faults {
		out = append(out, FaultStatus{Fault: f.Fault, Fired: f.fired})
	}
	s.mu.Unlock()
	writeReply(w, jsonReply(http.StatusOK, faultsResponse{Faults: out}))
}

// POST /admin/faults adds a rule after the existing ones.
func (s *Server) adminAddFault(w http.ResponseWriter, r *http.Request) {
	var f Fault
	if rep, ok := decode(r, &f); !ok {
		writeReply(w, rep)
		return
	}
	f, err := s.normalizeFault(f)
	if err != nil {
		writeReply(w, errReply(http.StatusBadRequest, "INVALID_FAULT", err.Error()))
		return
	}
	s.mu.Lock()
	s.faults = append(s.faults, &faultRule{Fault: f})
	s.mu.Unlock()
	s.log.Info().Str("provider", f.Provider).Str("op", f.Op).Str("fault_mode", f.Mode).
		Float64("rate", f.Rate).Int("count", f.Count).Msg("sandbox fault added")
	writeReply(w, jsonReply(http.StatusCreated, f))
}

// DELETE /admin/faults removes every rule.
func (s *Server) adminClearFaults(w http.ResponseWriter, _ *http.Request) {
	s.mu.Lock()
	s.faults = nil
	s.mu.Unlock()
	w.WriteHeader(http.StatusNoContent)
}

// PUT /admin/bank/accounts registers an account's holder name and balance.
func (s *Server) adminSetBankAccount(w http.ResponseWriter, r *http.Request) {
	var a BankAccount
	if rep, ok := decode(r, &a); !ok {
		writeReply(w, rep)
		return
	}
	if rep, ok := validAccount(a.BankCode, a.AccountNumber); !ok {
		writeReply(w, rep)
		return
	}
	switch {
	case strings.HasPrefix(a.AccountNumber, "999"):
		writeReply(w, errReply(http.StatusBadRequest, "INVALID_ACCOUNT_NUMBER", "accounts starting 999 never exist"))
		return
	case strings.TrimSpace(a.HolderName) == "":
		writeReply(w, errReply(http.StatusBadRequest, "INVALID_REQUEST", "holder_name is required"))
		return
	case a.Balance < 0:
		writeReply(w, errReply(http.StatusBadRequest, "INVALID_REQUEST", "balance must not be negative"))
		return
	}
	s.mu.Lock()
	s.accounts[accountID(a.BankCode, a.AccountNumber)] = &account{
		bankCode: a.BankCode, number: a.AccountNumber, holder: a.HolderName, balance: a.Balance,
	}
	s.mu.Unlock()
	w.WriteHeader(http.StatusNoContent)
}

// GET /admin/identity/requests/{id}/code answers the code "sent" to the phone.
func (s *Server) adminIdentityCode(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	q, ok := s.idvs[r.PathValue("id")]
	var code string
	if ok {
		code = q.code
	}
	s.mu.Unlock()
	if !ok {
		writeReply(w, errReply(http.StatusNotFound, "REQUEST_NOT_FOUND", "no such verification request"))
		return
	}
	writeReply(w, jsonReply(http.StatusOK, identityCodeResponse{Code: code}))
}

// POST /admin/reset forgets everything (keys, payments, accounts, records, faults)
// and reseeds the fault RNG, so a run after a reset replays the same faults.
func (s *Server) adminReset(w http.ResponseWriter, _ *http.Request) {
	s.mu.Lock()
	s.resetLocked()
	s.mu.Unlock()
	w.WriteHeader(http.StatusNoContent)
}
