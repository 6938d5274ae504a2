#!/usr/bin/env bash
# bench/core/scaleout.py against a PostgreSQL and a Redis of its own on 127.0.0.1 (temp dirs,
# free ports; as root, the way scripts/lib.sh starts them), both stopped and removed on exit.
#
#   bench/core/scaleout.sh [--processes 1,2,4] [--seconds 15] [--clients 16] [--replies 100]
set -euo pipefail
cd "$(dirname "$0")/../.."
source scripts/lib.sh
ensure_apt postgresql redis-server
trap 'stop_postgres; stop_redis' EXIT INT TERM
start_postgres
start_redis
.venv/bin/python bench/core/scaleout.py --database-url "$PG_URL_BASE/postgres" \
  --redis-url "$REDIS_URL_BASE/0" "$@"
