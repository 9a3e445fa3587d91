#!/usr/bin/env bash
# Installs Debian packages the build needs (as root; CI runs as root).
set -euo pipefail
if [ "$(id -u)" -ne 0 ]; then
  echo "missing $*: install it with apt-get (needs root)" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "$@" >/dev/null
