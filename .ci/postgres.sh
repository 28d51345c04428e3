#!/usr/bin/env bash
# Idempotent: installs PostgreSQL if absent, starts it on loopback, creates the test role and database,
# and prints the connection string on stdout (everything else goes to stderr). Used by .ci/run.
set -euo pipefail
if [ ! -d /usr/lib/postgresql ] || ! ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1; then
  echo "installing PostgreSQL..." >&2
  apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >&2
fi
ver=$(ls /usr/lib/postgresql | sort -n | tail -1)
pg_lsclusters -h 2>/dev/null | grep -q "^$ver main" || pg_createcluster "$ver" main >&2
pg_ctlcluster "$ver" main start >&2 2>/dev/null || true
for _ in $(seq 1 60); do pg_isready -h 127.0.0.1 -q && break; sleep 0.5; done
pg_isready -h 127.0.0.1 >&2
psql_as_postgres() { su postgres -c "psql -v ON_ERROR_STOP=1 -tAc \"$1\""; }
[ "$(psql_as_postgres "SELECT 1 FROM pg_roles WHERE rolname='claudeactors'")" = "1" ] ||
  psql_as_postgres "CREATE ROLE claudeactors LOGIN PASSWORD 'claudeactors'" >&2
[ "$(psql_as_postgres "SELECT 1 FROM pg_database WHERE datname='claudeactors'")" = "1" ] ||
  psql_as_postgres "CREATE DATABASE claudeactors OWNER claudeactors" >&2
echo "Host=127.0.0.1;Port=5432;Database=claudeactors;Username=claudeactors;Password=claudeactors"
