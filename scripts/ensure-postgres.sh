#!/usr/bin/env bash
# tests/test_postgres_instance.py starts a throwaway PostgreSQL cluster (Debian's
# `postgresql` package: initdb, pg_ctl) to run Dagster's instance storage on it.
# Install it when missing (CI runs as root on a fresh machine); never skip the test instead.
set -euo pipefail
if ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || command -v initdb >/dev/null; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "PostgreSQL server binaries are needed for tests/test_postgres_instance.py:" >&2
  echo "  sudo apt-get install -y postgresql" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq postgresql >/dev/null
ls /usr/lib/postgresql/*/bin/initdb
