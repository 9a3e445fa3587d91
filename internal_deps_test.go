package paysaga_test

// Temporary: keeps the fixed stack's modules in go.mod while the packages that
// import them are being written. Removed once they are.
import (
	_ "github.com/google/uuid"
	_ "github.com/labstack/echo/v4"
	_ "github.com/rs/zerolog"
	_ "github.com/stretchr/testify/require"
	_ "go.temporal.io/api/enums/v1"
	_ "go.temporal.io/sdk/client"
	_ "go.temporal.io/sdk/testsuite"
	_ "go.temporal.io/sdk/worker"
)
