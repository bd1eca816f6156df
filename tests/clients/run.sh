#!/usr/bin/env bash
# The real clients against a real server: the Python SDK `waldur-api-client` (8.1.3 and the
# 8.1.2 that the agent pins) and `waldur-site-agent`'s `waldur_sync_offering_users`.
#
# For each suite: a fresh database (on DATABASE_URL's server, or an embedded cluster in a fresh
# data directory when DATABASE_URL is unset), `import` of the document of directory.py, `serve`
# on a free port, the suite, then the server is stopped and the database dropped.
# Exits non-zero when any suite fails.
#
#   tests/clients/run.sh [sdk-8.1.3] [sdk-8.1.2] [agent]     (default: all three)
#
# Environment: DATABASE_URL (optional), WOU_SERVER_BIN (use this binary instead of building),
# PYTHON (the interpreter that makes the venvs; default python3), WOU_KEEP_LOGS=1 keeps the
# work directory.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
CLIENTS=$ROOT/tests/clients

SDK_VERSIONS=(8.1.3 8.1.2)
AGENT_VERSION=1.0.7
PYTEST_VERSION=8.3.5
PYTHON=${PYTHON:-python3}
export PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_INPUT=1 PYTHONDONTWRITEBYTECODE=1

say() { printf '[clients] %s\n' "$*"; }

suites=("$@")
if [ ${#suites[@]} -eq 0 ]; then
  suites=()
  for v in "${SDK_VERSIONS[@]}"; do suites+=("sdk-$v"); done
  suites+=(agent)
fi

WORK=$(mktemp -d /tmp/wou-clients.XXXXXX)
chmod 755 "$WORK"
SERVER_PID=""
DB_NAME=""
DATA_DIR=""

stop_server() {
  if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
    kill -TERM "$SERVER_PID" 2>/dev/null || true
    for _ in $(seq 1 100); do
      kill -0 "$SERVER_PID" 2>/dev/null || break
      sleep 0.2
    done
    if kill -0 "$SERVER_PID" 2>/dev/null; then
      say "server $SERVER_PID did not stop on SIGTERM; killing it"
      kill -KILL "$SERVER_PID" 2>/dev/null || true
    fi
    wait "$SERVER_PID" 2>/dev/null || true
  fi
  SERVER_PID=""
}

drop_database() {
  if [ -n "$DB_NAME" ]; then
    psql "$DATABASE_URL" -qAt -v ON_ERROR_STOP=1 -c "DROP DATABASE IF EXISTS \"$DB_NAME\" WITH (FORCE)" >/dev/null ||
      say "could not drop database $DB_NAME"
    DB_NAME=""
  fi
  if [ -n "$DATA_DIR" ]; then
    # the server stops its embedded cluster on shutdown; make sure nothing is left running
    if [ -f "$DATA_DIR/postmaster.pid" ]; then
      pg_ctl_bin=$(command -v pg_ctl || ls /usr/lib/postgresql/*/bin/pg_ctl 2>/dev/null | tail -n1 || true)
      if [ -n "$pg_ctl_bin" ]; then
        if [ "$(id -u)" = 0 ]; then
          su -s /bin/sh "$(stat -c %U "$DATA_DIR")" -c "$pg_ctl_bin -D '$DATA_DIR' stop -m immediate" >/dev/null 2>&1 || true
        else
          "$pg_ctl_bin" -D "$DATA_DIR" stop -m immediate >/dev/null 2>&1 || true
        fi
      fi
    fi
    rm -rf "$(dirname "$DATA_DIR")"
    DATA_DIR=""
  fi
}

cleanup() {
  stop_server
  drop_database
  if [ "${WOU_KEEP_LOGS:-0}" = 1 ]; then say "work directory kept: $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- virtual environments (.venv is gitignored) -------------------------------------------
# ensure_venv NAME STAMP PACKAGE... : .venv/clients-NAME with exactly these requirements
# installed (STAMP also changes when a local package's files change)
ensure_venv() {
  local name=$1 stamp=$2
  shift 2
  local dir=$ROOT/.venv/clients-$name
  local want="$stamp $*"
  if [ -x "$dir/bin/python" ] && [ "$(cat "$dir/.wou-requirements" 2>/dev/null)" = "$want" ]; then
    return 0
  fi
  say "creating .venv/clients-$name: $want"
  rm -rf "$dir"
  mkdir -p "$ROOT/.venv"
  "$PYTHON" -m venv "$dir"
  "$dir/bin/python" -m pip install --quiet "$@" </dev/null
  echo "$want" >"$dir/.wou-requirements"
}

started=$(date +%s)
for suite in "${suites[@]}"; do
  case $suite in
    sdk-*) ensure_venv "$suite" - "waldur-api-client==${suite#sdk-}" "pytest==$PYTEST_VERSION" ;;
    agent)
      # the backend package is installed from its directory; a changed file must reinstall it
      backend_sum=$(cat "$CLIENTS"/agent_backend/pyproject.toml "$CLIENTS"/agent_backend/*/*.py | cksum | cut -d' ' -f1)
      ensure_venv "agent-$AGENT_VERSION" "$backend_sum" "waldur-site-agent==$AGENT_VERSION" \
        "waldur-site-agent-basic-username-management==$AGENT_VERSION" "$CLIENTS/agent_backend"
      ;;
    *) say "unknown suite $suite (known: sdk-<version>, agent)"; exit 2 ;;
  esac
done
say "virtual environments ready in $(($(date +%s) - started)) s"

# --- the server binary ------------------------------------------------------------------------
if [ -n "${WOU_SERVER_BIN:-}" ]; then
  BIN=$WOU_SERVER_BIN
else
  say "cargo build --bin waldur-offering-users"
  cargo build --quiet --bin waldur-offering-users
  BIN=${CARGO_TARGET_DIR:-$ROOT/target}/debug/waldur-offering-users
fi
[ -x "$BIN" ] || { say "no server binary at $BIN"; exit 2; }

"$PYTHON" "$CLIENTS/directory.py" "$WORK/directory.json"

free_port() {
  "$PYTHON" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

# start_server SUITE: fresh database, import, serve in the background, wait until it answers
start_server() {
  local suite=$1
  local log=$WORK/server-$suite.log
  local -a db_env
  if [ -n "${DATABASE_URL:-}" ]; then
    command -v psql >/dev/null || { say "DATABASE_URL is set but psql is not installed"; return 1; }
    DB_NAME="wou_clients_$$_${suite//[^a-z0-9]/_}"
    psql "$DATABASE_URL" -qAt -v ON_ERROR_STOP=1 -c "CREATE DATABASE \"$DB_NAME\"" >/dev/null
    db_env=(env "DATABASE_URL=$("$PYTHON" - "$DATABASE_URL" "$DB_NAME" <<'EOF'
import sys
from urllib.parse import urlsplit, urlunsplit
url, name = sys.argv[1], sys.argv[2]
parts = urlsplit(url)
print(urlunsplit((parts.scheme, parts.netloc, "/" + name, parts.query, parts.fragment)))
EOF
)")
  else
    local dir
    dir=$(mktemp -d /tmp/wou-clients-pg.XXXXXX)
    chmod 755 "$dir"
    DATA_DIR=$dir/pg
    db_env=(env -u DATABASE_URL "WALDUR_DATA_DIR=$DATA_DIR")
  fi
  if ! "${db_env[@]}" "$BIN" import "$WORK/directory.json" >"$WORK/import-$suite.log" 2>&1; then
    say "import failed:"
    cat "$WORK/import-$suite.log"
    return 1
  fi
  PORT=$(free_port)
  BASE_URL=http://127.0.0.1:$PORT
  "${db_env[@]}" RUST_LOG=${RUST_LOG:-warn} "$BIN" serve --bind "127.0.0.1:$PORT" --admin-bind off >"$log" 2>&1 </dev/null &
  SERVER_PID=$!
  if ! "$PYTHON" - "$BASE_URL" "$SERVER_PID" <<'EOF'; then
import os, sys, time, urllib.request, urllib.error
url, pid = sys.argv[1] + "/api/marketplace-offering-users/", int(sys.argv[2])
deadline = time.time() + 60
while time.time() < deadline:
    try:
        os.kill(pid, 0)
    except OSError:
        sys.exit("the server exited")
    try:
        urllib.request.urlopen(url, timeout=2)
        sys.exit(0)
    except urllib.error.HTTPError:
        sys.exit(0)  # 401 without a token: it answers
    except OSError:
        time.sleep(0.2)
sys.exit("the server did not answer within 60 s")
EOF
    say "server did not start; its log:"
    tail -n 50 "$log"
    return 1
  fi
}

run_suite() {
  local suite=$1
  case $suite in
    sdk-*)
      local v=${suite#sdk-}
      WOU_BASE_URL=$BASE_URL WOU_SDK_VERSION=$v "$ROOT/.venv/clients-$suite/bin/python" -m pytest \
        -p no:cacheprovider -q -rfEsxX --color=no "$CLIENTS/sdk"
      ;;
    agent)
      WOU_BASE_URL=$BASE_URL WOU_WORK=$WORK "$ROOT/.venv/clients-agent-$AGENT_VERSION/bin/python" \
        "$CLIENTS/agent/run_agent.py"
      ;;
  esac
}

failed=()
for suite in "${suites[@]}"; do
  say "=== $suite"
  t0=$(date +%s)
  status=0
  if start_server "$suite"; then
    say "server on $BASE_URL (pid $SERVER_PID)"
    run_suite "$suite" || status=$?
    if ! kill -0 "$SERVER_PID" 2>/dev/null; then
      say "the server died during the suite; its log:"
      tail -n 50 "$WORK/server-$suite.log"
      status=1
    fi
  else
    status=1
    echo "0 passed, 1 failed"
  fi
  stop_server
  drop_database
  if [ "$status" -ne 0 ]; then
    failed+=("$suite")
    if grep -qiE 'panic|ERROR' "$WORK/server-$suite.log" 2>/dev/null; then
      say "server log lines with panics or errors:"
      grep -iE 'panic|ERROR' "$WORK/server-$suite.log" | tail -n 20
    fi
  fi
  say "$suite: $([ "$status" -eq 0 ] && echo ok || echo FAILED) in $(($(date +%s) - t0)) s"
done

say "all suites done in $(($(date +%s) - started)) s"
if [ ${#failed[@]} -ne 0 ]; then
  say "failed suites: ${failed[*]}"
  exit 1
fi
