// Package providersim is the provider sandbox: one HTTP server that plays paysaga's
// payment providers (PG instances, a bank, an identity provider and the PG's client
// SDK) for development and tests. Like a real provider it is idempotent by key and
// keeps a record of every money movement, so tests can prove "exactly once"; faults
// (errors, latency, outages, timeouts after commit) are injected at runtime.
// The wire protocol is documented in README.md beside this file.
package providersim

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"io"
	"math/big"
	mrand "math/rand/v2"
	"net/http"
	"sync"
	"time"

	"github.com/rs/zerolog"
)

// Options configures a sandbox.
type Options struct {
	PGs    []string // PG instance names, e.g. []string{"alpha","beta"}; routes /pg/{name}/...; default alpha and beta
	Seed   int64    // seeds the RNG used by fault rates, so a seed replays the same faults
	Logger zerolog.Logger
	// AsyncDelay is how long an asynchronous authorization stays pending before
	// its webhook (default 200ms).
	AsyncDelay time.Duration
	// Webhook is where asynchronous results are POSTed; also settable at runtime
	// through PUT /admin/webhooks.
	Webhook WebhookConfig
	// PGFeeBPS is the PGs' fee on captures in settlement reports (default 250).
	PGFeeBPS int64
	// ReceiptRegistrationDelay is how long a cash receipt stays issued before
	// the NTS registers it (default 2s; the real NTS takes a day or more).
	ReceiptRegistrationDelay time.Duration
}

// Server is the sandbox. All state lives in memory, guarded by mu: the sandbox is the
// external system, and it is reset, not migrated.
type Server struct {
	log     zerolog.Logger
	pgs     map[string]bool
	seed    int64
	handler http.Handler

	// now and hangFor are fixed at New; tests inside the package may shorten them.
	now     func() time.Time
	hangFor time.Duration // how long a CardTimeout authorization hangs before a 504
	// asyncDelay is how long a CardAsync* authorization stays pending.
	asyncDelay time.Duration

	mu          sync.Mutex
	rng         *mrand.Rand
	faults      []*faultRule
	seq         int64
	records     []Record
	idem        map[idemScope]*idemEntry
	authKeys    map[string]*authKey
	billingKeys map[string]*billingKey // by billing key
	payments    map[string]*payment    // by payment key
	accounts    map[string]*account    // by bank code + "/" + account number
	bankTxns    map[string]*bankTxn    // by transaction id
	idvs        map[string]*idvRequest // by request id
	webhook     WebhookConfig
	plants      map[string]Plant // settlement overrides by payment key
	pgFeeBPS    int64
	receipts    map[string]*cashReceipt // by receipt key
	// receiptDelay is how long an issued cash receipt waits for the NTS before
	// it reads as registered.
	receiptDelay time.Duration
}

// New builds a sandbox serving the given PG instances.
func New(opts Options) *Server {
	names := opts.PGs
	if len(names) == 0 {
		names = []string{"alpha", "beta"}
	}
	s := &Server{
		log:     opts.Logger,
		pgs:     make(map[string]bool, len(names)),
		seed:    opts.Seed,
		now:     time.Now,
		hangFor: 60 * time.Second,

		asyncDelay: opts.AsyncDelay,
	}
	if s.asyncDelay <= 0 {
		s.asyncDelay = 200 * time.Millisecond
	}
	for _, n := range names {
		s.pgs[n] = true
	}
	s.resetLocked()
	s.webhook = opts.Webhook
	s.receiptDelay = opts.ReceiptRegistrationDelay
	if s.receiptDelay <= 0 {
		s.receiptDelay = 2 * time.Second
	}
	s.pgFeeBPS = opts.PGFeeBPS
	if s.pgFeeBPS <= 0 {
		s.pgFeeBPS = DefaultPGFeeBPS
	}
	s.handler = s.logRequests(s.routes())
	return s
}

// Handler serves the providers' wire protocols and the /admin/ API.
func (s *Server) Handler() http.Handler { return s.handler }

func (s *Server) routes() *http.ServeMux {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		writeReply(w, jsonReply(http.StatusOK, map[string]string{"status": "ok"}))
	})

	// The PG's client SDK: the only place a card number is ever accepted.
	mux.HandleFunc("POST /sdk/v1/auth-keys", s.tokenize)

	mux.HandleFunc("POST /pg/{name}/v1/billing-keys", s.pgRoute(OpBillingKey, s.issueBillingKey))
	mux.HandleFunc("POST /pg/{name}/v1/payments", s.pgRoute(OpAuthorize, s.authorize))
	mux.HandleFunc("GET /pg/{name}/v1/payments", s.pgRoute(OpQuery, s.paymentByKey))
	mux.HandleFunc("GET /pg/{name}/v1/payments/{payment_key}", s.pgRoute(OpQuery, s.getPayment))
	mux.HandleFunc("POST /pg/{name}/v1/payments/{payment_key}/capture", s.pgRoute(OpCapture, s.capture))
	mux.HandleFunc("POST /pg/{name}/v1/payments/{payment_key}/cancel", s.pgRoute(OpCancel, s.cancel))
	mux.HandleFunc("GET /pg/{name}/v1/settlements", s.pgRoute(OpQuery, s.settlements))

	s.tossRoutes(mux)
	s.portoneRoutes(mux)
	s.portoneReceiptRoutes(mux)

	mux.HandleFunc("POST /bank/v1/inquiry", s.route(ProviderBank, OpInquiry, s.inquiry))
	mux.HandleFunc("POST /bank/v1/debits", s.route(ProviderBank, OpDebit, s.debit))
	mux.HandleFunc("POST /bank/v1/transfers", s.route(ProviderBank, OpTransfer, s.transfer))
	mux.HandleFunc("GET /bank/v1/transactions", s.route(ProviderBank, OpQuery, s.transactionByKey))
	mux.HandleFunc("GET /bank/v1/transactions/{id}", s.route(ProviderBank, OpQuery, s.getTransaction))

	s.portoneIdentityRoutes(mux)
	mux.HandleFunc("POST /identity/v1/requests", s.route(ProviderIdentity, OpRequestCode, s.requestCode))
	mux.HandleFunc("GET /identity/v1/requests/{id}", s.route(ProviderIdentity, OpQuery, s.getIdentityRequest))
	mux.HandleFunc("POST /identity/v1/requests/{id}/confirm", s.route(ProviderIdentity, OpConfirm, s.confirm))

	mux.HandleFunc("GET /admin/records", s.adminRecords)
	mux.HandleFunc("GET /admin/faults", s.adminFaults)
	mux.HandleFunc("POST /admin/faults", s.adminAddFault)
	mux.HandleFunc("DELETE /admin/faults", s.adminClearFaults)
	mux.HandleFunc("PUT /admin/bank/accounts", s.adminSetBankAccount)
	mux.HandleFunc("GET /admin/identity/requests/{id}/code", s.adminIdentityCode)
	mux.HandleFunc("POST /admin/reset", s.adminReset)
	mux.HandleFunc("PUT /admin/webhooks", s.adminSetWebhooks)
	mux.HandleFunc("POST /admin/settlements/plant", s.adminPlantSettlement)

	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeReply(w, errReply(http.StatusNotFound, "NOT_FOUND", "no route for "+r.Method+" "+r.URL.Path))
	})
	return mux
}

// resetLocked empties every table and reseeds the fault RNG. Callers hold s.mu
// (or own s exclusively, as New does).
func (s *Server) resetLocked() {
	s.rng = mrand.New(mrand.NewPCG(uint64(s.seed), uint64(s.seed)^0x9e3779b97f4a7c15))
	s.faults = nil
	s.seq = 0
	s.records = nil
	s.idem = make(map[idemScope]*idemEntry)
	s.authKeys = make(map[string]*authKey)
	s.billingKeys = make(map[string]*billingKey)
	s.payments = make(map[string]*payment)
	s.accounts = make(map[string]*account)
	s.bankTxns = make(map[string]*bankTxn)
	s.idvs = make(map[string]*idvRequest)
	s.plants = make(map[string]Plant)
	s.receipts = make(map[string]*cashReceipt)
}

// reply is a response computed by a handler before it is written, so the fault
// layer can drop it (timeout_after_commit) and the idempotency layer can store it.
type reply struct {
	status   int
	body     []byte
	replayed bool
}

// apiError is the body of every non-2xx answer.
type apiError struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

func jsonReply(status int, v any) reply {
	b, err := json.Marshal(v)
	if err != nil {
		// Only the sandbox's own types are marshaled; this cannot happen.
		panic("providersim: marshal reply: " + err.Error())
	}
	return reply{status: status, body: b}
}

func errReply(status int, code, msg string) reply {
	return jsonReply(status, apiError{Code: code, Message: msg})
}

func (r reply) ok() bool { return r.status >= 200 && r.status < 300 }

func writeReply(w http.ResponseWriter, r reply) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	if r.replayed {
		w.Header().Set("Idempotent-Replayed", "true")
	}
	w.WriteHeader(r.status)
	_, _ = w.Write(r.body)
}

// maxBody bounds request bodies; the sandbox's requests are small.
const maxBody = 64 << 10

// decode reads a JSON body into dst. A failure is the 400 reply to send.
func decode(r *http.Request, dst any) (reply, bool) {
	data, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	if err != nil {
		return errReply(http.StatusBadRequest, "INVALID_REQUEST", "could not read the request body"), false
	}
	if len(data) > maxBody {
		return errReply(http.StatusRequestEntityTooLarge, "INVALID_REQUEST", "request body too large"), false
	}
	if len(bytes.TrimSpace(data)) == 0 {
		data = []byte("{}")
	}
	if err := json.Unmarshal(data, dst); err != nil {
		return errReply(http.StatusBadRequest, "INVALID_REQUEST", "malformed JSON body"), false
	}
	return reply{}, true
}

// Provider names as they appear in records and fault rules.
const (
	ProviderBank     = "bank"
	ProviderIdentity = "identity"
)

// pgProvider is the record and fault name of a PG instance: "pg:alpha".
func pgProvider(name string) string { return "pg:" + name }

// route wraps a provider endpoint with fault injection.
func (s *Server) route(provider, op string, h func(*http.Request) reply) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		s.serve(w, r, provider, op, func() reply { return h(r) })
	}
}

// pgRoute wraps a PG endpoint: the instance must exist, then faults apply.
func (s *Server) pgRoute(op string, h func(r *http.Request, pg string) reply) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		name := r.PathValue("name")
		if !s.pgs[name] {
			writeReply(w, errReply(http.StatusNotFound, "PG_NOT_FOUND", "no PG instance named "+name))
			return
		}
		s.serve(w, r, pgProvider(name), op, func() reply { return h(r, name) })
	}
}

// serve runs one provider request through the fault rules, then the handler.
func (s *Server) serve(w http.ResponseWriter, r *http.Request, provider, op string, h func() reply) {
	f, fired := s.pickFault(provider, op)
	if fired {
		s.log.Info().Str("provider", provider).Str("op", op).Str("fault_mode", f.Mode).
			Int("fault_status", f.Status).Int("latency_ms", f.LatencyMS).Msg("sandbox fault fired")
		switch f.Mode {
		case ModeError:
			writeReply(w, errReply(f.Status, "FAULT_INJECTED", "injected fault: the provider failed before processing"))
			return
		case ModeOutage:
			writeReply(w, errReply(http.StatusServiceUnavailable, "PROVIDER_UNAVAILABLE", provider+" is unavailable"))
			return
		case ModeLatency:
			// A slow provider still processes the request, even if the caller gave up.
			time.Sleep(time.Duration(f.LatencyMS) * time.Millisecond)
		}
	}
	rep := h()
	if fired && f.Mode == ModeTimeoutAfterCommit {
		dropConnection(w)
		return
	}
	writeReply(w, rep)
}

// dropConnection closes the client's connection without an answer, so the client
// cannot tell whether the request was processed.
func dropConnection(w http.ResponseWriter) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		// Not hijackable (HTTP/2): abort the handler; the server resets the stream.
		panic(http.ErrAbortHandler)
	}
	_ = conn.Close()
}

// statusWriter remembers the status for the request log. Unwrap lets
// http.ResponseController reach the connection for hijacking.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	w.status = code
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// logRequests logs method, path, status and duration: never bodies, which hold
// card and account numbers.
func (s *Server) logRequests(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w}
		defer func() {
			s.log.Debug().Str("method", r.Method).Str("path", r.URL.Path).Int("status", sw.status).
				Dur("duration", time.Since(start)).Msg("sandbox request")
		}()
		next.ServeHTTP(sw, r)
	})
}

// record appends a committed money movement. Callers hold s.mu.
func (s *Server) record(rec Record) {
	s.seq++
	rec.Seq = s.seq
	rec.At = s.now()
	s.records = append(s.records, rec)
}

// newID returns prefix + 24 random hex digits. Ids use crypto/rand, not the
// seeded RNG, so that creating objects never shifts the fault sequence.
func newID(prefix string) string {
	var b [12]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic("providersim: crypto/rand: " + err.Error())
	}
	return prefix + hex.EncodeToString(b[:])
}

// randomDigits returns n random decimal digits.
func randomDigits(n int) string {
	out := make([]byte, n)
	for i := range out {
		d, err := rand.Int(rand.Reader, big.NewInt(10))
		if err != nil {
			panic("providersim: crypto/rand: " + err.Error())
		}
		out[i] = byte('0' + d.Int64())
	}
	return string(out)
}

func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}
