#!/usr/bin/env bash
# Runs every test with the race detector and prints the counts: all tests, and
# the end-to-end tests on their own. Run under `paysaga services` (make test).
set -euo pipefail
cd "$(dirname "$0")/.."
go build -o .bin/testsummary ./scripts/testsummary
# The api and e2e tests write the operations they exercised here (api/contract).
export PAYSAGA_OPENAPI_COVERAGE="$PWD/.paysaga/openapi-coverage"
rm -rf "$PAYSAGA_OPENAPI_COVERAGE"
summary=$(mktemp)
trap 'rm -f "$summary"' EXIT
set +e
go test -race -count=1 -json -timeout 20m ./... | .bin/testsummary -e2e github.com/paysaga/paysaga/e2e | tee "$summary"
codes=("${PIPESTATUS[@]}")
set -e
if [ "${codes[0]}" -ne 0 ] || [ "${codes[1]}" -ne 0 ]; then
  exit 1
fi
# Every operation in api/openapi.yaml exercised by a validated test; then the
# counts again, so they stay the run's closing lines.
set +e
scripts/openapi-coverage.sh "$PAYSAGA_OPENAPI_COVERAGE"
cov=$?
set -e
grep -E '^(tests|e2e): [0-9]+ passed' "$summary"
exit "$cov"
