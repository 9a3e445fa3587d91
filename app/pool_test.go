package app

import (
	"context"
	"testing"
)

// PAYSAGA_DB_MAX_CONNS sizes the pool over the URL's pool_max_conns; unset,
// the URL's (or pgx's default) stays. The pool connects lazily: no server here.
func TestPoolSize(t *testing.T) {
	const url = "postgres://paysaga@127.0.0.1:1/paysaga?sslmode=disable&pool_max_conns=9"
	for _, tc := range []struct {
		maxConns int
		want     int32
	}{{0, 9}, {16, 16}} {
		p, err := newPool(context.Background(), url, tc.maxConns, nil)
		if err != nil {
			t.Fatal(err)
		}
		if got := p.Config().MaxConns; got != tc.want {
			t.Errorf("PAYSAGA_DB_MAX_CONNS=%d: pool of %d, want %d", tc.maxConns, got, tc.want)
		}
		p.Close()
	}
}
