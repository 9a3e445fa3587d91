// Package replay holds workflow histories recorded from real runs (testdata/)
// and replays them against the current workflow code in make test, so a change
// that would break a running workflow (non-determinism) fails CI. Re-record
// with `go run ./cmd/paysaga services -- go test ./replay -run TestRecord -record`.
package replay
