package bench

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestMixedRunAndReport(t *testing.T) {
	call := func(d time.Duration, fail bool) func(context.Context, int) error {
		return func(context.Context, int) error {
			time.Sleep(d)
			if fail {
				return errors.New("no")
			}
			return nil
		}
	}
	r := RunMixed(t.Context(), MixedOptions{Total: 100, Workers: 4, Out: io.Discard, Ops: []Op{
		{Kind: "checkout", Weight: 6, Call: call(2*time.Millisecond, false)},
		{Kind: "topup", Weight: 3, Call: call(time.Millisecond, false)},
		{Kind: "refund", Weight: 1, Call: call(time.Millisecond, true)},
	}})
	byKind := map[string]KindStats{}
	for _, s := range r.Stats {
		byKind[s.Kind] = s
	}
	require.Equal(t, 100, byKind["all"].N)
	require.Equal(t, 60, byKind["checkout"].N, "kinds by weight")
	require.Equal(t, 30, byKind["topup"].N)
	require.Equal(t, 10, byKind["refund"].Errors)
	require.GreaterOrEqual(t, byKind["checkout"].P50MS, 2.0)

	jsonPath, htmlPath, err := WriteReport(t.TempDir(), r)
	require.NoError(t, err)
	b, err := os.ReadFile(jsonPath)
	require.NoError(t, err)
	var back MixedReport
	require.NoError(t, json.Unmarshal(b, &back))
	require.Len(t, back.Samples, 100)
	h, err := os.ReadFile(htmlPath)
	require.NoError(t, err)
	page := string(h)
	require.Contains(t, page, "<svg")
	require.Equal(t, 100+3, strings.Count(page, "<circle"), "a dot per request and per legend entry")
	require.NotContains(t, page, "<script", "self-contained, no script")
}
