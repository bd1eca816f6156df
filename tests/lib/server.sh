# Shared by the scripts that run real clients against a real server (tests/clients/run.sh,
# tests/schemathesis/run.sh, tests/browser/run.sh): the server binary, a fresh database, the
# server started on a free port and stopped again, and Python virtual environments.
#
# Source it after setting ROOT (the repository) and SAY_PREFIX (the tag of the script's
# messages). State lives in these variables: WORK, BIN, DB_NAME, DATA_DIR, DB_ENV (the `env`
# command that points the binary at the database), SERVER_PID, BASE_URL, SERVER_LOG.
# Environment: DATABASE_URL (optional), WOU_SERVER_BIN (use this binary instead of building),
# PYTHON (makes the venvs; default python3), WOU_KEEP_LOGS=1 keeps the work directory.

PYTHON=${PYTHON:-python3}
export PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_INPUT=1 PYTHONDONTWRITEBYTECODE=1
SERVER_PID=""
DB_NAME=""
DATA_DIR=""
DB_ENV=()

say() { printf '[%s] %s\n' "$SAY_PREFIX" "$*"; }

# wou_work_dir NAME: a fresh work directory in WORK, readable by the embedded cluster's user.
wou_work_dir() {
  WORK=$(mktemp -d "/tmp/wou-$1.XXXXXX")
  chmod 755 "$WORK"
}

# wou_server_bin: BIN is WOU_SERVER_BIN, or the debug build made here.
wou_server_bin() {
  if [ -n "${WOU_SERVER_BIN:-}" ]; then
    BIN=$WOU_SERVER_BIN
  else
    say "cargo build --bin waldur-offering-users"
    cargo build --quiet --bin waldur-offering-users
    BIN=${CARGO_TARGET_DIR:-$ROOT/target}/debug/waldur-offering-users
  fi
  [ -x "$BIN" ] || { say "no server binary at $BIN"; exit 2; }
}

wou_free_port() {
  "$PYTHON" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

# wou_fresh_database NAME: a new database NAME on DATABASE_URL's server, or, without
# DATABASE_URL, an embedded cluster in a fresh data directory; sets DB_ENV accordingly.
wou_fresh_database() {
  local name=$1
  if [ -n "${DATABASE_URL:-}" ]; then
    command -v psql >/dev/null || { say "DATABASE_URL is set but psql is not installed"; return 1; }
    DB_NAME=$name
    psql "$DATABASE_URL" -qAt -v ON_ERROR_STOP=1 -c "CREATE DATABASE \"$DB_NAME\"" >/dev/null
    DB_ENV=(env "DATABASE_URL=$("$PYTHON" - "$DATABASE_URL" "$DB_NAME" <<'EOF'
import sys
from urllib.parse import urlsplit, urlunsplit
url, name = sys.argv[1], sys.argv[2]
parts = urlsplit(url)
print(urlunsplit((parts.scheme, parts.netloc, "/" + name, parts.query, parts.fragment)))
EOF
)")
  else
    local dir
    dir=$(mktemp -d "$WORK/pg.XXXXXX")
    chmod 755 "$dir"
    DATA_DIR=$dir/pg
    DB_ENV=(env -u DATABASE_URL "WALDUR_DATA_DIR=$DATA_DIR")
  fi
}

# wou_import FILE LOG: imports a directory document into the fresh database.
wou_import() {
  if ! "${DB_ENV[@]}" "$BIN" import "$1" >"$2" 2>&1; then
    say "import failed:"
    cat "$2"
    return 1
  fi
}

# wou_start_server LOG [SERVE ARGS...]: serves on WOU_PORT or a free port (no management
# listener) and waits until GET /health/ready answers 200; sets SERVER_PID and BASE_URL.
wou_start_server() {
  SERVER_LOG=$1
  shift
  local port=${WOU_PORT:-$(wou_free_port)}
  BASE_URL=http://127.0.0.1:$port
  "${DB_ENV[@]}" RUST_LOG=${RUST_LOG:-warn} "$BIN" serve --bind "127.0.0.1:$port" --admin-bind off "$@" \
    >"$SERVER_LOG" 2>&1 </dev/null &
  SERVER_PID=$!
  if ! "$PYTHON" - "$BASE_URL/health/ready" "$SERVER_PID" <<'EOF'; then
import os, sys, time, urllib.request
url, pid = sys.argv[1], int(sys.argv[2])
deadline = time.time() + 60
while time.time() < deadline:
    try:
        os.kill(pid, 0)
    except OSError:
        sys.exit("the server exited")
    try:
        urllib.request.urlopen(url, timeout=2)
        sys.exit(0)
    except OSError:  # not listening yet, or 503 while not ready
        time.sleep(0.2)
sys.exit("the server was not ready within 60 s")
EOF
    say "server did not start; its log:"
    tail -n 50 "$SERVER_LOG"
    return 1
  fi
}

# wou_stop_server: SIGTERM (in-flight requests finish), SIGKILL after 20 s.
wou_stop_server() {
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

# wou_drop_database: drops the database, or stops a left-behind embedded cluster (the server
# stops its own on shutdown; a killed one cannot) and removes its data directory.
wou_drop_database() {
  if [ -n "$DB_NAME" ]; then
    psql "$DATABASE_URL" -qAt -c "DROP DATABASE IF EXISTS \"$DB_NAME\" WITH (FORCE)" >/dev/null ||
      say "could not drop database $DB_NAME"
    DB_NAME=""
  fi
  if [ -n "$DATA_DIR" ]; then
    if [ -f "$DATA_DIR/postmaster.pid" ]; then
      local pg_ctl_bin
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

# wou_cleanup: for `trap … EXIT`.
wou_cleanup() {
  wou_stop_server
  wou_drop_database
  if [ "${WOU_KEEP_LOGS:-0}" = 1 ]; then say "work directory kept: $WORK"; else rm -rf "$WORK"; fi
}

# wou_ensure_venv DIR STAMP PACKAGE...: DIR is a virtual environment with exactly these
# requirements installed (STAMP also changes when a local package's files change).
wou_ensure_venv() {
  local dir=$1 stamp=$2
  shift 2
  local want="$stamp $*"
  if [ -x "$dir/bin/python" ] && [ "$(cat "$dir/.wou-requirements" 2>/dev/null)" = "$want" ]; then
    return 0
  fi
  say "creating ${dir#"$ROOT"/}: $want"
  rm -rf "$dir"
  mkdir -p "$(dirname "$dir")"
  "$PYTHON" -m venv "$dir"
  "$dir/bin/python" -m pip install --quiet "$@" </dev/null
  echo "$want" >"$dir/.wou-requirements"
}
