package providersim

import (
	"fmt"
	"net/http"
	"strings"
)

// Fault is a fault-injection rule. Rules are matched in the order they were added;
// the first one that matches a request and fires (by Rate and Count) applies.
type Fault struct {
	Provider  string  `json:"provider"`   // "pg:alpha", "pg:beta", "bank", "identity", or "*" (empty = "*")
	Op        string  `json:"op"`         // authorize | capture | cancel | billing_key | debit | transfer | inquiry | request_code | confirm | query | "*" (empty = "*")
	Mode      string  `json:"mode"`       // "error" | "latency" | "timeout_after_commit" | "outage"
	Status    int     `json:"status"`     // for "error": HTTP status to answer (default 500)
	Rate      float64 `json:"rate"`       // probability per matching request, 0 means 1.0
	Count     int     `json:"count"`      // how many times it fires, 0 = unlimited
	LatencyMS int     `json:"latency_ms"` // for "latency": delay before processing
}

// Fault modes.
const (
	// ModeError answers Status with a JSON error body without processing.
	ModeError = "error"
	// ModeLatency waits LatencyMS, then processes normally.
	ModeLatency = "latency"
	// ModeTimeoutAfterCommit processes and commits, then drops the connection unanswered.
	ModeTimeoutAfterCommit = "timeout_after_commit"
	// ModeOutage answers 503 PROVIDER_UNAVAILABLE without processing.
	ModeOutage = "outage"
)

// Operations, as named by fault rules.
const (
	OpAuthorize   = "authorize"
	OpCapture     = "capture"
	OpCancel      = "cancel"
	OpBillingKey  = "billing_key"
	OpDebit       = "debit"
	OpTransfer    = "transfer"
	OpInquiry     = "inquiry"
	OpRequestCode = "request_code"
	OpConfirm     = "confirm"
	OpQuery       = "query"
	// The PG's cash-receipt service (provider receipts:{pg}).
	OpCashReceipt       = "cash_receipt"
	OpCashReceiptCancel = "cash_receipt_cancel"
)

var knownOps = map[string]bool{
	OpAuthorize: true, OpCapture: true, OpCancel: true, OpBillingKey: true, OpDebit: true,
	OpTransfer: true, OpInquiry: true, OpRequestCode: true, OpConfirm: true, OpQuery: true,
	OpCashReceipt: true, OpCashReceiptCancel: true,
}

// faultRule is a Fault and how often it has fired.
type faultRule struct {
	Fault
	fired int
}

// FaultStatus is a rule as GET /admin/faults reports it.
type FaultStatus struct {
	Fault
	Fired int `json:"fired"`
}

// normalize validates f and fills its defaults.
func (s *Server) normalizeFault(f Fault) (Fault, error) {
	if f.Provider == "" {
		f.Provider = "*"
	}
	if f.Op == "" {
		f.Op = "*"
	}
	switch {
	case f.Provider == "*", f.Provider == ProviderBank, f.Provider == ProviderIdentity:
	case strings.HasPrefix(f.Provider, "pg:") && s.pgs[strings.TrimPrefix(f.Provider, "pg:")]:
	case strings.HasPrefix(f.Provider, "receipts:") && s.pgs[strings.TrimPrefix(f.Provider, "receipts:")]:
	default:
		return f, fmt.Errorf("unknown provider %q", f.Provider)
	}
	if f.Op != "*" && !knownOps[f.Op] {
		return f, fmt.Errorf("unknown op %q", f.Op)
	}
	switch f.Mode {
	case ModeError:
		if f.Status == 0 {
			f.Status = http.StatusInternalServerError
		}
		if f.Status < 400 || f.Status > 599 {
			return f, fmt.Errorf("status %d is not an error status", f.Status)
		}
	case ModeLatency:
		if f.LatencyMS <= 0 {
			return f, fmt.Errorf("latency mode needs latency_ms > 0")
		}
	case ModeTimeoutAfterCommit, ModeOutage:
	default:
		return f, fmt.Errorf("unknown mode %q", f.Mode)
	}
	if f.Rate < 0 || f.Rate > 1 {
		return f, fmt.Errorf("rate %v is not in [0, 1]", f.Rate)
	}
	if f.Count < 0 {
		return f, fmt.Errorf("count %d is negative", f.Count)
	}
	if f.LatencyMS < 0 {
		return f, fmt.Errorf("latency_ms %d is negative", f.LatencyMS)
	}
	return f, nil
}

// pickFault returns the first rule that matches provider and op and fires. The RNG
// is drawn only for matching rules with 0 < Rate < 1, in rule order, so a seed and
// a sequence of requests replay the same faults.
func (s *Server) pickFault(provider, op string) (Fault, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, f := range s.faults {
		if f.Count > 0 && f.fired >= f.Count {
			continue
		}
		if (f.Provider != "*" && f.Provider != provider) || (f.Op != "*" && f.Op != op) {
			continue
		}
		if f.Rate > 0 && f.Rate < 1 && s.rng.Float64() >= f.Rate {
			continue
		}
		f.fired++
		return f.Fault, true
	}
	return Fault{}, false
}
