#!/usr/bin/env bash
# Installs Debian's PostgreSQL server when no server binaries are present.
set -euo pipefail
if ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1 || [ -n "${PAYSAGA_PG_BIN:-}" ]; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "PostgreSQL server binaries are missing: install the postgresql package, or set PAYSAGA_PG_BIN" >&2
  exit 1
fi
echo "installing PostgreSQL server binaries from Debian..."
"$(dirname "$0")/apt-install.sh" postgresql
# Debian's package starts a cluster of its own; paysaga runs its own servers.
service postgresql stop >/dev/null 2>&1 || true
