# Shared by scripts/demo, scripts/test and bench/: find Python 3.12, install the project with uv,
# and start/stop throw-away PostgreSQL and Redis servers on 127.0.0.1 (PostgreSQL refuses to run
# as root, so it runs as the `postgres` user from a folder that user may enter).
# shellcheck shell=bash

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

# Some machines export PYTHONDONTWRITEBYTECODE=1. Then no .pyc is ever kept, and every `tanggap`
# process (the suite starts hundreds: CLI calls, live servers, workers) compiles some 1,400 modules
# again: 2.5 s of CPU per start, measured with cProfile on `tanggap workspace create`.
unset PYTHONDONTWRITEBYTECODE

log() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

python312() {
  local candidate
  for candidate in "$(cd "$ROOT" && command -v python3 || true)" \
      "$(command -v python3.12 || true)" \
      "$(command -v pyenv >/dev/null && pyenv root 2>/dev/null)/versions/3.12"*/bin/python3; do
    [ -n "$candidate" ] && [ -x "$candidate" ] || continue
    # A 3.12 that can install uv (pip) or has it; the project's own .venv (made by uv, no pip)
    # is neither.
    if (cd "$ROOT" && "$candidate" -c 'import sys, importlib.util as u
sys.exit(sys.version_info[:2] != (3, 12) or not (u.find_spec("uv") or u.find_spec("pip")))') 2>/dev/null; then
      (cd "$ROOT" && "$candidate" -c 'import sys; print(sys.executable)')
      return 0
    fi
  done
  echo "Python 3.12 with pip (to install uv) not found: install it (pyenv install 3.12) and run again" >&2
  return 1
}

# uv is run as `python -m uv` from the Python 3.12 that installs the project, never looked up on
# PATH: pip puts the `uv` script in that interpreter's own bin folder, which a fresh machine (pyenv's
# Python, no shim yet) does not have on PATH.
UV_PY=""

ensure_uv() {
  UV_PY="$(python312)"
  if ! "$UV_PY" -m uv --version >/dev/null 2>&1; then
    log "installing uv (pip install uv into $UV_PY)"
    PIP_ROOT_USER_ACTION=ignore PIP_DISABLE_PIP_VERSION_CHECK=1 \
      "$UV_PY" -m pip install -qq uv
  fi
}

uv() {
  [ -n "$UV_PY" ] || ensure_uv
  "$UV_PY" -m uv "$@"
}

install_project() {  # $@: extra uv sync flags
  ensure_uv
  log "installing Tanggap and its dependencies (uv sync $*)"
  (cd "$ROOT" && uv sync --frozen --compile-bytecode --python "$UV_PY" --quiet "$@")
}

ensure_apt() {  # $@: Debian packages
  local missing=()
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ "$(id -u)" -ne 0 ]; then
    echo "these Debian packages are needed: ${missing[*]} (run as root, or install them)" >&2
    return 1
  fi
  log "installing Debian packages: ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
}

free_port() {
  "$(python312)" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

start_postgres() {  # sets PG_URL_BASE (postgres://postgres@127.0.0.1:PORT) and PG_DIR
  local pgbin
  pgbin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
  PG_DIR=$(mktemp -d /tmp/tanggap-pg.XXXXXX)
  PG_PORT=$(free_port)
  chmod 755 "$PG_DIR"
  install -d -o postgres -g postgres -m 700 "$PG_DIR/data"
  (cd "$PG_DIR" && runuser -u postgres -- "$pgbin/initdb" -D "$PG_DIR/data" -U postgres \
      --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null)
  (cd "$PG_DIR" && runuser -u postgres -- "$pgbin/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/data/server.log" \
      -w -t 30 -o "-c listen_addresses=127.0.0.1 -p $PG_PORT -c unix_socket_directories='' \
      -c fsync=${PG_FSYNC:-on} -c max_connections=200" start >/dev/null)
  PG_BIN=$pgbin
  PG_URL_BASE="postgres://postgres@127.0.0.1:$PG_PORT"
  log "PostgreSQL on 127.0.0.1:$PG_PORT"
}

stop_postgres() {
  [ -n "${PG_DIR:-}" ] || return 0
  (cd "$PG_DIR" && runuser -u postgres -- "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m fast -w stop >/dev/null 2>&1) || true
  rm -rf "$PG_DIR"
  PG_DIR=""
}

start_redis() {  # sets REDIS_URL_BASE and REDIS_DIR
  REDIS_DIR=$(mktemp -d /tmp/tanggap-redis.XXXXXX)
  REDIS_PORT=$(free_port)
  redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --daemonize yes --dir "$REDIS_DIR" \
    --pidfile "$REDIS_DIR/redis.pid" --logfile "$REDIS_DIR/redis.log" --save '' --appendonly no
  for _ in $(seq 50); do [ -s "$REDIS_DIR/redis.pid" ] && break; sleep 0.1; done
  REDIS_URL_BASE="redis://127.0.0.1:$REDIS_PORT"
  log "Redis on 127.0.0.1:$REDIS_PORT"
}

stop_redis() {
  [ -n "${REDIS_DIR:-}" ] || return 0
  [ -s "$REDIS_DIR/redis.pid" ] && kill -TERM "$(cat "$REDIS_DIR/redis.pid")" 2>/dev/null || true
  sleep 0.2
  rm -rf "$REDIS_DIR"
  REDIS_DIR=""
}
