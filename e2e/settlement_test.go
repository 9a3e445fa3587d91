package e2e

import (
	"encoding/csv"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/paysaga/paysaga/config"
	"github.com/paysaga/paysaga/providersim"
)

// settlementFixture is a payout fixture whose deliveries auto-confirm after a
// short configured window (PAYSAGA_AUTO_CONFIRM_AFTER), so the durable timer
// really runs in the worker.
func newSettlementFixture(t *testing.T) *payoutFixture {
	s := newStack(t, func(c *config.Config) { c.AutoConfirmAfter = 2 * time.Second })
	f := &payoutFixture{stack: s, prefix: "s" + uuid.NewString()[:8]}
	f.customer, f.method = s.customerWithCard(providersim.CardApprove)
	return f
}

// order checks out items by producer name without confirming anything.
func (f *payoutFixture) order(items map[string]int64) string {
	f.t.Helper()
	var total int64
	var lines []map[string]any
	for _, name := range []string{"a", "b", "c", "x"} {
		if amt, ok := items[name]; ok {
			lines = append(lines, map[string]any{"producer_id": f.id(name), "amount": amt})
			total += amt
		}
	}
	res := f.checkout(map[string]any{"order_id": orderID(), "customer_id": f.customer, "currency": "KRW", "amount": total,
		"items": lines, "payment": map[string]any{"method_id": f.method}})
	require.Equal(f.t, 201, res.Status, "%s", res.Body)
	return res.json(f.t)["id"].(string)
}

func (f *payoutFixture) item(payment, name, event string, body any) response {
	f.t.Helper()
	return f.call("POST", "/v1/payments/"+payment+"/items/"+f.id(name)+"/"+event, appKey, body, nil)
}

func (f *payoutFixture) runCycle(cycle string) map[string]any {
	f.t.Helper()
	id := f.prefix + "-" + cycle
	res := f.call("POST", "/v1/payout-schedules", financeKey, map[string]any{"id": id, "cron": "0 10 1 1 *", "cycle": cycle}, nil)
	require.Equal(f.t, 201, res.Status, "%s", res.Body)
	defer f.deleteSchedule(id)
	return f.trigger(id, 1)
}

func (f *payoutFixture) settlementOf(name, id string) map[string]any {
	f.t.Helper()
	res := f.call("GET", "/v1/producers/"+f.id(name)+"/settlements/"+id, financeKey, nil, nil)
	require.Equal(f.t, 200, res.Status, "%s", res.Body)
	return res.json(f.t)
}

// The acceptance, over HTTP: one order for three producers, all
// delivered; a confirms by API, b auto-confirms, x has no business
// registration number (held); c's item is refunded by name before its
// confirmation (the others untouched).
// The run pays a and b their shares less 3% commission and its 10% VAT,
// exactly; c nothing. A refund after settlement is a negative adjustment next
// period; a producer that nets negative is paid nothing and carries it over.
// (Three runs in one day use the daily, weekly and monthly cycles: three
// periods.)
func TestSettlementOnPurchaseConfirmation(t *testing.T) {
	f := newSettlementFixture(t)
	f.producer("a", "1100000001")
	f.producer("b", "1100000002")
	f.producer("c", "1100000003")
	res := f.call("POST", "/v1/producers", financeKey, map[string]any{"id": f.id("x"), "name": "x", "settlement_days": 0,
		"bank_account": map[string]any{"bank_code": "004", "account_number": "1100000004", "holder_name": "홍길동"}}, nil)
	require.Equal(t, 201, res.Status, "%s", res.Body)
	require.Equal(t, false, res.json(t)["onboarding_complete"])
	bad := f.call("POST", "/v1/producers", financeKey, map[string]any{"id": f.id("y"), "name": "y", "business_registration_number": "123-45-67890",
		"bank_account": map[string]any{"bank_code": "004", "account_number": "1100000005", "holder_name": "홍길동"}}, nil)
	require.Equal(t, 422, bad.Status, "%s", bad.Body)
	require.Contains(t, string(bad.Body), "invalid_business_registration_number")

	pay := f.order(map[string]int64{"a": 10_000, "b": 20_000, "c": 8_000, "x": 10_000})
	for _, name := range []string{"a", "b", "c", "x"} {
		res := f.item(pay, name, "delivered", nil)
		require.Equal(t, 200, res.Status, "%s", res.Body)
		require.Equal(t, "delivered", res.json(t)["status"])
	}

	// a: the buyer confirms; twice answers the first confirmation.
	first := f.item(pay, "a", "confirm", nil)
	require.Equal(t, 200, first.Status, "%s", first.Body)
	conf := first.json(t)
	require.Equal(t, "confirmed", conf["status"])
	require.Equal(t, "buyer", conf["confirmed_by"])
	require.EqualValues(t, 300, conf["commission"])
	require.EqualValues(t, 30, conf["commission_vat"])
	require.EqualValues(t, 9_670, conf["net"])
	confirmedAt, err := time.Parse(time.RFC3339Nano, conf["confirmed_at"].(string))
	require.NoError(t, err)
	due, err := time.Parse(time.RFC3339Nano, conf["due_at"].(string))
	require.NoError(t, err)
	require.Equal(t, 20*24*time.Hour, due.Sub(confirmedAt), "due PAYSAGA_SETTLEMENT_DEADLINE_DAYS after confirmation")
	again := f.item(pay, "a", "confirm", map[string]any{"occurred_at": time.Now().UTC().Format(time.RFC3339Nano)})
	require.Equal(t, 200, again.Status)
	require.JSONEq(t, string(first.Body), string(again.Body), "the first confirmation, unchanged")
	require.Equal(t, 1, f.rows(`SELECT count(*) FROM journal_transactions WHERE kind = 'sale_confirmation' AND payment_id = $1`, pay))
	require.Equal(t, 200, f.item(pay, "x", "confirm", nil).Status)

	// c: its item is refunded by name before confirmation; it leaves
	// settlement, and nothing of a, b or x moves.
	pendingBefore := f.balance("producer:" + f.id("b") + ":pending")
	res = f.call("POST", "/v1/payments/"+pay+"/refunds", appKey, map[string]any{"items": []any{map[string]any{"producer_id": f.id("c")}}, "reason": "c's box was damaged"},
		map[string]string{"Idempotency-Key": "rf-c-" + pay})
	require.Equal(t, 201, res.Status, "%s", res.Body)
	require.EqualValues(t, 8_000, res.json(t)["refund"].(map[string]any)["amount"])
	require.Zero(t, f.balance("producer:"+f.id("c")+":pending"))
	require.Equal(t, pendingBefore, f.balance("producer:"+f.id("b")+":pending"), "the other items are untouched")
	require.EqualValues(t, -9_670, f.balance("producer:"+f.id("a")+":payable"), "a's confirmed share untouched")

	// Delivered twice answers the first report.
	d1 := f.item(pay, "b", "delivered", nil)
	d2 := f.item(pay, "b", "delivered", map[string]any{"occurred_at": time.Now().UTC().Format(time.RFC3339Nano)})
	require.Equal(t, 200, d2.Status, "%s", d2.Body)
	require.Equal(t, d1.json(t)["delivered_at"], d2.json(t)["delivered_at"], "the first delivery report wins")

	// Bad input: a 4xx with a stable code, and nothing changes.
	created, err := time.Parse(time.RFC3339Nano, f.call("GET", "/v1/payments/"+pay, appKey, nil, nil).json(t)["created_at"].(string))
	require.NoError(t, err)
	declinedCustomer, declinedMethod := f.customerWithCard(providersim.CardDecline)
	res = f.checkout(map[string]any{"order_id": orderID(), "customer_id": declinedCustomer, "currency": "KRW", "amount": 1_000,
		"items": []map[string]any{{"producer_id": f.id("a"), "amount": 1_000}}, "payment": map[string]any{"method_id": declinedMethod}})
	require.Equal(t, "failed", res.json(t)["status"], "%s", res.Body)
	declined := res.json(t)["id"].(string)
	journals := f.rows(`SELECT count(*) FROM journal_transactions`)
	for name, c := range map[string]struct {
		payment, producer, event string
		body                     any
		status                   int
		code                     string
	}{
		"unknown item":            {pay, "nobody", "confirm", nil, 404, "item_not_found"},
		"unknown payment":         {"pay_nope", "a", "confirm", nil, 404, "payment_not_found"},
		"delivered after confirm": {pay, "a", "delivered", nil, 409, "item_already_confirmed"},
		"confirm a refunded item": {pay, "c", "confirm", nil, 409, "item_refunded"},
		"timestamp in the future": {pay, "b", "confirm", map[string]any{"occurred_at": time.Now().Add(time.Hour).UTC().Format(time.RFC3339)}, 422, "timestamp_in_future"},
		"before the payment":      {pay, "b", "confirm", map[string]any{"occurred_at": "2020-01-01T00:00:00Z"}, 422, "timestamp_before_payment"},
		"unknown field":           {pay, "b", "confirm", map[string]any{"at": "2020-01-01T00:00:00Z"}, 400, "unknown_field"},
		"not a timestamp":         {pay, "b", "confirm", map[string]any{"occurred_at": "yesterday"}, 400, "invalid_field_type"},
		"confirmed before delivery": {pay, "b", "confirm", map[string]any{"occurred_at": created.Add(time.Millisecond).Format(time.RFC3339Nano)},
			422, "timestamp_before_delivery"},
		"delivered in the future": {pay, "b", "delivered", map[string]any{"occurred_at": time.Now().Add(time.Hour).UTC().Format(time.RFC3339)}, 422, "timestamp_in_future"},
		"an item never captured":  {declined, "a", "confirm", nil, 409, "item_not_captured"},
	} {
		id := f.id(c.producer)
		if c.producer == "nobody" {
			id = "nobody"
		}
		res := f.call("POST", "/v1/payments/"+c.payment+"/items/"+id+"/"+c.event, appKey, c.body, nil)
		require.Equal(t, c.status, res.Status, "%s: %s", name, res.Body)
		require.Equal(t, c.code, res.json(t)["code"], name)
	}
	require.Equal(t, journals, f.rows(`SELECT count(*) FROM journal_transactions`), "rejected events book nothing")
	require.Equal(t, 0, f.rows(`SELECT count(*) FROM payment_items WHERE payment_id = $1 AND producer_id = $2 AND confirmed_at IS NOT NULL`, pay, f.id("b")))

	// b: auto-confirmed by the fulfilment workflow's timer, no API call.
	require.Eventually(t, func() bool {
		return f.rows(`SELECT count(*) FROM payment_items WHERE payment_id = $1 AND producer_id = $2 AND confirmed_by = 'auto'`, pay, f.id("b")) == 1
	}, 30*time.Second, 200*time.Millisecond, "b auto-confirms 2s after delivery")
	// c's timer found nothing to confirm (refunded) and ended.
	time.Sleep(2500 * time.Millisecond)
	require.Equal(t, 0, f.rows(`SELECT count(*) FROM payment_items WHERE payment_id = $1 AND producer_id = $2 AND confirmed_at IS NOT NULL`, pay, f.id("c")))

	// Run 1: a 10,000 - 300 - 30; b 20,000 - 600 - 60; c nothing; x held.
	run := f.runCycle("daily")
	p1 := run["period"].(string)
	require.Equal(t, map[string]int64{
		"payout:" + f.id("a") + ":" + p1: 9_670,
		"payout:" + f.id("b") + ":" + p1: 19_340,
	}, f.transfers(), "exactly the confirmed shares less commission and VAT, once each")
	got := payouts(run)
	require.Equal(t, "held", got[f.id("x")]["status"])
	require.Equal(t, "business_registration_missing", got[f.id("x")]["reason"])
	require.NotContains(t, got, f.id("c"))

	st := f.settlementOf("a", "payout-"+f.id("a")+"-"+p1)
	require.EqualValues(t, 10_000, st["gross_sales"])
	require.EqualValues(t, 300, st["commission"])
	require.EqualValues(t, 30, st["commission_vat"])
	require.EqualValues(t, 0, st["carried_over"])
	require.EqualValues(t, 9_670, st["net_paid"])
	lines := st["lines"].([]any)
	require.Len(t, lines, 1)
	require.Equal(t, conf["due_at"], lines[0].(map[string]any)["due_at"])

	// After settlement, 8,000 of the order is refunded by item: 2,000 of a,
	// 4,000 of b, 2,000 of x, each with its share of commission and VAT.
	res = f.call("POST", "/v1/payments/"+pay+"/refunds", appKey, map[string]any{"amount": 8_000, "items": []any{
		map[string]any{"producer_id": f.id("a"), "amount": 2_000}, map[string]any{"producer_id": f.id("b"), "amount": 4_000},
		map[string]any{"producer_id": f.id("x"), "amount": 2_000}}}, map[string]string{"Idempotency-Key": "rf-" + pay})
	require.Equal(t, 201, res.Status, "%s", res.Body)
	// More than is left of c's item (nothing): 422, nothing claimed.
	res = f.call("POST", "/v1/payments/"+pay+"/refunds", appKey, map[string]any{"items": []any{map[string]any{"producer_id": f.id("c"), "amount": 1}}},
		map[string]string{"Idempotency-Key": "rf-c2-" + pay})
	require.Equal(t, 422, res.Status, "%s", res.Body)
	require.Equal(t, "refund_exceeds_item_remaining", res.json(t)["code"])
	// b sells 10,000 more, confirmed; a sells nothing: it nets negative.
	more := f.order(map[string]int64{"b": 10_000})
	require.Equal(t, 200, f.item(more, "b", "confirm", nil).Status)

	run = f.runCycle("weekly")
	p2 := run["period"].(string)
	require.EqualValues(t, 9_670-3_868, f.transfers()["payout:"+f.id("b")+":"+p2], "new sale less the refund's adjustment")
	require.NotContains(t, f.transfers(), "payout:"+f.id("a")+":"+p2, "a negative period is paid nothing, never debited")
	st = f.settlementOf("b", "payout-"+f.id("b")+"-"+p2)
	require.EqualValues(t, 10_000, st["gross_sales"])
	require.EqualValues(t, 4_000, st["refunds"])
	require.EqualValues(t, 300-120, st["commission"])
	require.EqualValues(t, 30-12, st["commission_vat"])
	require.EqualValues(t, -3_868, st["adjustments"])
	require.EqualValues(t, 5_802, st["net_paid"])
	carry := f.settlementOf("a", "payout-"+f.id("a")+"-"+p2)
	require.Equal(t, "carried_over", carry["status"])
	require.EqualValues(t, -1_934, carry["carried_over"])
	require.EqualValues(t, 0, carry["net_paid"])

	// Run 3: a sells 5,000 (net 4,835) and is paid it less the carried 1,934.
	sale := f.order(map[string]int64{"a": 5_000})
	require.Equal(t, 200, f.item(sale, "a", "confirm", nil).Status)
	run = f.runCycle("monthly")
	p3 := run["period"].(string)
	require.EqualValues(t, 4_835-1_934, f.transfers()["payout:"+f.id("a")+":"+p3])
	st = f.settlementOf("a", "payout-"+f.id("a")+"-"+p3)
	require.EqualValues(t, 5_000, st["gross_sales"])
	require.EqualValues(t, -1_934, st["carried_over"], "shown on the next statement")
	require.EqualValues(t, 2_901, st["net_paid"])

	// The CSV says the same, to the won.
	res = f.call("GET", "/v1/producers/"+f.id("a")+"/settlements/payout-"+f.id("a")+"-"+p3+"?format=csv", financeKey, nil, nil)
	require.Equal(t, 200, res.Status, "%s", res.Body)
	require.Contains(t, res.Header.Get("Content-Type"), "text/csv")
	recs, err := csv.NewReader(strings.NewReader(string(res.Body))).ReadAll()
	require.NoError(t, err)
	require.Equal(t, []string{"payout-" + f.id("a") + "-" + p3, "total"}, recs[len(recs)-1][:2])
	require.Equal(t, "2901", recs[len(recs)-1][9])
	var sum int64
	for _, r := range recs[1 : len(recs)-1] {
		if r[10] == "true" {
			continue // booked in the carried-over period: counted in the carried_over line
		}
		var n int64
		for _, ch := range strings.TrimPrefix(r[9], "-") {
			n = n*10 + int64(ch-'0')
		}
		if strings.HasPrefix(r[9], "-") {
			n = -n
		}
		sum += n
	}
	require.EqualValues(t, 2_901, sum, "lines and carry-over add up to what was paid")

	// Statements match the ledger: every producer's payable is what the runs left.
	require.Zero(t, f.balance("producer:"+f.id("a")+":payable"))
	require.Zero(t, f.balance("producer:"+f.id("b")+":payable"))
	f.requireLedgerBalanced()

	// The month's tax-invoice data sums to the commission and VAT booked.
	month := time.Now().In(seoul(t)).Format("2006-01")
	inv := f.call("GET", "/v1/commission-invoices?month="+month, financeKey, nil, nil)
	require.Equal(t, 200, inv.Status, "%s", inv.Body)
	var supply, vat int64
	for _, i := range inv.json(t)["invoices"].([]any) {
		m := i.(map[string]any)
		supply += int64(m["supply_amount"].(float64))
		vat += int64(m["vat"].(float64))
		if m["producer_id"] == f.id("a") {
			require.Equal(t, "1234567891", m["business_registration_number"])
			require.EqualValues(t, 300-60+150, m["supply_amount"])
		}
	}
	require.Equal(t, -f.balance("revenue:fees"), supply)
	require.Equal(t, -f.balance("vat:payable"), vat)
	require.Equal(t, 422, f.call("GET", "/v1/commission-invoices?month=2026-13", financeKey, nil, nil).Status)
}
