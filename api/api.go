// Package api is paysaga's HTTP JSON API: Echo routes, middleware (request log,
// body limit, API-key auth, Idempotency-Key) and thin handlers that validate a
// request and hand it to a Temporal workflow or a query. Errors leave through one
// HTTPErrorHandler as RFC 9457 problem+json.
package api

import (
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/labstack/echo/v4"
	"github.com/rs/zerolog"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"

	"github.com/paysaga/paysaga/adapters/bank"
	"github.com/paysaga/paysaga/adapters/pg"
	"github.com/paysaga/paysaga/config"
	"github.com/paysaga/paysaga/db"
	"github.com/paysaga/paysaga/metrics"
	"github.com/paysaga/paysaga/pii"
)

// Deps is what the API needs from main.
type Deps struct {
	// Draining reports that the process is shutting down: /readyz answers 503
	// while in-flight requests finish. nil: never.
	Draining func() bool
	Config   config.Config
	Pool     *pgxpool.Pool
	Queries  *db.Queries
	Temporal client.Client
	Log      zerolog.Logger
	Metrics  *metrics.Metrics // nil: no /metrics
	// DataConverter is the Temporal client's (payloads are encrypted); nil means
	// Temporal's default.
	DataConverter converter.DataConverter
	Bank          bank.Client // account-holder checks when producers register
	PII           *pii.Keys   // seals producers' account numbers
	// PGs are the PG connectors by name: webhooks of a connector that reads its
	// own (pg.WebhookReader) are confirmed by a look-up at that PG.
	PGs map[string]pg.Client
}

// API-key roles. ops reads everything it may see, writes risk rules and
// blocklists, and acts on the queues that need a person (re-deliver an
// unmatched webhook, re-send a delivery that gave up).
const (
	roleApp     = "app"
	roleFinance = "finance"
	roleOps     = "ops"
)

// temporalUIURL is where the dev server's UI listens; GET /v1/payments/{id} links to it.
const temporalUIURL = "http://localhost:8233"

type server struct {
	cfg      config.Config
	pool     *pgxpool.Pool
	q        *db.Queries
	temporal client.Client
	log      zerolog.Logger
	limiter  rateLimiter // per API key; nil when unlimited
	metrics  *metrics.Metrics
	// dataConverter reads workflow inputs from history, as the client wrote them.
	dataConverter converter.DataConverter
	bank          bank.Client
	pii           *pii.Keys
	draining      func() bool
	leases        *leaseKeeper // renews this process's Idempotency-Key claims
	apiKeys       *keyCache    // API keys looked up, for PAYSAGA_API_KEY_CACHE_TTL
	stepUpRules   *ruleCache   // ops' enabled step-up rules, for PAYSAGA_RISK_RULE_CACHE_TTL
	pgs           map[string]pg.Client
}

// New builds the Echo instance with every route, the middleware and the error handler.
func New(d Deps) *echo.Echo {
	return newServer(d).routes()
}

func newServer(d Deps) *server {
	s := &server{cfg: d.Config, pool: d.Pool, q: d.Queries, temporal: d.Temporal, log: d.Log, metrics: d.Metrics, dataConverter: d.DataConverter, bank: d.Bank, pii: d.PII, draining: d.Draining, pgs: d.PGs}
	s.leases = newLeaseKeeper(s.q, d.Config.IdempotencyLease, d.Log)
	s.apiKeys = newKeyCache(d.Config.APIKeyCacheTTL)
	s.stepUpRules = newRuleCache(d.Config.RiskRuleCacheTTL)
	if s.dataConverter == nil {
		s.dataConverter = converter.GetDefaultDataConverter()
	}
	if d.Config.RateLimit > 0 {
		s.limiter = newRateLimiter(d.Config.RateLimitStore, d.Config.RateLimit, d.Queries)
	}
	return s
}

func (s *server) routes() *echo.Echo {
	e := echo.New()
	e.HideBanner = true
	e.HidePort = true
	e.HTTPErrorHandler = s.handleError
	e.Server.ReadHeaderTimeout = 10 * time.Second
	e.Server.ReadTimeout = 30 * time.Second
	// A checkout may hold the connection for its whole budget before answering.
	e.Server.WriteTimeout = s.cfg.CheckoutBudget + 30*time.Second
	e.Server.IdleTimeout = 2 * time.Minute

	if s.metrics != nil {
		e.Use(s.metrics.Echo) // outermost: it counts the status the error handler wrote
		e.GET("/metrics", echo.WrapHandler(s.metrics.Handler()))
	}
	e.Use(s.logRequests, recoverPanics, bodyLimit(s.cfg.BodyLimitBytes), saneParams)

	e.GET("/healthz", s.healthz)
	e.GET("/readyz", s.readyz)
	e.GET("/openapi.yaml", s.openapi)

	v1 := e.Group("/v1")
	v1.POST("/customers", s.createCustomer, s.auth(roleApp))
	v1.POST("/customers/:id/payment-methods", s.createPaymentMethod, s.auth(roleApp), s.idempotent(idemOptional))
	v1.GET("/customers/:id/payment-methods", s.listPaymentMethods, s.auth(roleApp, roleOps))
	v1.DELETE("/customers/:id/payment-methods/:method_id", s.deletePaymentMethod, s.auth(roleApp))
	v1.POST("/checkouts", s.createCheckout, s.auth(roleApp), s.idempotent(idemClaimedWithFacts))
	v1.GET("/payments", s.searchPayments, s.auth(roleApp, roleOps))
	v1.GET("/payments/:id", s.getPayment, s.auth(roleApp, roleOps))
	v1.POST("/payments/:id/cancel", s.cancelPayment, s.auth(roleApp), s.idempotent(idemRequired))
	v1.POST("/payments/:id/refunds", s.createRefund, s.auth(roleApp), s.idempotent(idemRequired))
	v1.POST("/payments/:id/items/:producer_id/delivered", s.markDelivered, s.auth(roleApp))
	v1.POST("/payments/:id/items/:producer_id/confirm", s.confirmPurchase, s.auth(roleApp))
	v1.POST("/identity-verifications", s.createVerification, s.auth(roleApp))
	v1.GET("/identity-verifications/:id", s.getVerification, s.auth(roleApp, roleOps))
	v1.POST("/identity-verifications/:id/confirm", s.confirmVerification, s.auth(roleApp))
	v1.GET("/wallets/:customer_id", s.getWallet, s.auth(roleApp, roleOps))
	v1.GET("/points/:customer_id", s.getPoints, s.auth(roleApp, roleOps))
	v1.GET("/reports/safeguarding", s.getSafeguardingReport, s.auth(roleFinance, roleOps))
	v1.POST("/safeguard-balances", s.recordSafeguardBalance, s.auth(roleFinance))
	v1.POST("/benefit-rule-sets", s.createBenefitRuleSet, s.auth(roleFinance))
	v1.GET("/benefit-rule-sets", s.listBenefitRuleSets, s.auth(roleFinance, roleOps))
	v1.GET("/benefit-rule-sets/:version", s.getBenefitRuleSet, s.auth(roleFinance, roleOps))
	v1.GET("/wallets/:customer_id/transactions", s.listWalletTransactions, s.auth(roleApp, roleOps))
	v1.POST("/wallets/:customer_id/topups", s.createTopUp, s.auth(roleApp), s.idempotent(idemRequired))
	v1.GET("/wallets/:customer_id/topups/:topup_id", s.getTopUp, s.auth(roleApp, roleOps))
	v1.POST("/wallets/:customer_id/topups/:topup_id/retry-reversal", s.retryTopUpReversal, s.auth(roleOps))
	v1.GET("/wallet-topups/stuck", s.listStuckTopUps, s.auth(roleOps))
	v1.POST("/wallets/:customer_id/refunds", s.createWalletRefund, s.auth(roleApp), s.idempotent(idemRequired))
	v1.GET("/wallets/:customer_id/refunds/:refund_id", s.getWalletRefund, s.auth(roleApp, roleOps))
	v1.POST("/memberships", s.createMembership, s.auth(roleApp), s.idempotent(idemOptional))
	v1.GET("/memberships/:id", s.getMembership, s.auth(roleApp, roleOps))
	v1.POST("/memberships/:id/pause", s.pauseMembership, s.auth(roleApp))
	v1.POST("/memberships/:id/resume", s.resumeMembership, s.auth(roleApp))
	v1.POST("/memberships/:id/cancel", s.cancelMembership, s.auth(roleApp))

	v1.POST("/producers", s.createProducer, s.auth(roleFinance), s.idempotent(idemOptional))
	v1.GET("/producers", s.listProducers, s.auth(roleFinance, roleOps))
	v1.GET("/producers/:id/balance", s.producerBalance, s.auth(roleFinance, roleOps))
	v1.GET("/producers/:id/statements", s.producerStatement, s.auth(roleFinance, roleOps))
	v1.POST("/producers/:id/hold", s.holdProducer, s.auth(roleFinance))
	v1.POST("/producers/:id/release", s.releaseProducer, s.auth(roleFinance))
	v1.GET("/producers/:id/settlements", s.listSettlements, s.auth(roleFinance, roleOps))
	v1.GET("/producers/:id/settlements/:settlement_id", s.getSettlement, s.auth(roleFinance, roleOps))
	v1.GET("/settlement-deadlines", s.listSettlementDeadlines, s.auth(roleFinance, roleOps))
	v1.GET("/commission-invoices", s.commissionInvoices, s.auth(roleFinance))
	v1.POST("/payout-schedules", s.createPayoutSchedule, s.auth(roleFinance))
	v1.GET("/payout-schedules", s.listPayoutSchedules, s.auth(roleFinance, roleOps))
	v1.GET("/payout-schedules/:id", s.getPayoutSchedule, s.auth(roleFinance, roleOps))
	v1.PATCH("/payout-schedules/:id", s.patchPayoutSchedule, s.auth(roleFinance))
	v1.DELETE("/payout-schedules/:id", s.deletePayoutSchedule, s.auth(roleFinance))
	v1.POST("/payout-schedules/:id/trigger", s.triggerPayoutSchedule, s.auth(roleFinance))
	v1.GET("/payout-runs", s.listPayoutRuns, s.auth(roleFinance, roleOps))
	v1.GET("/payout-runs/:id", s.getPayoutRun, s.auth(roleFinance, roleOps))
	v1.POST("/payouts/:id/approve", s.approvePayout, s.auth(roleFinance))

	// Endpoints receive every customer's events: no customer's key manages them.
	v1.POST("/webhook-endpoints", s.createWebhookEndpoint, s.auth(roleApp), platformOnly)
	v1.GET("/webhook-endpoints", s.listWebhookEndpoints, s.auth(roleApp, roleOps), platformOnly)
	v1.DELETE("/webhook-endpoints/:id", s.deleteWebhookEndpoint, s.auth(roleApp), platformOnly)
	v1.POST("/webhook-endpoints/:id/rotate", s.rotateWebhookSecret, s.auth(roleApp), platformOnly)
	v1.GET("/events", s.listEvents, s.auth(roleApp, roleOps))
	v1.GET("/events/:id/attempts", s.listEventAttempts, s.auth(roleApp, roleOps))
	v1.GET("/event-deliveries", s.listEventDeliveries, s.auth(roleOps))
	v1.GET("/event-deliveries/backlog", s.listEventBacklog, s.auth(roleOps))
	v1.POST("/events/:id/deliveries/:endpoint_id/resend", s.resendDelivery, s.auth(roleOps))
	v1.GET("/webhook-inbox", s.listWebhookInbox, s.auth(roleOps))
	v1.POST("/webhook-inbox/:id/redeliver", s.redeliverWebhook, s.auth(roleOps))
	v1.POST("/reconciliations", s.triggerReconciliation, s.auth(roleFinance))
	v1.GET("/reconciliations", s.listReconciliations, s.auth(roleFinance, roleOps))
	v1.GET("/reconciliations/:id", s.getReconciliation, s.auth(roleFinance, roleOps))
	v1.POST("/customers/:id/pin", s.setPIN, s.auth(roleApp))
	v1.POST("/customers/:id/pin/change", s.changePIN, s.auth(roleApp))
	v1.POST("/customers/:id/pin/reset", s.resetPIN, s.auth(roleApp))
	v1.POST("/customers/:id/pin/verify", s.verifyPIN, s.auth(roleApp))
	v1.PUT("/customers/:id/cash-receipt-preference", s.putCashReceiptPreference, s.auth(roleApp))
	v1.GET("/customers/:id/cash-receipt-preference", s.getCashReceiptPreference, s.auth(roleApp, roleOps))
	v1.POST("/risk/rules", s.createRiskRule, s.auth(roleOps))
	v1.GET("/risk/rules", s.listRiskRules, s.auth(roleOps))
	v1.PATCH("/risk/rules/:id", s.patchRiskRule, s.auth(roleOps))
	v1.POST("/risk/blocklist", s.createBlocklistEntry, s.auth(roleOps))
	v1.GET("/risk/blocklist", s.listBlocklist, s.auth(roleOps))
	v1.DELETE("/risk/blocklist/:id", s.deleteBlocklistEntry, s.auth(roleOps))
	v1.GET("/audit", s.listAudit, s.auth(roleOps))
	// Authenticated by the provider's signature, not an API key.
	v1.POST("/webhooks/:provider", s.receivePGWebhook)
	return e
}
