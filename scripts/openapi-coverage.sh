#!/usr/bin/env bash
# Joins the operations the api and e2e tests exercised through the contract
# checker (files written by contract.Report into $1) and fails unless every
# operationId in api/openapi.yaml was exercised by at least one validated test.
set -euo pipefail
cd "$(dirname "$0")/.."
dir=${1:?coverage folder}
all=$(grep -oE '^ +operationId: [A-Za-z0-9]+' api/openapi.yaml | awk '{print $2}' | sort -u)
covered=$(cat "$dir"/*.txt 2>/dev/null | sort -u)
missing=$(comm -23 <(echo "$all") <(echo "$covered"))
total=$(echo "$all" | wc -l)
n=$((total - $(echo -n "$missing" | grep -c . || true)))
echo "openapi: $n/$total operations exercised by a validated test ($((100 * n / total))%)"
if [ -n "$missing" ]; then
  echo "openapi: not exercised by any test: $(echo $missing)"
  exit 1
fi
