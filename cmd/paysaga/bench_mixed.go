package main

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"sync"
	"time"

	"github.com/paysaga/paysaga/bench"
	"github.com/paysaga/paysaga/client"
	"github.com/paysaga/paysaga/providersim"
)

// benchMixed drives card checkouts, split wallet+card checkouts, top-ups and
// refunds together and writes the report (JSON + HTML) under dir.
func benchMixed(ctx context.Context, d *driver, simURL string, total, workers int, dir string) error {
	w, err := d.walletCustomer(ctx, simURL)
	if err != nil {
		return err
	}
	var mu sync.Mutex
	var paid []string // payments with something left to refund
	remember := func(id string) {
		mu.Lock()
		paid = append(paid, id)
		mu.Unlock()
	}
	checkout := func(ctx context.Context, n int, customer, method string, walletAmount int64) error {
		order := fmt.Sprintf("mixed-%d-%d", time.Now().UnixNano(), n)
		status, body, err := d.call(func() (*http.Response, error) { return d.pay(ctx, order, customer, method, walletAmount) })
		if err != nil {
			return err
		}
		if status != 201 || body["status"] != "succeeded" {
			return fmt.Errorf("checkout %s: %d %v", order, status, body)
		}
		remember(body["id"].(string))
		return nil
	}
	ops := []bench.Op{
		{Kind: "checkout", Weight: 5, Call: func(ctx context.Context, n int) error { return checkout(ctx, n, d.customer, d.methodID, 0) }},
		{Kind: "split_checkout", Weight: 2, Call: func(ctx context.Context, n int) error { return checkout(ctx, n, w.customer, w.card, 5000) }},
		{Kind: "topup", Weight: 2, Call: func(ctx context.Context, n int) error {
			status, body, err := d.call(func() (*http.Response, error) {
				return d.api.CreateTopUp(ctx, w.customer, &client.CreateTopUpParams{IdempotencyKey: fmt.Sprintf("topup-%d-%d", time.Now().UnixNano(), n)},
					client.CreateTopUpJSONRequestBody{MethodId: w.bank, Amount: 10000, Currency: "KRW"})
			})
			if err != nil {
				return err
			}
			if status != 201 || body["status"] != "succeeded" {
				return fmt.Errorf("top-up: %d %v", status, body)
			}
			return nil
		}},
		{Kind: "refund", Weight: 1, Call: func(ctx context.Context, n int) error {
			mu.Lock()
			if len(paid) == 0 {
				mu.Unlock()
				return fmt.Errorf("nothing to refund yet")
			}
			id := paid[0]
			paid = paid[1:]
			mu.Unlock()
			reason, amount := "bench", int64(3000)
			status, body, err := d.call(func() (*http.Response, error) {
				return d.api.CreateRefund(ctx, id, &client.CreateRefundParams{IdempotencyKey: fmt.Sprintf("refund-%d-%d", time.Now().UnixNano(), n)},
					client.CreateRefundJSONRequestBody{Amount: &amount, Reason: &reason})
			})
			if err != nil {
				return err
			}
			if status != 201 {
				return fmt.Errorf("refund %s: %d %v", id, status, body)
			}
			return nil
		}},
	}
	// The wallet starts funded and a few payments paid, so split checkouts and
	// refunds never wait for the others (this also warms every path).
	for i := range 20 {
		if err := ops[2].Call(ctx, -1-i); err != nil {
			return err
		}
		if err := ops[0].Call(ctx, -1-i); err != nil {
			return err
		}
	}
	fmt.Printf("bench: mixed load, %d requests at %d concurrent (checkout 5 : split 2 : top-up 2 : refund 1)\n", total, workers)
	r := bench.RunMixed(ctx, bench.MixedOptions{Ops: ops, Total: total, Workers: workers, Out: os.Stdout})
	r.Settings = fmt.Sprintf("paysaga API + worker in one process, sandbox providers, %d requests, weights checkout 5, split_checkout 2, topup 2, refund 1", total)
	jsonPath, htmlPath, err := bench.WriteReport(dir, r)
	if err != nil {
		return err
	}
	fmt.Printf("report: %s, %s\n", jsonPath, htmlPath)
	return nil
}

// walletShopper is a verified customer with a bank account (top-ups) and a card.
type walletShopper struct{ customer, bank, card string }

func (d *driver) walletCustomer(ctx context.Context, simURL string) (walletShopper, error) {
	var w walletShopper
	sim := providersim.NewAdminClient(simURL, d.hc)
	status, body, err := d.call(func() (*http.Response, error) {
		return d.api.CreateCustomer(ctx, client.CreateCustomerJSONRequestBody{ExternalId: fmt.Sprintf("bench-w-%d", time.Now().UnixNano()), Name: "홍길동"})
	})
	if err != nil || status != 201 {
		return w, fmt.Errorf("create customer: %d %v %v", status, body, err)
	}
	w.customer = body["id"].(string)
	account := "110987654321"
	if err := sim.SetBankAccount(ctx, providersim.BankAccount{BankCode: "088", AccountNumber: account, HolderName: "홍길동", Balance: 1 << 40}); err != nil {
		return w, err
	}
	status, body, err = d.call(func() (*http.Response, error) {
		return d.api.CreatePaymentMethod(ctx, w.customer, nil, client.CreatePaymentMethodJSONRequestBody{Type: client.CreatePaymentMethodRequestTypeBankAccount,
			BankAccount: &client.PaymentMethodBankAccount{BankCode: "088", AccountNumber: account, HolderName: "홍길동"}})
	})
	if err != nil || status != 201 {
		return w, fmt.Errorf("bank account: %d %v %v", status, body, err)
	}
	w.bank = body["id"].(string)
	authKey, err := sim.Tokenize(ctx, providersim.Card{Number: providersim.CardApprove, ExpiryMonth: "12", ExpiryYear: "2030", CVC: "123"})
	if err != nil {
		return w, err
	}
	status, body, err = d.call(func() (*http.Response, error) { return d.registerCard(ctx, w.customer, authKey) })
	if err != nil || status != 201 {
		return w, fmt.Errorf("card: %d %v %v", status, body, err)
	}
	w.card = body["id"].(string)
	status, body, err = d.call(func() (*http.Response, error) {
		return d.api.CreateIdentityVerification(ctx, client.CreateIdentityVerificationJSONRequestBody{
			CustomerId: w.customer, Name: "홍길동", Phone: "01012345678", BirthDate: "19900101"})
	})
	if err != nil || status != 201 {
		return w, fmt.Errorf("identity: %d %v %v", status, body, err)
	}
	code, err := sim.IdentityCode(ctx, body["provider_request_id"].(string))
	if err != nil {
		return w, err
	}
	idv := body["id"].(string)
	status, body, err = d.call(func() (*http.Response, error) {
		return d.api.ConfirmIdentityVerification(ctx, idv, client.ConfirmIdentityVerificationJSONRequestBody{Code: code})
	})
	if err != nil || status != 200 || body["status"] != "verified" {
		return w, fmt.Errorf("confirm: %d %v %v", status, body, err)
	}
	return w, nil
}
