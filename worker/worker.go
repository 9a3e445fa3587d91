// Package worker builds paysaga's Temporal worker: it registers the workflows
// under their constant names and the activities with their dependencies, and
// registers the custom search attributes the workflows upsert.
package worker

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/jackc/pgx/v5/pgxpool"
	"go.temporal.io/api/enums/v1"
	"go.temporal.io/api/operatorservice/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"
	sdkworker "go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/paysaga/paysaga/activities"
	"github.com/paysaga/paysaga/adapters/bank"
	"github.com/paysaga/paysaga/adapters/identity"
	"github.com/paysaga/paysaga/adapters/pg"
	"github.com/paysaga/paysaga/adapters/portone"
	"github.com/paysaga/paysaga/adapters/toss"
	"github.com/paysaga/paysaga/config"
	"github.com/paysaga/paysaga/db"
	"github.com/paysaga/paysaga/netguard"
	"github.com/paysaga/paysaga/risk"
	"github.com/paysaga/paysaga/workflows"
)

// Activities is every activity struct, each holding its own dependencies.
type Activities struct {
	Payments *activities.Payments
	Store    *activities.Store
	Ledger   *activities.Ledger
	Refunds  *activities.Refunds
	Methods  *activities.Methods
	Identity *activities.Identity
	Wallet   *activities.Wallet
	Payouts  *activities.Payouts
	Events   *activities.Events
	Recon    *activities.Recon
	// Settlement books fulfilment events and checks settlement deadlines.
	Settlement *activities.Settlement
	Risk       *activities.Risk
	// Points keeps the customers' points buckets and their ledger (issue 15).
	Points *activities.Points
	// Safeguarding computes the daily safeguarding report (issue 15).
	Safeguarding *activities.Safeguarding
	Reseal       *activities.Reseal // moves sealed PII to the active key
	// Opening opens a card-only checkout in one commit (issue 19); built from
	// Store, Risk and Payments by NewActivities.
	Opening *activities.Opening
	// Memberships claims and books membership periods (issue 15 part B).
	Memberships *activities.Memberships
	// WalletRefunds sends wallet balances back to bank accounts (잔액 환불).
	WalletRefunds *activities.WalletRefunds
	// Receipts issues and cancels cash receipts (issue 14).
	Receipts *activities.Receipts
}

// NewActivities wires the activities to PostgreSQL and to the providers' HTTP
// clients (the sandbox in development and tests).
func NewActivities(cfg config.Config, pool *pgxpool.Pool) Activities {
	hc := &http.Client{Timeout: cfg.ProviderTimeout}
	pgs := map[string]pg.Client{}
	for _, name := range cfg.PGs() {
		pgs[name] = NewPGClient(cfg, name, hc)
	}
	keys, err := cfg.PIIKeys()
	if err != nil {
		panic("config.Validate lets no short PII key through: " + err.Error())
	}
	bankClient := bank.NewHTTPClient(cfg.SimURL+"/bank", hc)
	acts := Activities{
		Payments:     &activities.Payments{PGs: withBankBilling(pgs, bankClient), Queries: db.New(pool), Keys: keys},
		Store:        &activities.Store{Pool: pool},
		Ledger:       &activities.Ledger{Pool: pool},
		Refunds:      &activities.Refunds{Pool: pool},
		Methods:      &activities.Methods{PGs: pgs, Bank: bankClient, Keys: keys, Pool: pool},
		Identity:     &activities.Identity{Provider: NewIdentityClient(cfg, hc), Keys: keys, Pool: pool},
		Wallet:       &activities.Wallet{Bank: bankClient, Keys: keys, Pool: pool},
		Payouts:      &activities.Payouts{Bank: payoutBank(cfg), Keys: keys, Pool: pool},
		Recon:        &activities.Recon{PGs: pgs, Pool: pool},
		Settlement:   &activities.Settlement{Pool: pool},
		Points:       &activities.Points{Pool: pool},
		Safeguarding: &activities.Safeguarding{Pool: pool},
		Risk: &activities.Risk{Pool: pool, Keys: keys, CardTesting: risk.CardTesting{
			Declines: cfg.CardTestingDeclines, Window: cfg.CardTestingWindow, BlockFor: cfg.CardTestingBlockFor,
		}},
		Reseal:        &activities.Reseal{Pool: pool, Keys: keys},
		Memberships:   &activities.Memberships{Pool: pool},
		WalletRefunds: &activities.WalletRefunds{Bank: bankClient, Keys: keys, Pool: pool},
		Receipts:      &activities.Receipts{PGs: pgs, Keys: keys, Pool: pool},
		Events: &activities.Events{Pool: pool, Keys: keys, HTTP: &http.Client{
			Timeout: cfg.EventTimeout,
			// Registered URLs come from API keys: never dial internal addresses (SSRF).
			Transport: &http.Transport{
				DialContext:         netguard.DialContext(cfg.EventTimeout, cfg.WebhookAllowInternal),
				TLSHandshakeTimeout: cfg.EventTimeout,
				MaxIdleConnsPerHost: 4,
			},
			// A redirect is an answer (3xx, not delivered), never followed elsewhere.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		}},
	}
	acts.Opening = &activities.Opening{Store: acts.Store, Risk: acts.Risk, Payments: acts.Payments}
	return acts
}

// Register adds the workflows and activities to a worker, a test environment or
// a replayer. Activity names are their method names (see TestRegisteredNames).
func Register(r sdkworker.Registry, acts Activities) {
	RegisterWorkflows(r)
	r.RegisterActivity(acts.Payments)
	r.RegisterActivity(acts.Store)
	r.RegisterActivity(acts.Ledger)
	r.RegisterActivity(acts.Refunds)
	r.RegisterActivity(acts.Methods)
	r.RegisterActivity(acts.Identity)
	r.RegisterActivity(acts.Wallet)
	r.RegisterActivity(acts.Payouts)
	r.RegisterActivity(acts.Events)
	r.RegisterActivity(acts.Recon)
	r.RegisterActivity(acts.Settlement)
	r.RegisterActivity(acts.Risk)
	r.RegisterActivity(acts.Points)
	r.RegisterActivity(acts.Safeguarding)
	r.RegisterActivity(acts.Reseal)
	if acts.Opening != nil { // nil in a replayer's or a test's partial set
		r.RegisterActivity(acts.Opening)
	}
	r.RegisterActivity(acts.Memberships)
	r.RegisterActivity(acts.WalletRefunds)
	r.RegisterActivity(acts.Receipts)
}

// RegisterWorkflows registers only the workflows (enough for a replayer).
func RegisterWorkflows(r sdkworker.WorkflowRegistry) {
	r.RegisterWorkflowWithOptions(workflows.Checkout, workflow.RegisterOptions{Name: workflows.CheckoutName})
	r.RegisterWorkflowWithOptions(workflows.Refund, workflow.RegisterOptions{Name: workflows.RefundName})
	r.RegisterWorkflowWithOptions(workflows.RegisterMethod, workflow.RegisterOptions{Name: workflows.RegisterMethodName})
	r.RegisterWorkflowWithOptions(workflows.VerifyIdentity, workflow.RegisterOptions{Name: workflows.VerifyIdentityName})
	r.RegisterWorkflowWithOptions(workflows.TopUp, workflow.RegisterOptions{Name: workflows.TopUpName})
	r.RegisterWorkflowWithOptions(workflows.RetryTopUpReversal, workflow.RegisterOptions{Name: workflows.RetryTopUpReversalName})
	r.RegisterWorkflowWithOptions(workflows.PayoutRun, workflow.RegisterOptions{Name: workflows.PayoutRunName})
	r.RegisterWorkflowWithOptions(workflows.Payout, workflow.RegisterOptions{Name: workflows.PayoutName})
	r.RegisterWorkflowWithOptions(workflows.PayoutBatch, workflow.RegisterOptions{Name: workflows.PayoutBatchName})
	// DeliverEvent stays registered so that runs started before the delivery
	// loops (issue 19) finish; nothing starts new ones.
	r.RegisterWorkflowWithOptions(workflows.DeliverEvent, workflow.RegisterOptions{Name: workflows.DeliverEventName})
	r.RegisterWorkflowWithOptions(workflows.EndpointDelivery, workflow.RegisterOptions{Name: workflows.EndpointDeliveryName})
	r.RegisterWorkflowWithOptions(workflows.Reconcile, workflow.RegisterOptions{Name: workflows.ReconcileName})
	r.RegisterWorkflowWithOptions(workflows.Fulfilment, workflow.RegisterOptions{Name: workflows.FulfilmentName})
	r.RegisterWorkflowWithOptions(workflows.SettlementDeadlineCheck, workflow.RegisterOptions{Name: workflows.SettlementDeadlineCheckName})
	r.RegisterWorkflowWithOptions(workflows.PointsExpiry, workflow.RegisterOptions{Name: workflows.PointsExpiryName})
	r.RegisterWorkflowWithOptions(workflows.SafeguardingCheck, workflow.RegisterOptions{Name: workflows.SafeguardingCheckName})
	r.RegisterWorkflowWithOptions(workflows.PIIReseal, workflow.RegisterOptions{Name: workflows.PIIResealName})
	r.RegisterWorkflowWithOptions(workflows.MembershipTick, workflow.RegisterOptions{Name: workflows.MembershipTickName})
	r.RegisterWorkflowWithOptions(workflows.MembershipCharge, workflow.RegisterOptions{Name: workflows.MembershipChargeName})
	r.RegisterWorkflowWithOptions(workflows.WalletRefund, workflow.RegisterOptions{Name: workflows.WalletRefundName})
	r.RegisterWorkflowWithOptions(workflows.CashReceipt, workflow.RegisterOptions{Name: workflows.CashReceiptName})
	r.RegisterWorkflowWithOptions(workflows.CashReceiptCancel, workflow.RegisterOptions{Name: workflows.CashReceiptCancelName})
}

// EnsureDeadlineSchedule creates the daily settlement deadline check's
// schedule when it does not exist yet; an empty cron disables it.
func EnsureDeadlineSchedule(ctx context.Context, c client.Client, cfg config.Config) error {
	if cfg.DeadlineCheckCron == "" {
		return nil
	}
	_, err := c.ScheduleClient().Create(ctx, client.ScheduleOptions{
		ID:   workflows.DeadlineScheduleID(cfg.TaskQueue),
		Spec: client.ScheduleSpec{CronExpressions: []string{cfg.DeadlineCheckCron}},
		Action: &client.ScheduleWorkflowAction{
			ID: "settlement-deadline", Workflow: workflows.SettlementDeadlineCheckName, TaskQueue: cfg.TaskQueue,
			Args: []any{workflows.DeadlineCheckInput{}},
		},
		Overlap: enums.SCHEDULE_OVERLAP_POLICY_SKIP,
		Note:    "daily check that confirmed sales are paid by their statutory due date",
	})
	if errors.Is(err, temporal.ErrScheduleAlreadyRunning) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("create settlement deadline schedule: %w", err)
	}
	return nil
}

// EnsurePointsExpirySchedule creates the daily points expiry run's schedule
// when it does not exist yet; an empty cron disables it.
func EnsurePointsExpirySchedule(ctx context.Context, c client.Client, cfg config.Config) error {
	if cfg.PointsExpiryCron == "" {
		return nil
	}
	_, err := c.ScheduleClient().Create(ctx, client.ScheduleOptions{
		ID:   workflows.PointsExpiryScheduleID(cfg.TaskQueue),
		Spec: client.ScheduleSpec{CronExpressions: []string{cfg.PointsExpiryCron}},
		Action: &client.ScheduleWorkflowAction{
			ID: "points-expiry", Workflow: workflows.PointsExpiryName, TaskQueue: cfg.TaskQueue,
			Args: []any{workflows.PointsExpiryInput{Notice: cfg.PointsExpiryNotice}},
		},
		Overlap: enums.SCHEDULE_OVERLAP_POLICY_SKIP,
		Note:    "daily points run: announce points expiring soon, expire what is due (FIFO)",
	})
	if errors.Is(err, temporal.ErrScheduleAlreadyRunning) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("create points expiry schedule: %w", err)
	}
	return nil
}

// EnsureSafeguardingSchedule creates the daily safeguarding report's schedule
// when it does not exist yet; an empty cron disables it.
func EnsureSafeguardingSchedule(ctx context.Context, c client.Client, cfg config.Config) error {
	if cfg.SafeguardingCron == "" {
		return nil
	}
	_, err := c.ScheduleClient().Create(ctx, client.ScheduleOptions{
		ID:   workflows.SafeguardingScheduleID(cfg.TaskQueue),
		Spec: client.ScheduleSpec{CronExpressions: []string{cfg.SafeguardingCron}},
		Action: &client.ScheduleWorkflowAction{
			ID: "safeguarding", Workflow: workflows.SafeguardingCheckName, TaskQueue: cfg.TaskQueue,
			Args: []any{workflows.SafeguardingCheckInput{Currency: "KRW"}},
		},
		Overlap: enums.SCHEDULE_OVERLAP_POLICY_SKIP,
		Note:    "daily safeguarding report: wallet and points liabilities against the safeguard balance",
	})
	if errors.Is(err, temporal.ErrScheduleAlreadyRunning) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("create safeguarding schedule: %w", err)
	}
	return nil
}

// EnsureReconSchedule creates the daily reconciliation schedule when it does
// not exist yet (an existing one, maybe paused or edited by ops, is left as is).
// An empty cron disables it.
func EnsureReconSchedule(ctx context.Context, c client.Client, cfg config.Config) error {
	if cfg.ReconCron == "" {
		return nil
	}
	_, err := c.ScheduleClient().Create(ctx, client.ScheduleOptions{
		ID:   workflows.ReconScheduleID(cfg.TaskQueue),
		Spec: client.ScheduleSpec{CronExpressions: []string{cfg.ReconCron}},
		Action: &client.ScheduleWorkflowAction{
			ID: "recon-daily", Workflow: workflows.ReconcileName, TaskQueue: cfg.TaskQueue,
			Args: []any{workflows.ReconcileInput{PGs: cfg.PGs(), FeeBPS: cfg.PGFeeBPS}},
		},
		Overlap: enums.SCHEDULE_OVERLAP_POLICY_SKIP,
		Note:    "daily reconciliation of PG settlements with the ledger (yesterday, Korea time)",
	})
	if errors.Is(err, temporal.ErrScheduleAlreadyRunning) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("create recon schedule: %w", err)
	}
	return nil
}

// New returns a worker on the task queue with everything registered.
func New(c client.Client, taskQueue string, acts Activities) sdkworker.Worker {
	return NewWithOptions(c, taskQueue, acts, sdkworker.Options{})
}

// NewWithOptions is New with the SDK's worker options (the stop timeout of a
// graceful shutdown, slots).
func NewWithOptions(c client.Client, taskQueue string, acts Activities, o sdkworker.Options) sdkworker.Worker {
	w := sdkworker.New(c, taskQueue, o)
	Register(w, acts)
	return w
}

// RegisterSearchAttributes adds paysaga's custom search attributes to the
// namespace, skipping those already there, so start-up is idempotent.
func RegisterSearchAttributes(ctx context.Context, c client.Client, namespace string) error {
	existing, err := c.OperatorService().ListSearchAttributes(ctx, &operatorservice.ListSearchAttributesRequest{Namespace: namespace})
	if err != nil {
		return fmt.Errorf("list search attributes: %w", err)
	}
	missing := workflows.SearchAttributeTypes()
	for name := range existing.GetCustomAttributes() {
		delete(missing, name)
	}
	if len(missing) == 0 {
		return nil
	}
	_, err = c.OperatorService().AddSearchAttributes(ctx, &operatorservice.AddSearchAttributesRequest{
		Namespace: namespace, SearchAttributes: missing,
	})
	if err != nil {
		return fmt.Errorf("add search attributes: %w", err)
	}
	return nil
}

// NewPGClient is the connector PG name speaks (config.PGConnector), at its base
// URL with its secret key.
func NewPGClient(cfg config.Config, name string, hc *http.Client) pg.Client {
	switch cfg.PGConnector(name) {
	case config.ConnectorToss:
		c, err := toss.New(toss.Config{Name: name, BaseURL: cfg.PGURL(name), SecretKey: cfg.PGSecretKey(name)}, hc)
		if err != nil {
			panic("config.Validate lets no bad Toss settings through: " + err.Error())
		}
		return c
	case config.ConnectorPortOne:
		c, err := portone.New(portone.Config{Name: name, BaseURL: cfg.PGURL(name), APISecret: cfg.PGSecretKey(name),
			StoreID: cfg.PGStoreID(name), WebhookSecret: cfg.PortOneWebhookSecret(name), WebhookTolerance: cfg.WebhookTolerance,
			ReceiptChannelKey: cfg.PGReceiptChannelKey(name)}, hc)
		if err != nil {
			panic("config.Validate lets no bad PortOne settings through: " + err.Error())
		}
		return c
	}
	return pg.NewHTTPClient(name, cfg.PGURL(name), hc)
}

// BankBillingConnector names the firm-banking connector that bills bank
// accounts (adapters/bank.Billing): the payment's PG and its ledger account
// pg:bank:receivable. Checkouts reach it by capability (BankAccountBilling),
// never by this name.
const BankBillingConnector = "bank"

// withBankBilling is the PGs plus the firm-banking connector, for the calls
// that move money (Payments). Registration and reconciliation keep the card
// PGs: a bank account is registered at the bank when first billed, and the
// bank serves no settlement report.
func withBankBilling(pgs map[string]pg.Client, bankClient bank.Client) map[string]pg.Client {
	out := make(map[string]pg.Client, len(pgs)+1)
	for name, c := range pgs {
		out[name] = c
	}
	if _, taken := out[BankBillingConnector]; !taken {
		out[BankBillingConnector] = bank.NewBilling(BankBillingConnector, bankClient)
	}
	return out
}

// NewIdentityClient is the identity provider's client for the configured
// connector: PortOne V2 identity verification, or the sandbox's own protocol.
func NewIdentityClient(cfg config.Config, hc *http.Client) identity.Client {
	if cfg.IdentityConnector == config.ConnectorPortOne {
		c, err := portone.NewIdentity(portone.IdentityConfig{BaseURL: cfg.IdentityBaseURL(), APISecret: cfg.IdentitySecret(),
			StoreID: cfg.IdentityStoreID, ChannelKey: cfg.IdentityChannel()}, hc)
		if err != nil {
			panic("config.Validate lets no bad PortOne identity settings through: " + err.Error())
		}
		return c
	}
	return identity.NewHTTPClient(cfg.IdentityBaseURL(), hc)
}

// payoutBank is the bank client of the payout batches (issue 19): a batch keeps
// up to 50 transfers in flight at one bank, more than the shared client's
// default two idle connections per host, which would dial anew for most calls.
func payoutBank(cfg config.Config) bank.Client {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConnsPerHost = 64
	return bank.NewHTTPClient(cfg.SimURL+"/bank", &http.Client{Timeout: cfg.ProviderTimeout, Transport: t})
}
