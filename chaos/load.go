package chaos

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/paysaga/paysaga/client"
	"github.com/paysaga/paysaga/providersim"
)

// client talks to the API the way the shopping app would: every money-moving
// request under an Idempotency-Key, retried with the same key while the answer
// is a 409 (still in flight), a 5xx or no answer at all. With several API
// replicas it goes round them as a load balancer would, and a retry goes to the
// next one: the same key must find the same payment through any replica.
type apiClient struct {
	api     *client.Client // the generated client; each try goes to one of bases
	bases   []string
	next    atomic.Uint64
	answers []atomic.Int64 // final answers per replica
	appKey  string
	finance string
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

func newAPIClient(bases []string, appKey, finance string, hc *http.Client, retryFor time.Duration) (*apiClient, error) {
	if len(bases) == 0 {
		return nil, errors.New("api client: no API address")
	}
	routed := *hc
	next := hc.Transport
	if next == nil {
		next = http.DefaultTransport
	}
	routed.Transport = replicaTransport{bases: bases, next: next}
	api, err := client.NewClient(bases[0], client.WithHTTPClient(&routed))
	if err != nil {
		return nil, fmt.Errorf("api client: %w", err)
	}
	return &apiClient{api: api, bases: bases, answers: make([]atomic.Int64, len(bases)),
		appKey: appKey, finance: finance, retryFor: retryFor}, nil
}

// replicaKey carries, in a request's context, which API replica it goes to.
type replicaKey struct{}

// replicaTransport sends each request to the replica its context names, as a
// load balancer in front of the API replicas would.
type replicaTransport struct {
	bases []string
	next  http.RoundTripper
}

func (t replicaTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	i, ok := r.Context().Value(replicaKey{}).(int)
	if !ok || i == 0 {
		return t.next.RoundTrip(r)
	}
	u, err := url.Parse(t.bases[i])
	if err != nil {
		return nil, err
	}
	r = r.Clone(r.Context())
	r.URL.Scheme, r.URL.Host, r.Host = u.Scheme, u.Host, u.Host
	return t.next.RoundTrip(r)
}

// call is one request through the generated client; do repeats it (same body,
// same Idempotency-Key) until it has a final answer.
type call func(ctx context.Context) (*http.Response, error)

func (c *apiClient) do(ctx context.Context, what string, send call) (reply, int, error) {
	deadline := time.Now().Add(c.retryFor)
	tries := 0
	first := int(c.next.Add(1))
	var last string
	for time.Now().Before(deadline) {
		replica := (first + tries) % len(c.bases)
		tries++
		res, err := send(context.WithValue(ctx, replicaKey{}, replica))
		if err == nil {
			raw, rerr := io.ReadAll(res.Body)
			res.Body.Close()
			if rerr == nil && final(res.StatusCode) {
				c.answers[replica].Add(1)
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
	return reply{}, tries, fmt.Errorf("%w for %s after %d tries: %s", errGaveUp, what, tries, last)
}

// final says whether an answer is the outcome rather than a reason to retry:
// 409 (still in flight), 500, 503 and 504 are retried with the same key; a 502
// is the provider's refusal of a workflow that has ended, which a retry would
// only repeat.
func final(status int) bool {
	return status != http.StatusConflict && (status < 500 || status == http.StatusBadGateway)
}

func ptr[T any](v T) *T { return &v }

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
	id        string
	amount    int64
	producers []string // its items, in checkout order
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
		body := client.CreateProducerJSONRequestBody{Id: id, Name: id, SettlementDays: ptr(int32(0)), BusinessRegistrationNumber: ptr("1234567891"),
			BankAccount: client.ProducerBankAccount{BankCode: "004", AccountNumber: fmt.Sprintf("11000000%02d", i+1), HolderName: "홍길동"}}
		res, _, err := l.c.do(ctx, "producer "+id, func(ctx context.Context) (*http.Response, error) {
			return l.c.api.CreateProducer(ctx, nil, body, client.Bearer(l.c.finance))
		})
		if err != nil || res.status != 201 {
			return fmt.Errorf("producer %s: %v %d %s", id, err, res.status, res.raw)
		}
		l.producers = append(l.producers, id)
	}
	if err := l.discountRules(ctx); err != nil {
		return err
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
	res, _, err := l.c.do(ctx, "customer", func(ctx context.Context) (*http.Response, error) {
		return l.c.api.CreateCustomer(ctx, client.CreateCustomerJSONRequestBody{ExternalId: fmt.Sprintf("chaos-%d-%d", seed, i), Name: "홍길동"}, client.Bearer(l.c.appKey))
	})
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
	if cu.card, err = l.addMethod(ctx, cu.id, client.CreatePaymentMethodJSONRequestBody{Type: client.CreatePaymentMethodRequestTypeCard, PgAuthKey: &authKey}); err != nil {
		return cu, fmt.Errorf("card: %w", err)
	}
	if !wallet {
		return cu, nil
	}
	account := fmt.Sprintf("2200%08d", i)
	if err := l.sim.SetBankAccount(ctx, providersim.BankAccount{BankCode: "088", AccountNumber: account, HolderName: "홍길동", Balance: 1_000_000_000}); err != nil {
		return cu, err
	}
	cu.bank, err = l.addMethod(ctx, cu.id, client.CreatePaymentMethodJSONRequestBody{Type: client.CreatePaymentMethodRequestTypeBankAccount,
		BankAccount: &client.PaymentMethodBankAccount{BankCode: "088", AccountNumber: account, HolderName: "홍길동"}})
	if err != nil {
		return cu, fmt.Errorf("bank account: %w", err)
	}
	res, _, err = l.c.do(ctx, "identity", func(ctx context.Context) (*http.Response, error) {
		return l.c.api.CreateIdentityVerification(ctx, client.CreateIdentityVerificationJSONRequestBody{
			CustomerId: cu.id, Name: "홍길동", Phone: "01012345678", BirthDate: "19900101"}, client.Bearer(l.c.appKey))
	})
	if err != nil || res.status != 201 {
		return cu, fmt.Errorf("identity: %v %d %s", err, res.status, res.raw)
	}
	code, err := l.sim.IdentityCode(ctx, res.body["provider_request_id"].(string))
	if err != nil {
		return cu, err
	}
	idv := res.body["id"].(string)
	res, _, err = l.c.do(ctx, "confirm", func(ctx context.Context) (*http.Response, error) {
		return l.c.api.ConfirmIdentityVerification(ctx, idv, client.ConfirmIdentityVerificationJSONRequestBody{Code: code}, client.Bearer(l.c.appKey))
	})
	if err != nil || res.body["status"] != "verified" {
		return cu, fmt.Errorf("confirm: %v %d %s", err, res.status, res.raw)
	}
	return cu, nil
}

// addMethod registers a payment method and returns its id once it is active:
// on a loaded machine the registration can outlast its budget (202
// processing), and the app would then wait for it as this does.
func (l *load) addMethod(ctx context.Context, customerID string, body client.CreatePaymentMethodJSONRequestBody) (string, error) {
	res, _, err := l.c.do(ctx, "payment method", func(ctx context.Context) (*http.Response, error) {
		return l.c.api.CreatePaymentMethod(ctx, customerID, nil, body, client.Bearer(l.c.appKey))
	})
	if err != nil || (res.status != 201 && res.status != 202) {
		return "", fmt.Errorf("%v %d %s", err, res.status, res.raw)
	}
	id, _ := res.body["id"].(string)
	for deadline := time.Now().Add(time.Minute); res.body["status"] != "active"; {
		if time.Now().After(deadline) {
			return "", fmt.Errorf("method %s still %v after a minute", id, res.body["status"])
		}
		time.Sleep(250 * time.Millisecond)
		list, _, err := l.c.do(ctx, "payment methods", func(ctx context.Context) (*http.Response, error) {
			return l.c.api.ListPaymentMethods(ctx, customerID, client.Bearer(l.c.appKey))
		})
		if err != nil {
			return "", err
		}
		data, _ := list.body["data"].([]any)
		for _, m := range data {
			if m, ok := m.(map[string]any); ok && m["id"] == id {
				res.body = m
			}
		}
	}
	return id, nil
}

// Job kinds.
const (
	jobCheckout = "checkout"
	jobSplit    = "split_checkout"
	jobTopUp    = "topup"
	jobRefund   = "refund"
	// Issue 15B: a card customer subscribes (the schedule charges the first
	// period at once; every other one is then paused), a wallet customer
	// refunds part of the balance to the bank account.
	jobMembership   = "membership"
	jobPoints       = "points_checkout"
	jobWalletRefund = "wallet_refund"
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

// withMembershipJobs inserts the issue 15B jobs at seeded places among js,
// numbered after them. They are drawn after the others, so the other jobs of a
// seed keep their amounts and their order among themselves.
func withMembershipJobs(rng *rand.Rand, js []job, memberships, walletRefunds int) []job {
	n := len(js)
	for i := range memberships + walletRefunds {
		kind := jobWalletRefund
		if i < memberships {
			kind = jobMembership
		}
		j := job{kind: kind, n: n + i, seed: rng.Uint64(), amount: int64(1+rng.IntN(20)) * 1_000}
		at := rng.IntN(len(js) + 1)
		js = append(js[:at], append([]job{j}, js[at:]...)...)
	}
	return js
}

// withPointsJobs inserts points-tender checkouts (issue 15) at seeded places,
// drawn after every other job so those keep their amounts and order.
func withPointsJobs(rng *rand.Rand, js []job, n int) []job {
	base := len(js)
	for i := range n {
		j := job{kind: jobPoints, n: base + i, seed: rng.Uint64(), amount: int64(4+rng.IntN(36)) * 1_000}
		at := rng.IntN(len(js) + 1)
		js = append(js[:at], append([]job{j}, js[at:]...)...)
	}
	return js
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
		payment := client.CheckoutPayment{MethodId: &cu.card}
		if j.kind == jobSplit {
			cu = wallets[rng.IntN(len(wallets))]
			payment = client.CheckoutPayment{MethodId: &cu.card, WalletAmount: ptr(j.amount / 2)}
		}
		p1 := l.producers[rng.IntN(len(l.producers))]
		p2 := l.producers[rng.IntN(len(l.producers))]
		items := []client.CheckoutItem{{ProducerId: p1, Amount: j.amount}}
		total := j.amount
		if p2 != p1 {
			items = append(items, client.CheckoutItem{ProducerId: p2, Amount: 5_000})
			total += 5_000
		}
		body := client.CreateCheckoutJSONRequestBody{OrderId: key, CustomerId: cu.id, Currency: "KRW", Amount: total, Items: items, Payment: payment}
		res, status, ok := l.send(ctx, j.kind, key, start, func(ctx context.Context) (*http.Response, error) {
			return l.c.api.CreateCheckout(ctx, &client.CreateCheckoutParams{IdempotencyKey: key}, body, client.Bearer(l.c.appKey))
		})
		if ok && status == "succeeded" {
			id := res.body["id"].(string)
			// The buyer confirms the purchase (구매확정), so the payout run has
			// something payable and later refunds are settlement adjustments.
			// Best effort: a confirmation lost to a fault leaves the sale pending.
			for _, it := range items {
				_, _, _ = l.c.do(ctx, "confirm", func(ctx context.Context) (*http.Response, error) {
					return l.c.api.ConfirmPurchaseWithBody(ctx, id, it.ProducerId, "", nil, client.Bearer(l.c.appKey))
				})
			}
			l.mu.Lock()
			pp := paidPayment{id: id, amount: total}
			for _, it := range items {
				pp.producers = append(pp.producers, it.ProducerId)
			}
			l.paid = append(l.paid, pp)
			l.mu.Unlock()
		}
	case jobTopUp:
		cu := wallets[rng.IntN(len(wallets))]
		body := client.CreateTopUpJSONRequestBody{MethodId: cu.bank, Amount: j.amount * 5, Currency: "KRW"}
		l.send(ctx, j.kind, key, start, func(ctx context.Context) (*http.Response, error) {
			return l.c.api.CreateTopUp(ctx, cu.id, &client.CreateTopUpParams{IdempotencyKey: key}, body, client.Bearer(l.c.appKey))
		})
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
		body := client.CreateRefundJSONRequestBody{Amount: ptr(max(p.amount/3, 1)), Reason: ptr("chaos")}
		if len(p.producers) > 1 && rng.IntN(2) == 0 {
			// An item-targeted refund: the second producer's item, in full.
			body = client.CreateRefundJSONRequestBody{Items: &[]client.RefundItem{{ProducerId: p.producers[1]}}, Reason: ptr("chaos")}
		}
		res, tries, err := l.c.do(ctx, "refund "+key, func(ctx context.Context) (*http.Response, error) {
			return l.c.api.CreateRefund(ctx, p.id, &client.CreateRefundParams{IdempotencyKey: key}, body, client.Bearer(l.c.appKey))
		})
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
	case jobMembership:
		l.subscribe(ctx, cards[j.n%len(cards)], key, j.n%2 == 1, start)
	case jobPoints:
		l.payWithPoints(ctx, l.customers, rng.IntN(len(l.customers)), j, key, start)
	case jobWalletRefund:
		cu := wallets[rng.IntN(len(wallets))]
		body := client.CreateWalletRefundJSONRequestBody{MethodId: cu.bank, Amount: ptr(j.amount), Currency: "KRW"}
		l.send(ctx, j.kind, key, start, func(ctx context.Context) (*http.Response, error) {
			return l.c.api.CreateWalletRefund(ctx, cu.id, &client.CreateWalletRefundParams{IdempotencyKey: key}, body, client.Bearer(l.c.appKey))
		})
	}
}

// subscribe creates a membership (its first period is charged by the schedule
// at once) and, when pause is set, pauses it; a customer with one already
// answers 409, counted like any outcome.
func (l *load) subscribe(ctx context.Context, cu customer, key string, pause bool, start time.Time) {
	body := client.CreateMembershipJSONRequestBody{CustomerId: cu.id, PlanId: "plus", MethodId: cu.card}
	res, status, ok := l.send(ctx, jobMembership, key, start, func(ctx context.Context) (*http.Response, error) {
		return l.c.api.CreateMembership(ctx, &client.CreateMembershipParams{IdempotencyKey: &key}, body, client.Bearer(l.c.appKey))
	})
	if !ok || status != "active" || !pause {
		return
	}
	id, _ := res.body["id"].(string)
	res, _, err := l.c.do(ctx, "pause "+id, func(ctx context.Context) (*http.Response, error) {
		return l.c.api.PauseMembership(ctx, id, client.Bearer(l.c.appKey))
	})
	if err != nil {
		l.fail("pause %s: %v", id, err)
		return
	}
	l.count(fmt.Sprintf("membership_pause:http_%d", res.status))
}

// send POSTs a checkout or top-up until it has a final answer, and counts its
// outcome (the status in the body, or the HTTP status and problem code).
func (l *load) send(ctx context.Context, kind, key string, start time.Time, send call) (reply, string, bool) {
	res, tries, err := l.c.do(ctx, kind+" "+key, send)
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

// payWithPoints pays an order with part of a customer's points (earned by
// their confirmed partner-card purchases), a quarter from the wallet when
// the customer has one, and the rest by card, in one checkout. The first
// customer from `from` on with points pays; none yet is counted and skipped.
// A balance another checkout holds meanwhile answers 422
// insufficient_points, counted as an outcome like any other.
func (l *load) payWithPoints(ctx context.Context, all []customer, from int, j job, key string, start time.Time) {
	var cu customer
	var balance int64
	for i := range all {
		c := all[(from+i)%len(all)]
		res, _, err := l.c.do(ctx, "points "+key, func(ctx context.Context) (*http.Response, error) {
			return l.c.api.GetPoints(ctx, c.id, client.Bearer(l.c.appKey))
		})
		if b, _ := res.body["balance"].(float64); err == nil && int64(b) >= 10 {
			cu, balance = c, int64(b)
			break
		}
	}
	if balance == 0 {
		l.count(jobPoints + ":no_points")
		return
	}
	payment := client.CheckoutPayment{MethodId: &cu.card, PointsAmount: ptr(min(balance/2, j.amount/4))}
	if cu.wallet {
		payment.WalletAmount = ptr(j.amount / 4)
	}
	p := l.producers[jobRand(j).IntN(len(l.producers))]
	body := client.CreateCheckoutJSONRequestBody{OrderId: key, CustomerId: cu.id, Currency: "KRW", Amount: j.amount,
		Items: []client.CheckoutItem{{ProducerId: p, Amount: j.amount}}, Payment: payment}
	out, status, ok := l.send(ctx, jobPoints, key, start, func(ctx context.Context) (*http.Response, error) {
		return l.c.api.CreateCheckout(ctx, &client.CreateCheckoutParams{IdempotencyKey: key}, body, client.Bearer(l.c.appKey))
	})
	if ok && status == "succeeded" {
		// Refund jobs may pick it: a refund gives the points part back.
		l.mu.Lock()
		l.paid = append(l.paid, paidPayment{id: out.body["id"].(string), amount: j.amount, producers: []string{p}})
		l.mu.Unlock()
	}
}

func jobRand(j job) *rand.Rand { return rand.New(rand.NewPCG(j.seed, 0x9017)) }
