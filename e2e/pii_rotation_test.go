package e2e

import (
	"encoding/hex"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"
	enumspb "go.temporal.io/api/enums/v1"

	"github.com/paysaga/paysaga/activities"
	"github.com/paysaga/paysaga/app"
	"github.com/paysaga/paysaga/config"
	"github.com/paysaga/paysaga/pii"
	"github.com/paysaga/paysaga/providersim"
	"github.com/paysaga/paysaga/testenv"
	"github.com/paysaga/paysaga/worker"
	"github.com/paysaga/paysaga/workflows"
)

const newPIISecret = "e2e-rotated-pii-sealing-key-0123456789"

// TestPIIKeyRotationReSealsEveryRow seals PII under the old key (a card's and
// a bank account's billing keys, a bank account number, a webhook secret, 40
// producers' account numbers), rotates to a new key and runs the re-sealing
// workflow in batches of 2, continuing as new every 4 batches, over a worker that is stopped mid-run and replaced.
// Afterwards every sealed value opens under the new key alone with the same
// clear text (the old key can be retired), none is in clear in a pg_dump, and
// a checkout charges the stored card through an API and worker that no longer
// have the old key.
func TestPIIKeyRotationReSealsEveryRow(t *testing.T) {
	s := newStack(t)
	cus, pm := s.customerWithCard(providersim.CardApprove)
	const account = "1100223344556"
	require.NoError(t, s.sim.SetBankAccount(s.ctx, providersim.BankAccount{BankCode: "088", AccountNumber: account, HolderName: "홍길동", Balance: 1_000_000}))
	res := s.call("POST", "/v1/customers/"+cus+"/payment-methods", appKey, map[string]any{"type": "bank_account",
		"bank_account": map[string]any{"bank_code": "088", "account_number": account, "holder_name": "홍길동"}}, nil)
	require.Equal(t, 201, res.Status, "%s", res.Body)
	hooks := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(204) }))
	t.Cleanup(hooks.Close)
	s.registerEndpoint(hooks.URL)
	for i := 0; i < 40; i++ {
		box, err := s.app.PII.Seal(fmt.Sprintf("99000%08d", i))
		require.NoError(t, err)
		_, err = s.pool.Exec(s.ctx, `INSERT INTO producers (id, name, bank_code, account_sealed, account_last4, holder_name, fee_bps, settlement_days)
			VALUES ($1, 'p', '088', $2, '0000', '홍길동', 0, 0)`, fmt.Sprintf("rot-%02d", i), box)
		require.NoError(t, err)
	}
	before := sealedValues(t, s, s.app.PII)
	require.GreaterOrEqual(t, len(before), 44, "40 producers, a bank account number, two billing keys, a webhook secret")
	for _, v := range before {
		require.Equal(t, pii.DefaultKeyID, v.keyID)
	}

	// The rotation: every process gets the keyring "v1 (active), v0".
	rotated := s.app.Config
	rotated.PIISealKeys = "v1:" + newPIISecret + ",v0:" + s.app.Config.PIIKey
	rotated.TaskQueue = "e2e-reseal-" + uuid.NewString()
	w1, stopW1 := startWorker(t, s, rotated)
	run, err := worker.StartPIIReseal(s.ctx, w1.Temporal, rotated.TaskQueue, "v1", 2, 4)
	require.NoError(t, err)
	require.Eventually(t, func() bool { return countUnder(t, s, "v1") >= 6 }, time.Minute, 20*time.Millisecond, "some batches done")
	stopW1() // the worker goes away mid-run
	moved := countUnder(t, s, "v1")
	require.Less(t, moved, len(before), "stopped before the end")
	desc, err := s.app.Temporal.DescribeWorkflowExecution(s.ctx, run.GetID(), "")
	require.NoError(t, err)
	require.Equal(t, enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING, desc.WorkflowExecutionInfo.Status)
	time.Sleep(300 * time.Millisecond)
	require.Equal(t, moved, countUnder(t, s, "v1"), "nothing moves without a worker")

	w2, _ := startWorker(t, s, rotated) // the replacement resumes from the workflow's cursor
	var totals workflows.PIIResealTotals
	require.NoError(t, w2.Temporal.GetWorkflow(s.ctx, run.GetID(), "").Get(s.ctx, &totals))
	t.Logf("re-sealing: %+v (%d moved before the stop)", totals, moved)
	desc, err = w2.Temporal.DescribeWorkflowExecution(s.ctx, run.GetID(), "")
	require.NoError(t, err)
	require.NotEqual(t, run.GetRunID(), desc.WorkflowExecutionInfo.Execution.RunId, "it continued as new")
	require.Equal(t, len(before), totals.Resealed, "each value re-sealed exactly once")
	for table, n := range totals.Stale {
		require.Zero(t, n, table)
	}

	// The old key retired: only v1 is configured, and every value opens to what it was.
	retired := rotated
	retired.PIISealKeys = "v1:" + newPIISecret
	keys, err := retired.PIIKeys()
	require.NoError(t, err)
	after := sealedValues(t, s, keys)
	require.Len(t, after, len(before))
	for k, v := range before {
		require.Equal(t, "v1", after[k].keyID, k)
		require.Equal(t, v.clear, after[k].clear, k)
	}
	requireDumpHasNoClear(t, s, append([]string{account}, clearTexts(before)...))

	// A checkout with the stored card through an API and worker with v1 only.
	retired.TaskQueue = "e2e-retired-" + uuid.NewString()
	a, err := app.Start(s.ctx, retired, app.NewLogger(&testenv.Logs{}, "info"), app.Parts{API: true, Worker: true})
	require.NoError(t, err)
	t.Cleanup(a.Close)
	order := orderID()
	srv := httptest.NewServer(a.HTTP)
	t.Cleanup(srv.Close)
	require.Equal(t, 201, postJSON(t, srv.URL+"/v1/checkouts", checkoutBody(cus, pm, order)))
	s.requireChargedOnce(order, 15000)
}

type sealedValue struct{ keyID, clear string }

// sealedValues opens every sealed value of every sealed table with keys,
// keyed by table, row and column.
func sealedValues(t *testing.T, s *stack, keys *pii.Keys) map[string]sealedValue {
	t.Helper()
	out := map[string]sealedValue{}
	for _, tb := range activities.SealedTables {
		rows, err := s.pool.Query(s.ctx, fmt.Sprintf("SELECT concat_ws('/', %s), %s FROM %s",
			strings.Join(tb.Keys, "::text, "), strings.Join(tb.Sealed, ", "), tb.Name))
		require.NoError(t, err)
		for rows.Next() {
			var key string
			boxes := make([][]byte, len(tb.Sealed))
			dest := []any{&key}
			for i := range boxes {
				dest = append(dest, &boxes[i])
			}
			require.NoError(t, rows.Scan(dest...))
			for i, b := range boxes {
				if b == nil {
					continue
				}
				clear, err := keys.Open(b)
				require.NoError(t, err, "%s %s", tb.Name, key)
				out[tb.Name+"/"+key+"/"+tb.Sealed[i]] = sealedValue{keyID: keys.KeyID(b), clear: clear}
			}
		}
		require.NoError(t, rows.Err())
	}
	return out
}

// countUnder counts the producers' account numbers sealed under keyID (by the
// header; the batches walk that table in key order).
func countUnder(t *testing.T, s *stack, keyID string) int {
	head := append([]byte{0x00, 'p', 'k', byte(len(keyID))}, keyID...)
	return s.rows(`SELECT count(*) FROM producers WHERE substring(account_sealed FROM 1 FOR $1) = $2`, len(head), head)
}

func clearTexts(vs map[string]sealedValue) []string {
	var out []string
	for _, v := range vs {
		out = append(out, v.clear)
	}
	return out
}

func requireDumpHasNoClear(t *testing.T, s *stack, secrets []string) {
	t.Helper()
	if _, err := exec.LookPath("pg_dump"); err != nil {
		t.Log("pg_dump is not installed: dump not checked")
		return
	}
	out, err := exec.CommandContext(s.ctx, "pg_dump", "--data-only", "--dbname", s.app.Config.DatabaseURL).Output()
	require.NoError(t, err)
	dump := string(out)
	for _, secret := range secrets {
		require.NotContains(t, dump, secret)
		require.NotContains(t, dump, hex.EncodeToString([]byte(secret)))
	}
}

// startWorker runs a worker only (no API) with cfg over the stack's database;
// the returned function stops it (once; the test's cleanup too).
func startWorker(t *testing.T, s *stack, cfg config.Config) (*app.App, func()) {
	t.Helper()
	a, err := app.Start(s.ctx, cfg, app.NewLogger(&testenv.Logs{}, "info"), app.Parts{Worker: true})
	require.NoError(t, err)
	var once sync.Once
	stop := func() { once.Do(a.Close) }
	t.Cleanup(stop)
	return a, stop
}

// TestResealBatchIsAllOrNothingAndIdempotent: a batch that fails on one row
// (a value no configured key opens) moves none of its rows; once the row is
// gone the batch moves them all, and running it again moves nothing.
func TestResealBatchIsAllOrNothingAndIdempotent(t *testing.T) {
	s := newStack(t)
	stranger, err := pii.NewRing(s.app.Config.PIIKey, []pii.SealKey{{ID: "vX", Secret: strings.Repeat("x", 32)}})
	require.NoError(t, err)
	for i := 0; i < 5; i++ {
		keys := s.app.PII
		if i == 3 {
			keys = stranger
		}
		box, err := keys.Seal(fmt.Sprintf("99100%08d", i))
		require.NoError(t, err)
		_, err = s.pool.Exec(s.ctx, `INSERT INTO producers (id, name, bank_code, account_sealed, account_last4, holder_name, fee_bps, settlement_days)
			VALUES ($1, 'p', '088', $2, '0000', '홍길동', 0, 0)`, fmt.Sprintf("all-%02d", i), box)
		require.NoError(t, err)
	}
	cfg := s.app.Config
	cfg.PIISealKeys = "v1:" + newPIISecret + ",v0:" + cfg.PIIKey
	keys, err := cfg.PIIKeys()
	require.NoError(t, err)
	r := &activities.Reseal{Pool: s.pool, Keys: keys}
	in := activities.ResealBatchInput{KeyID: "v1", Table: "producers", Limit: 10}

	_, err = r.ResealBatch(s.ctx, in)
	require.Error(t, err, "all-03 opens under no configured key")
	require.Zero(t, countUnder(t, s, "v1"), "the batch rolled back: none moved")

	_, err = s.pool.Exec(s.ctx, `DELETE FROM producers WHERE id = 'all-03'`)
	require.NoError(t, err)
	res, err := r.ResealBatch(s.ctx, in)
	require.NoError(t, err)
	require.Equal(t, activities.ResealBatchResult{Next: []string{"all-04"}, Scanned: 4, Resealed: 4, Done: true}, res)
	require.Equal(t, 4, countUnder(t, s, "v1"))
	res, err = r.ResealBatch(s.ctx, in)
	require.NoError(t, err)
	require.Zero(t, res.Resealed, "a retried batch seals nothing twice")

	_, err = (&activities.Reseal{Pool: s.pool, Keys: s.app.PII}).ResealBatch(s.ctx, in)
	require.ErrorContains(t, err, "seals under", "a worker on the old keyring refuses the run")
}

// TestSealedTablesListEverySealedColumn: a new *_sealed column must be added
// to activities.SealedTables, or a rotation would leave it under the old key.
func TestSealedTablesListEverySealedColumn(t *testing.T) {
	s := newStack(t)
	rows, err := s.pool.Query(s.ctx, `SELECT table_name || '.' || column_name FROM information_schema.columns
		WHERE table_schema = current_schema() AND column_name LIKE '%\_sealed' ORDER BY 1`)
	require.NoError(t, err)
	var inDB []string
	for rows.Next() {
		var c string
		require.NoError(t, rows.Scan(&c))
		inDB = append(inDB, c)
	}
	require.NoError(t, rows.Err())
	var listed []string
	for _, tb := range activities.SealedTables {
		for _, c := range tb.Sealed {
			listed = append(listed, tb.Name+"."+c)
		}
	}
	require.ElementsMatch(t, inDB, listed)
}
