package chaos

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"sort"
	"sync"
	"time"

	"github.com/paysaga/paysaga/providersim"
)

// client talks to the API the way the shopping app would: every money-moving
// request under an Idempotency-Key, retried with the same key while the answer
// is a 409 (still in flight), a 5xx or no answer at all.
type apiClient struct {
	base    string
	appKey  string
	finance string
	http    *http.Client
	// retryFor bounds how long one request keeps being retried.
	retryFor time.Duration
}

type reply struct {
	status int
	body   map[string]any
	raw    []byte
}

// errGaveUp: a request was still unanswered after retryFor.
var errGaveUp = errors.New("no final answer")

func (c *apiClient) do(ctx context.Context, method, path, key string, idem string, body any) (reply, int, error) {
	var buf []byte
	if body != nil {
		var err error
		if buf, err = json.Marshal(body); err != nil {
			return reply{}, 0, err
		}
	}
	deadline := time.Now().Add(c.retryFor)
	tries := 0
	var last string
	for time.Now().Before(deadline) {
		tries++
		req, err := http.NewRequestWithContext(ctx, method, c.base+path, bytes.NewReader(buf))
		if err != nil {
			return reply{}, tries, err
		}
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+key)
		if idem != "" {
			req.Header.Set("Idempotency-Key", idem)
		}
		res, err := c.http.Do(req)
		if err == nil {
			raw, rerr := io.ReadAll(res.Body)
			res.Body.Close()
			if rerr == nil && res.StatusCode != http.StatusConflict && res.StatusCode < 500 {
				r := reply{status: res.StatusCode, raw: raw}
				_ = json.Unmarshal(raw, &r.body)
				return r, tries, nil
			}
			last = fmt.Sprintf("%d %s", res.StatusCode, raw)
		} else {
			last = err.Error()
		}
		if ctx.Err() != nil {
			return reply{}, tries, ctx.Err()
		}
		time.Sleep(time.Duration(100+50*min(tries, 20)) * time.Millisecond)
	}
	return reply{}, tries, fmt.Errorf("%w for %s %s after %d tries: %s", errGaveUp, method, path, tries, last)
}

// customer is one shopper of the load: a card, and for wallet customers a
// verified identity and a bank account to top up from.
type customer struct {
	id, card, bank string
	wallet         bool
}

// load is the mixed workload and what it observed.
type load struct {
	c         *apiClient
	sim       *providersim.AdminClient
	producers []string
	customers []customer

	mu        sync.Mutex
	paid      []paidPayment // succeeded payments, refund candidates
	latencies map[string][]time.Duration
	counts    map[string]int // kind/outcome -> n
	errs      []string
}

type paidPayment struct {
	id     string
	amount int64
}

func (l *load) count(what string) {
	l.mu.Lock()
	l.counts[what]++
	l.mu.Unlock()
}

func (l *load) observe(kind string, d time.Duration) {
	l.mu.Lock()
	l.latencies[kind] = append(l.latencies[kind], d)
	l.mu.Unlock()
}

func (l *load) fail(format string, args ...any) {
	l.mu.Lock()
	l.errs = append(l.errs, fmt.Sprintf(format, args...))
	l.mu.Unlock()
}

// setup registers producers and customers before any fault is injected.
func (l *load) setup(ctx context.Context, seed int64, cards, wallets int) error {
	for i := range 4 {
		id := fmt.Sprintf("chaos-p%d", i+1)
		res, _, err := l.c.do(ctx, "POST", "/v1/producers", l.c.finance, "", map[string]any{"id": id, "name": id, "settlement_days": 0, "business_registration_number": "1234567891",
			"bank_account": map[string]any{"bank_code": "004", "account_number": fmt.Sprintf("11000000%02d", i+1), "holder_name": "홍길동"}})
		if err != nil || res.status != 201 {
			return fmt.Errorf("producer %s: %v %d %s", id, err, res.status, res.raw)
		}
		l.producers = append(l.producers, id)
	}
	for i := range cards + wallets {
		cu, err := l.newCustomer(ctx, seed, i, i >= cards)
		if err != nil {
			return err
		}
		l.customers = append(l.customers, cu)
	}
	return nil
}

func (l *load) newCustomer(ctx context.Context, seed int64, i int, wallet bool) (customer, error) {
	res, _, err := l.c.do(ctx, "POST", "/v1/customers", l.c.appKey, "", map[string]any{"external_id": fmt.Sprintf("chaos-%d-%d", seed, i), "name": "홍길동"})
	if err != nil || res.status != 201 {
		return customer{}, fmt.Errorf("customer: %v %d %s", err, res.status, res.raw)
	}
	cu := customer{id: res.body["id"].(string), wallet: wallet}
	number := providersim.CardApprove
	if !wallet && i%10 == 9 {
		number = providersim.CardDecline // some shoppers' cards always decline
	}
	authKey, err := l.sim.Tokenize(ctx, providersim.Card{Number: number, ExpiryMonth: "12", ExpiryYear: "2030", CVC: "123"})
	if err != nil {
		return cu, err
	}
	res, _, err = l.c.do(ctx, "POST", "/v1/customers/"+cu.id+"/payment-methods", l.c.appKey, "", map[string]any{"type": "card", "pg_auth_key": authKey})
	if err != nil || res.status != 201 {
		return cu, fmt.Errorf("card: %v %d %s", err, res.status, res.raw)
	}
	cu.card = res.body["id"].(string)
	if !wallet {
		return cu, nil
	}
	account := fmt.Sprintf("2200%08d", i)
	if err := l.sim.SetBankAccount(ctx, providersim.BankAccount{BankCode: "088", AccountNumber: account, HolderName: "홍길동", Balance: 1_000_000_000}); err != nil {
		return cu, err
	}
	res, _, err = l.c.do(ctx, "POST", "/v1/customers/"+cu.id+"/payment-methods", l.c.appKey, "", map[string]any{"type": "bank_account",
		"bank_account": map[string]any{"bank_code": "088", "account_number": account, "holder_name": "홍길동"}})
	if err != nil || res.status != 201 {
		return cu, fmt.Errorf("bank account: %v %d %s", err, res.status, res.raw)
	}
	cu.bank = res.body["id"].(string)
	res, _, err = l.c.do(ctx, "POST", "/v1/identity-verifications", l.c.appKey, "", map[string]any{
		"customer_id": cu.id, "name": "홍길동", "phone": "01012345678", "birth_date": "19900101"})
	if err != nil || res.status != 201 {
		return cu, fmt.Errorf("identity: %v %d %s", err, res.status, res.raw)
	}
	code, err := l.sim.IdentityCode(ctx, res.body["provider_request_id"].(string))
	if err != nil {
		return cu, err
	}
	res, _, err = l.c.do(ctx, "POST", "/v1/identity-verifications/"+res.body["id"].(string)+"/confirm", l.c.appKey, "", map[string]any{"code": code})
	if err != nil || res.body["status"] != "verified" {
		return cu, fmt.Errorf("confirm: %v %d %s", err, res.status, res.raw)
	}
	return cu, nil
}

// Job kinds.
const (
	jobCheckout = "checkout"
	jobSplit    = "split_checkout"
	jobTopUp    = "topup"
	jobRefund   = "refund"
)

type job struct {
	kind   string
	n      int
	seed   uint64
	amount int64
}

// jobs is the workload in a seeded order.
func jobs(rng *rand.Rand, checkouts, splits, topups, refunds int) []job {
	var out []job
	add := func(kind string, n int) {
		for range n {
			out = append(out, job{kind: kind, n: len(out), seed: rng.Uint64(), amount: int64(1+rng.IntN(40)) * 1_000})
		}
	}
	add(jobCheckout, checkouts)
	add(jobSplit, splits)
	add(jobTopUp, topups)
	add(jobRefund, refunds)
	rng.Shuffle(len(out), func(i, j int) { out[i], out[j] = out[j], out[i] })
	return out
}

// run executes the jobs with the given concurrency, starting at most perSecond a second.
func (l *load) run(ctx context.Context, seed int64, js []job, concurrency, perSecond int) {
	ch := make(chan job)
	var wg sync.WaitGroup
	for range concurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range ch {
				l.runJob(ctx, seed, j)
			}
		}()
	}
	tick := time.NewTicker(time.Second / time.Duration(perSecond))
	defer tick.Stop()
	for _, j := range js {
		<-tick.C
		select {
		case ch <- j:
		case <-ctx.Done():
		}
	}
	close(ch)
	wg.Wait()
}

func (l *load) runJob(ctx context.Context, seed int64, j job) {
	rng := rand.New(rand.NewPCG(j.seed, uint64(seed)))
	var cards, wallets []customer
	for _, cu := range l.customers {
		if cu.wallet {
			wallets = append(wallets, cu)
		} else {
			cards = append(cards, cu)
		}
	}
	key := fmt.Sprintf("chaos-%d-%d", seed, j.n)
	start := time.Now()
	switch j.kind {
	case jobCheckout, jobSplit:
		cu := cards[rng.IntN(len(cards))]
		payment := map[string]any{"method_id": cu.card}
		if j.kind == jobSplit {
			cu = wallets[rng.IntN(len(wallets))]
			payment = map[string]any{"method_id": cu.card, "wallet_amount": j.amount / 2}
		}
		p1 := l.producers[rng.IntN(len(l.producers))]
		p2 := l.producers[rng.IntN(len(l.producers))]
		items := []map[string]any{{"producer_id": p1, "amount": j.amount}}
		total := j.amount
		if p2 != p1 {
			items = append(items, map[string]any{"producer_id": p2, "amount": int64(5_000)})
			total += 5_000
		}
		body := map[string]any{"order_id": key, "customer_id": cu.id, "currency": "KRW", "amount": total, "items": items, "payment": payment}
		res, status, ok := l.send(ctx, j.kind, key, start, "/v1/checkouts", body)
		if ok && status == "succeeded" {
			id := res.body["id"].(string)
			// The buyer confirms the purchase (구매확정), so the payout run has
			// something payable and later refunds are settlement adjustments.
			// Best effort: a confirmation lost to a fault leaves the sale pending.
			for _, it := range items {
				_, _, _ = l.c.do(ctx, "POST", "/v1/payments/"+id+"/items/"+it["producer_id"].(string)+"/confirm", l.c.appKey, "", nil)
			}
			l.mu.Lock()
			l.paid = append(l.paid, paidPayment{id: id, amount: total})
			l.mu.Unlock()
		}
	case jobTopUp:
		cu := wallets[rng.IntN(len(wallets))]
		l.send(ctx, j.kind, key, start, "/v1/wallets/"+cu.id+"/topups",
			map[string]any{"method_id": cu.bank, "amount": j.amount * 5, "currency": "KRW"})
	case jobRefund:
		l.mu.Lock()
		if len(l.paid) == 0 {
			l.mu.Unlock()
			l.count("refund:nothing_to_refund")
			return
		}
		i := rng.IntN(len(l.paid))
		p := l.paid[i]
		l.paid = append(l.paid[:i], l.paid[i+1:]...) // refund each payment once
		l.mu.Unlock()
		amount := max(p.amount/3, 1)
		res, tries, err := l.c.do(ctx, "POST", "/v1/payments/"+p.id+"/refunds", l.c.appKey, key, map[string]any{"amount": amount, "reason": "chaos"})
		if err != nil {
			l.fail("refund %s: %v", key, err)
			return
		}
		if tries == 1 {
			l.observe(j.kind, time.Since(start))
		}
		status := fmt.Sprintf("http_%d", res.status)
		if r, ok := res.body["refund"].(map[string]any); ok {
			status, _ = r["status"].(string)
		}
		l.count("refund:" + status)
	}
}

// send POSTs a checkout or top-up until it has a final answer, and counts its
// outcome (the status in the body, or the HTTP status and problem code).
func (l *load) send(ctx context.Context, kind, key string, start time.Time, path string, body any) (reply, string, bool) {
	res, tries, err := l.c.do(ctx, "POST", path, l.c.appKey, key, body)
	if err != nil {
		l.fail("%s %s: %v", kind, key, err)
		return res, "", false
	}
	if tries == 1 {
		l.observe(kind, time.Since(start))
	}
	status, _ := res.body["status"].(string)
	if res.status/100 != 2 {
		status = fmt.Sprintf("http_%d_%v", res.status, res.body["code"])
	}
	l.count(kind + ":" + status)
	return res, status, true
}

// percentile of sorted durations.
func percentile(d []time.Duration, p float64) time.Duration {
	if len(d) == 0 {
		return 0
	}
	s := append([]time.Duration(nil), d...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	i := int(p * float64(len(s)-1))
	return s[i]
}
