package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/paysaga/paysaga/api"
	"github.com/paysaga/paysaga/db"
	"github.com/paysaga/paysaga/testenv"
)

func TestKeysCreateListRevoke(t *testing.T) {
	ctx := context.Background()
	dsn := testenv.Database(t)
	t.Setenv("DATABASE_URL", dsn)
	run := func(args ...string) string {
		var out bytes.Buffer
		require.NoError(t, keys(ctx, args, &out))
		return out.String()
	}

	key := strings.TrimSpace(run("create", "-role", "finance", "-name", "ledger team"))
	require.True(t, strings.HasPrefix(key, "sk_finance_"), key)

	pool, err := pgxpool.New(ctx, dsn)
	require.NoError(t, err)
	defer pool.Close()
	var stored int
	require.NoError(t, pool.QueryRow(ctx, `SELECT count(*) FROM api_keys WHERE key_hash = $1 AND position($2 in name) = 0`, api.HashKey(key), key).Scan(&stored))
	require.Equal(t, 1, stored, "stored by hash only")
	row, err := db.New(pool).GetAPIKeyByHash(ctx, api.HashKey(key))
	require.NoError(t, err)

	list := run("list")
	require.Contains(t, list, row.ID)
	require.Contains(t, list, "finance")
	require.NotContains(t, list, key, "the key is never shown again")

	require.Contains(t, run("revoke", row.ID), "revoked")
	_, err = db.New(pool).GetAPIKeyByHash(ctx, api.HashKey(key))
	require.Error(t, err, "a revoked key no longer authenticates")
	require.ErrorContains(t, keys(ctx, []string{"revoke", row.ID}, &bytes.Buffer{}), "no live key")
	require.Error(t, keys(ctx, []string{"create", "-role", "admin", "-name", "x"}, &bytes.Buffer{}))
}
