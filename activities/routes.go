package activities

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/jackc/pgx/v5"

	"github.com/paysaga/paysaga/adapters/pg"
	"github.com/paysaga/paysaga/db"
)

type RouteMethodInput struct {
	PaymentID string
	MethodID  string
	Kind      string   // bank_account (a card is routed by the checkout's PGs as they are)
	PGs       []string // the checkout's routing order; connectors billing the kind come first in it
}

type RouteMethodResult struct {
	PGs []string // the connectors that bill the method's kind, in routing order
}

// RouteMethod answers which connectors bill a bank account: those whose
// capabilities say BankAccountBilling, the checkout's own PGs first (in their
// order), then every other configured connector by name. The workflow never
// asks for a provider by name.
//
// A connector that bills accounts by the account itself (firm banking) may
// have no billing key for a method registered before it was configured, or
// by a registration that only asked the PGs: its key is issued here from the
// account saved for debits (sealed), once (SaveBillingKey does nothing on a
// repeat). A PG that needs its own registration (a CMS consent at that PG) is
// left out when it holds no key: the checkout could not bill it anyway.
func (p *Payments) RouteMethod(ctx context.Context, in RouteMethodInput) (RouteMethodResult, error) {
	var out RouteMethodResult
	for _, name := range routeOrder(in.PGs, p.PGs) {
		client := p.PGs[name]
		if in.Kind != "bank_account" || !pg.CapabilitiesOf(client).BankAccountBilling {
			continue
		}
		ok, err := p.ensureAccountKey(ctx, in.MethodID, name, client)
		if err != nil {
			return out, err
		}
		if ok {
			out.PGs = append(out.PGs, name)
		}
	}
	if len(out.PGs) == 0 {
		return out, nonRetryable(ErrProviderUnavailable, Failure{Code: "provider_unavailable",
			Message: "no configured connector bills this kind of payment method"}, nil)
	}
	return out, nil
}

// routeOrder is first, then the other names of all, sorted (a map's order
// must not decide a route).
func routeOrder(first []string, all map[string]pg.Client) []string {
	out := slices.Clone(first)
	var rest []string
	for name := range all {
		if !slices.Contains(first, name) {
			rest = append(rest, name)
		}
	}
	slices.Sort(rest)
	return append(out, rest...)
}

// ensureAccountKey reports whether the method has a billing key at name,
// issuing one from the saved debit account when the connector's billing key
// is the account itself (Capabilities.AccountIsBillingKey: firm banking; a PG
// of the original protocol registers its own at registration).
func (p *Payments) ensureAccountKey(ctx context.Context, methodID, name string, client pg.Client) (bool, error) {
	if _, err := p.Queries.GetBillingKey(ctx, db.GetBillingKeyParams{MethodID: methodID, Pg: name}); err == nil {
		return true, nil
	} else if !errors.Is(err, pgx.ErrNoRows) {
		return false, fmt.Errorf("billing key of %s at %s: %w", methodID, name, err)
	}
	if !pg.CapabilitiesOf(client).AccountIsBillingKey {
		return false, nil
	}
	acct, err := p.Queries.GetBankDebitAccount(ctx, methodID)
	if errors.Is(err, pgx.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("debit account of %s: %w", methodID, err)
	}
	number, err := p.Keys.Open(acct.AccountNumberSealed)
	if err != nil {
		return false, fmt.Errorf("open account of %s: %w", methodID, err)
	}
	bk, err := client.IssueBillingKey(ctx, pg.IssueBillingKeyRequest{BankAccount: &pg.BankAccount{
		BankCode: acct.BankCode, AccountNumber: number, HolderName: acct.HolderName,
	}})
	if err != nil {
		return false, providerError("register "+methodID+" at "+name, err, true)
	}
	sealed, err := p.Keys.Seal(bk.BillingKey)
	if err != nil {
		return false, fmt.Errorf("seal billing key of %s at %s: %w", methodID, name, err)
	}
	if err := p.Queries.SaveBillingKey(ctx, db.SaveBillingKeyParams{MethodID: methodID, Pg: name, BillingKeySealed: sealed}); err != nil {
		return false, fmt.Errorf("save billing key of %s at %s: %w", methodID, name, err)
	}
	return true, nil
}
