#!/usr/bin/env bash
# Run every core benchmark on the embedded default (SQLite) and on PostgreSQL 15 (+ Redis for the
# live-event runs). Starts PostgreSQL and Redis on 127.0.0.1 in temp dirs (as root, the way
# scripts/lib.sh does) and stops them on exit, whatever happens.
#
#   bench/core/run_all.sh [--quick] [--sqlite-only]      (from the repo root, as root)
#
# Output: the figure tables on stdout; also kept in $BENCH_OUT (default /tmp/tanggap-bench.txt).
set -euo pipefail
cd "$(dirname "$0")/../.."
PY=${PY:-.venv/bin/python}
QUICK=""; SQLITE_ONLY=""
for arg in "$@"; do
  case "$arg" in
    --quick) QUICK="--quick" ;;
    --sqlite-only) SQLITE_ONLY=1 ;;
    *) echo "unknown argument $arg" >&2; exit 2 ;;
  esac
done
OUT=${BENCH_OUT:-${TMPDIR:-/tmp}/tanggap-bench.txt}
# Free ports by default, so a CI run or another session using 5440/6390 is never disturbed.
free_port() { "$PY" -c 'from tanggap.testing.liveserver import free_port; print(free_port())'; }
PGPORT=${BENCH_PGPORT:-$(free_port)}; REDISPORT=${BENCH_REDISPORT:-$(free_port)}
PGDATA=""; RD=""; PGBIN=""

cleanup() {
  if [[ -n "$PGDATA" && -f "$PGDATA/postmaster.pid" ]]; then
    runuser -u postgres -- "$PGBIN/pg_ctl" -D "$PGDATA" -m fast -w stop >/dev/null || true
  fi
  if [[ -n "$RD" && -f "$RD/redis.pid" ]]; then
    kill -TERM "$(cat "$RD/redis.pid")" 2>/dev/null || true
  fi
  [[ -n "$PGDATA" ]] && rm -rf "$(dirname "$PGDATA")"
  [[ -n "$RD" ]] && rm -rf "$RD"
  return 0
}
trap cleanup EXIT INT TERM

FAILED=0
# One failing benchmark must not hide the others' figures.
run() { echo; echo "### $*"; "$PY" "$@" || { echo "!!! failed: $*"; FAILED=1; }; }

# Not a pipeline: the trap must see PGDATA and RD, so this shell itself writes through tee.
exec > >(tee "$OUT") 2>&1
echo "# tanggap core benchmarks, $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) CPUs, ${QUICK:-full}"
echo "## embedded default (SQLite)"
run bench/core/ingest.py $QUICK
run bench/core/claim.py $QUICK
run bench/core/inbox.py $QUICK
run bench/core/live.py $QUICK

if [[ -z "$SQLITE_ONLY" ]]; then
  PGBIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
  PGDATA=$(mktemp -d)/pg
  chmod 755 "$(dirname "$PGDATA")"
  install -d -o postgres -g postgres -m 700 "$PGDATA"
  (cd "$(dirname "$PGDATA")" &&
    runuser -u postgres -- "$PGBIN/initdb" -D "$PGDATA" -U postgres --auth=trust -E UTF8 \
      --locale=C.UTF-8 >/dev/null &&
    runuser -u postgres -- "$PGBIN/pg_ctl" -D "$PGDATA" -l "$PGDATA/server.log" -w -t 30 \
      -o "-c listen_addresses=127.0.0.1 -p $PGPORT -c unix_socket_directories=''" start >/dev/null)
  RD=$(mktemp -d)
  redis-server --port "$REDISPORT" --bind 127.0.0.1 --daemonize yes --dir "$RD" \
    --pidfile "$RD/redis.pid" --logfile "$RD/redis.log" --save '' --appendonly no
  for _ in $(seq 50); do redis-cli -p "$REDISPORT" ping >/dev/null 2>&1 && break; sleep 0.1; done
  export BENCH_DATABASE_URL="postgres://postgres@127.0.0.1:$PGPORT/postgres"
  REDIS="redis://127.0.0.1:$REDISPORT/0"

  echo; echo "## PostgreSQL $("$PGBIN/postgres" --version | awk '{print $3}')"
  run bench/core/ingest.py $QUICK
  run bench/core/claim.py $QUICK
  run bench/core/inbox.py $QUICK
  run bench/core/live.py $QUICK --redis-url "$REDIS"
  echo; echo "## cross-process delivery: PostgreSQL + Redis, tanggap serve --workers 2"
  run bench/core/live.py $QUICK --redis-url "$REDIS" --server-workers 2
  run bench/core/ingest.py $QUICK --redis-url "$REDIS" --server-workers 2
fi
exit "$FAILED"
