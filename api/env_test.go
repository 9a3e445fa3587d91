package api

import (
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/paysaga/paysaga/testenv"
)

func envPool(t testing.TB) *pgxpool.Pool { return testenv.Pool(t) }

func envTemporalAddress(t testing.TB) string { return testenv.TemporalAddress(t) }
