#!/usr/bin/env bash
# Inbound ingest through POST /api/v1/inbound with wrk as the load generator (a C client that
# leaves the 2 cores to the server, unlike ingest.py's Python clients), against `tanggap serve`
# as a user runs it: embedded SQLite, default web processes, task workers and periodic jobs.
# Every request is a new citizen with a new case. Bounded: --seconds (default 15) per run.
#
#   bench/core/ingest_wrk.sh [SECONDS] [CONNECTIONS...]     e.g. bench/core/ingest_wrk.sh 15 8 16
#
# The server sees this script's environment: `TANGGAP_FAST_INTAKE=0 bench/core/ingest_wrk.sh 15 16`
# sends every inbound through Django's WSGI path instead of the ASGI server's fast path
# (tanggap/api/intake.py), for a before/after in one run; TANGGAP_GROUP_COMMIT=0 likewise.
# Needs Debian's wrk (installed if missing, as root). Only 127.0.0.1 is targeted.
set -euo pipefail
cd "$(dirname "$0")/../.."
source scripts/lib.sh
ensure_apt wrk
SECONDS_PER_RUN=${1:-15}; shift || true
[ $# -gt 0 ] && CONNECTIONS=("$@") || CONNECTIONS=(8 16)
T="$ROOT/.venv/bin/tanggap"
export TANGGAP_DATA_DIR; TANGGAP_DATA_DIR=$(mktemp -d /tmp/tanggap-wrk.XXXXXX)
export SECRET_KEY=bench-secret-key-long-enough-0123456789abcdef
PORT=$(free_port)
SERVER_PID=""
cleanup() {
  [ -n "$SERVER_PID" ] && kill -TERM -- "-$SERVER_PID" 2>/dev/null || true
  sleep 1; rm -rf "$TANGGAP_DATA_DIR"
}
trap cleanup EXIT
"$T" migrate -v 0
"$T" workspace create bench --name Bench >/dev/null
echo 'kata-sandi-bench' | "$T" user add op --workspace bench --role operator --password-stdin >/dev/null
"$T" user add gerbang --workspace bench --role integration >/dev/null
TOKEN=$("$T" token create gerbang | awk '{print $NF}')
CHANNEL=$("$T" channel add bench --platform web --handle bench-web | awk '{print $NF}')
cat > "$TANGGAP_DATA_DIR/post.lua" <<LUA
counter = 0
request = function()
  counter = counter + 1
  local id = tostring(math.random(1, 1000000000)) .. "-" .. counter
  local body = '{"channel_id": $CHANNEL, "external_id": "m' .. id .. '", "author": {"id": "a' .. id .. '", "name": "Warga"}, "text": "Mohon info, lampu jalan di RT 05 Gunung Bahagia mati sejak kemarin."}'
  return wrk.format("POST", "/api/v1/inbound", {["Content-Type"]="application/json", ["Authorization"]="Bearer $TOKEN"}, body)
end
LUA
setsid "$T" serve --host 127.0.0.1 --port "$PORT" --no-migrate > "$TANGGAP_DATA_DIR/serve.log" 2>&1 &
SERVER_PID=$!
# Up to a minute: on a loaded machine the web processes take a while to import.
for _ in $(seq 300); do curl -sf "http://127.0.0.1:$PORT/api/v1/health" >/dev/null && break; sleep 0.2; done
# CPU seconds of each part of the server (web processes, task workers, periodic runner), from /proc.
cpu() {
  "$ROOT/.venv/bin/python" -c "import json, sys; sys.path.insert(0, 'bench/core')
from ceiling import parts_cpu, settle
if sys.argv[2] == 'settle': settle(int(sys.argv[1]))
print(json.dumps(parts_cpu(int(sys.argv[1]))))" "$SERVER_PID" "${1:-}"
}
echo "## inbound ingest with wrk, sqlite, tanggap serve defaults ($(nproc) cores)" \
  "TANGGAP_FAST_INTAKE=${TANGGAP_FAST_INTAKE:-1} TANGGAP_GROUP_COMMIT=${TANGGAP_GROUP_COMMIT:-1}"
for c in "${CONNECTIONS[@]}"; do
  echo "### $c connections, ${SECONDS_PER_RUN}s (load average $(cut -d' ' -f1-3 /proc/loadavg))"
  BEFORE=$(cpu settle)
  # The write lock's share of the run (bench/core/writelock.py), sampled beside wrk.
  "$ROOT/.venv/bin/python" bench/core/writelock.py "$TANGGAP_DATA_DIR/tanggap.sqlite3" \
    --seconds "$((SECONDS_PER_RUN > 2 ? SECONDS_PER_RUN - 1 : 1))" > "$TANGGAP_DATA_DIR/lock.out" &
  LOCK_PID=$!
  wrk -t2 -c"$c" -d"${SECONDS_PER_RUN}s" --latency -s "$TANGGAP_DATA_DIR/post.lua" \
    "http://127.0.0.1:$PORT" > "$TANGGAP_DATA_DIR/wrk.out"
  AFTER=$(cpu)
  wait "$LOCK_PID"
  grep -E "Requests/sec|Latency|50%|99%|Non-2xx|errors|requests in" "$TANGGAP_DATA_DIR/wrk.out"
  head -1 "$TANGGAP_DATA_DIR/lock.out"
  "$ROOT/.venv/bin/python" -c "import json, re, sys
before, after = json.loads(sys.argv[1]), json.loads(sys.argv[2])
n = int(re.search(r'(\d+) requests in', open(sys.argv[3]).read()).group(1))
used = {k: v - before.get(k, 0.0) for k, v in after.items()}
workers = used.get('worker', 0.0) + used.get('periodic', 0.0)
print(f'CPU ms per request: web processes {used.get(\"web\", 0.0) * 1000 / max(n, 1):.2f}, '
      f'task workers and periodic runner {workers * 1000 / max(n, 1):.2f}')" \
    "$BEFORE" "$AFTER" "$TANGGAP_DATA_DIR/wrk.out"
  # Only a run whose every answer was a 2xx is a figure for the target.
  if [ "$c" = 16 ] && ! grep -q "Non-2xx" "$TANGGAP_DATA_DIR/wrk.out"; then
    "$ROOT/.venv/bin/python" bench/core/targets.py inbound_wrk_per_s \
      "$(awk '/Requests\/sec/ {print $2}' "$TANGGAP_DATA_DIR/wrk.out")"
  fi
done
