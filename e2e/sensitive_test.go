package e2e

import (
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"go.temporal.io/api/workflowservice/v1"

	"github.com/paysaga/paysaga/providersim"
)

// Secrets this test feeds in, which must surface nowhere paysaga keeps data.
const (
	scanAccount = "110987654321"
	scanCVC     = "737"
	// scanProducerAccount is a producer's payout account number.
	scanProducerAccount = "220987654321"
)

// After card and bank-account registrations, checkouts and a refund, nothing
// sensitive is at rest: no Luhn-valid card number, CVC or full account number in
// the database, the logs (debug level) or the Temporal histories read raw.
func TestNoSensitiveDataInDatabaseLogsOrHistories(t *testing.T) {
	s := newStack(t)
	cards := []string{providersim.CardApprove, providersim.CardApproveCheck, providersim.CardDecline, providersim.CardCaptureFails}
	for _, card := range cards {
		cus, pm := s.customerWithCardCVC(card, scanCVC)
		res := s.checkout(checkoutBody(cus, pm, orderID()))
		require.Equal(t, 201, res.Status, "%s", res.Body)
		if res.json(t)["status"] == "succeeded" {
			pay := res.json(t)["id"].(string)
			r := s.call("POST", "/v1/payments/"+pay+"/refunds", appKey, map[string]any{"amount": 1000}, map[string]string{"Idempotency-Key": "rf-" + pay})
			require.Equal(t, 201, r.Status, "%s", r.Body)
		}
	}
	res := s.call("POST", "/v1/customers", appKey, map[string]any{"external_id": "scan-bank", "name": "홍길동"}, nil)
	require.Equal(t, 201, res.Status)
	cus := res.json(t)["id"].(string)
	res = s.call("POST", "/v1/customers/"+cus+"/payment-methods", appKey, map[string]any{"type": "bank_account",
		"bank_account": map[string]any{"bank_code": "088", "account_number": scanAccount, "holder_name": "홍길동"}}, nil)
	require.Equal(t, 201, res.Status, "%s", res.Body)
	res = s.checkout(checkoutBody(cus, res.json(t)["id"].(string), orderID()))
	// Billed through the firm-banking connector, whose billing key is the
	// account itself: sealed in the database, encrypted in histories.
	require.Equal(t, "succeeded", res.json(t)["status"], "%s", res.Body)

	// Identity verification (CI/DI from the provider), a top-up from a bank
	// account and a split wallet + card checkout.
	walletCus, bankMethod := s.walletCustomer(1_000_000)
	s.verify(walletCus)
	require.Equal(t, 201, s.topUp(walletCus, bankMethod, 20_000).Status)
	card := s.addCard(walletCus, providersim.CardApprove)
	res = s.checkout(walletCheckoutBody(walletCus, orderID(), 15_000, map[string]any{"method_id": card, "wallet_amount": 5_000}))
	require.Equal(t, "succeeded", res.json(t)["status"], "%s", res.Body)
	// A producer's payout account.
	res = s.call("POST", "/v1/producers", financeKey, map[string]any{"id": "scan-farm", "name": "scan farm", "business_registration_number": "1234567891",
		"bank_account": map[string]any{"bank_code": "004", "account_number": scanProducerAccount, "holder_name": "홍길동"}}, nil)
	require.Equal(t, 201, res.Status, "%s", res.Body)
	ci, di := providersim.PersonIDs("홍길동", "19900101", "01012345678")
	var walletAccount string
	require.NoError(t, s.pool.QueryRow(s.ctx, `SELECT account_last4 FROM payment_methods WHERE id = $1`, bankMethod).Scan(&walletAccount))

	places := map[string]string{
		"database":  s.databaseDump(),
		"logs":      s.logs.String(),
		"histories": s.allRawHistories(),
	}
	require.Contains(t, places["logs"], "/v1/checkouts", "the logs were captured")
	require.Contains(t, places["database"], "ledger_posted", "the database was read")
	for where, text := range places {
		for _, card := range cards {
			require.NotContains(t, text, card, "card number in %s", where)
		}
		require.Empty(t, luhnNumbers(text), "Luhn-valid card-like numbers in %s", where)
		require.NotContains(t, text, scanAccount, "full account number in %s", where)
		require.NotContains(t, text, scanProducerAccount, "producer's account number in %s", where)
		require.NotContains(t, text, ci, "CI in %s", where)
		require.NotContains(t, text, di, "DI in %s", where)
		require.NotRegexp(t, `110\d{5}`+walletAccount, text, "the wallet's account number in %s", where)
		require.NotRegexp(t, `(?i)"(cvc|cvv)"`, text, "a CVC field in %s", where)
	}
}

// customerWithCardCVC is customerWithCard with a chosen CVC.
func (s *stack) customerWithCardCVC(card, cvc string) (customerID, methodID string) {
	s.t.Helper()
	res := s.call("POST", "/v1/customers", appKey, map[string]any{"external_id": "ext-" + orderID(), "name": "김고객"}, nil)
	require.Equal(s.t, 201, res.Status, "%s", res.Body)
	customerID = res.json(s.t)["id"].(string)
	authKey, err := s.sim.Tokenize(s.ctx, providersim.Card{Number: card, ExpiryMonth: "12", ExpiryYear: "2030", CVC: cvc})
	require.NoError(s.t, err)
	res = s.call("POST", "/v1/customers/"+customerID+"/payment-methods", appKey, map[string]any{"type": "card", "pg_auth_key": authKey}, nil)
	require.Equal(s.t, 201, res.Status, "%s", res.Body)
	return customerID, res.json(s.t)["id"].(string)
}

// databaseDump is every row of every table in the public schema, as text;
// bytea columns (JSON bodies, details) are decoded so their content is scanned,
// not its hex.
func (s *stack) databaseDump() string {
	s.t.Helper()
	rows, err := s.pool.Query(s.ctx, `
		SELECT table_name, string_agg(CASE WHEN data_type = 'bytea'
		         THEN format('encode(%I, ''escape'')', column_name)
		         ELSE format('%I::text', column_name) END, ', ' ORDER BY ordinal_position)
		FROM information_schema.columns WHERE table_schema = 'public'
		GROUP BY table_name ORDER BY 1`)
	require.NoError(s.t, err)
	selects := map[string]string{}
	var tables []string
	for rows.Next() {
		var name, cols string
		require.NoError(s.t, rows.Scan(&name, &cols))
		tables = append(tables, name)
		selects[name] = cols
	}
	require.NoError(s.t, rows.Err())
	var b strings.Builder
	for _, table := range tables {
		rows, err := s.pool.Query(s.ctx, fmt.Sprintf(`SELECT concat_ws(' | ', %s) FROM %q`, selects[table], table))
		require.NoError(s.t, err)
		for rows.Next() {
			var line string
			require.NoError(s.t, rows.Scan(&line))
			b.WriteString(table + " " + line + "\n")
		}
		require.NoError(s.t, rows.Err())
	}
	return b.String()
}

// allRawHistories is every history on this stack's task queue, undecoded.
func (s *stack) allRawHistories() string {
	s.t.Helper()
	var b strings.Builder
	var token []byte
	for {
		res, err := s.app.Temporal.ListWorkflow(s.ctx, &workflowservice.ListWorkflowExecutionsRequest{
			Namespace: s.app.Config.TemporalNamespace, Query: fmt.Sprintf("TaskQueue = %q", s.app.Config.TaskQueue), NextPageToken: token,
		})
		require.NoError(s.t, err)
		for _, e := range res.Executions {
			b.WriteString(s.rawHistory(e.Execution.WorkflowId))
		}
		if token = res.NextPageToken; len(token) == 0 {
			break
		}
	}
	require.NotEmpty(s.t, b.String())
	return b.String()
}

// digitRun is a 13-19 digit number standing on its own: random hex ids (event
// ids, keys) hold digit runs too, and one in ten passes Luhn by chance. The test
// cards themselves are also looked for anywhere, embedded or not.
var digitRun = regexp.MustCompile(`(?:^|[^0-9A-Za-z])(\d{13,19})(?:[^0-9A-Za-z]|$)`)

// luhnNumbers finds stand-alone 13-19 digit numbers that pass the Luhn check (card-like).
func luhnNumbers(text string) []string {
	var out []string
	for _, m := range digitRun.FindAllStringSubmatch(text, -1) {
		if luhn(m[1]) {
			out = append(out, m[1])
		}
	}
	return out
}

func luhn(number string) bool {
	sum, double := 0, false
	for i := len(number) - 1; i >= 0; i-- {
		d := int(number[i] - '0')
		if double {
			if d *= 2; d > 9 {
				d -= 9
			}
		}
		sum += d
		double = !double
	}
	return sum%10 == 0
}
