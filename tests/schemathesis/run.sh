#!/usr/bin/env bash
# The served OpenAPI document, checked two ways against a real server (issue 5):
#   1. `openapi-spec-validator` on the document as GET /api/schema/ serves it (no token);
#   2. `schemathesis` on every operation of that document, with a staff token, a bounded
#      number of examples per operation (tests/schemathesis/schemathesis.toml), all checks but
#      the one explained there: no 5xx, every status, content type, header and body as the
#      document says.
#
# The server is built, started on a free port over a fresh database (a new database on
# DATABASE_URL's server, or on 127.0.0.1:5432 when one answers there; otherwise the embedded
# cluster in a fresh data directory), with tests/schemathesis/directory.json imported; it is
# stopped and the database dropped at the end. Exits non-zero when either check fails.
#
# Environment: DATABASE_URL (optional), WOU_SERVER_BIN (use this binary instead of building),
# PYTHON (makes the venv; default python3), ST_MAX_EXAMPLES (override the examples per
# operation), ST_ARGS (more `st run` options), WOU_KEEP_LOGS=1 keeps the work directory.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
HERE=$ROOT/tests/schemathesis
PYTHON=${PYTHON:-python3}
REQUIREMENTS=("schemathesis==4.32.5" "openapi-spec-validator==0.9.0")
TOKEN=schemathesis-staff-token
export PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_INPUT=1 PYTHONDONTWRITEBYTECODE=1

say() { printf '[schemathesis] %s\n' "$*"; }

WORK=$(mktemp -d /tmp/wou-schemathesis.XXXXXX)
chmod 755 "$WORK"
SERVER_PID=""
DB_NAME=""
ADMIN_URL=""
DATA_DIR=""

cleanup() {
  if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
    kill -TERM "$SERVER_PID" 2>/dev/null || true
    for _ in $(seq 1 100); do
      kill -0 "$SERVER_PID" 2>/dev/null || break
      sleep 0.2
    done
    kill -0 "$SERVER_PID" 2>/dev/null && kill -KILL "$SERVER_PID" 2>/dev/null
    wait "$SERVER_PID" 2>/dev/null || true
  fi
  if [ -n "$DB_NAME" ]; then
    psql "$ADMIN_URL" -qAt -c "DROP DATABASE IF EXISTS \"$DB_NAME\" WITH (FORCE)" >/dev/null ||
      say "could not drop database $DB_NAME"
  fi
  if [ -n "$DATA_DIR" ] && [ -f "$DATA_DIR/postmaster.pid" ]; then
    # the server stops its embedded cluster on shutdown; this only runs if it could not
    pg_ctl_bin=$(command -v pg_ctl || ls /usr/lib/postgresql/*/bin/pg_ctl 2>/dev/null | tail -n1 || true)
    if [ -n "$pg_ctl_bin" ]; then
      if [ "$(id -u)" = 0 ]; then
        su -s /bin/sh "$(stat -c %U "$DATA_DIR")" -c "$pg_ctl_bin -D '$DATA_DIR' stop -m immediate" >/dev/null 2>&1 || true
      else
        "$pg_ctl_bin" -D "$DATA_DIR" stop -m immediate >/dev/null 2>&1 || true
      fi
    fi
  fi
  if [ "${WOU_KEEP_LOGS:-0}" = 1 ]; then say "work directory kept: $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- the virtual environment (.venv is gitignored) -------------------------------------------
VENV=$ROOT/.venv/schemathesis
if [ "$(cat "$VENV/.wou-requirements" 2>/dev/null)" != "${REQUIREMENTS[*]}" ] || [ ! -x "$VENV/bin/st" ]; then
  say "creating .venv/schemathesis: ${REQUIREMENTS[*]}"
  rm -rf "$VENV"
  "$PYTHON" -m venv "$VENV"
  "$VENV/bin/python" -m pip install --quiet "${REQUIREMENTS[@]}" </dev/null
  echo "${REQUIREMENTS[*]}" >"$VENV/.wou-requirements"
fi

# --- the server ------------------------------------------------------------------------------
if [ -n "${WOU_SERVER_BIN:-}" ]; then
  BIN=$WOU_SERVER_BIN
else
  say "cargo build --bin waldur-offering-users"
  cargo build --quiet --bin waldur-offering-users
  BIN=${CARGO_TARGET_DIR:-$ROOT/target}/debug/waldur-offering-users
fi
[ -x "$BIN" ] || { say "no server binary at $BIN"; exit 2; }

if [ -z "${DATABASE_URL:-}" ] && command -v pg_isready >/dev/null && pg_isready -q -h 127.0.0.1 -p 5432; then
  DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres
fi
declare -a db_env
if [ -n "${DATABASE_URL:-}" ]; then
  command -v psql >/dev/null || { say "DATABASE_URL is set but psql is not installed"; exit 2; }
  ADMIN_URL=$DATABASE_URL
  DB_NAME="wou_schemathesis_$$"
  psql "$ADMIN_URL" -qAt -v ON_ERROR_STOP=1 -c "CREATE DATABASE \"$DB_NAME\"" >/dev/null
  db_url=$("$PYTHON" - "$ADMIN_URL" "$DB_NAME" <<'EOF'
import sys
from urllib.parse import urlsplit, urlunsplit
url, name = sys.argv[1], sys.argv[2]
parts = urlsplit(url)
print(urlunsplit((parts.scheme, parts.netloc, "/" + name, parts.query, parts.fragment)))
EOF
)
  db_env=(env "DATABASE_URL=$db_url")
  say "database $DB_NAME on ${ADMIN_URL%%\?*}"
else
  DATA_DIR=$WORK/pg
  db_env=(env -u DATABASE_URL "WALDUR_DATA_DIR=$DATA_DIR")
  say "embedded cluster in $DATA_DIR"
fi

if ! "${db_env[@]}" "$BIN" import "$HERE/directory.json" >"$WORK/import.log" 2>&1; then
  say "import failed:"
  cat "$WORK/import.log"
  exit 1
fi
PORT=$("$PYTHON" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
BASE_URL=http://127.0.0.1:$PORT
"${db_env[@]}" RUST_LOG=${RUST_LOG:-warn} "$BIN" serve --bind "127.0.0.1:$PORT" --admin-bind off >"$WORK/server.log" 2>&1 </dev/null &
SERVER_PID=$!
if ! "$PYTHON" - "$BASE_URL/api/schema/" "$SERVER_PID" "$WORK/schema.json" <<'EOF'; then
import os, sys, time, urllib.request
url, pid, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
deadline = time.time() + 60
while time.time() < deadline:
    try:
        os.kill(pid, 0)
    except OSError:
        sys.exit("the server exited")
    try:
        # no credentials: the schema is public (decisions.md 30)
        with urllib.request.urlopen(url, timeout=2) as response:
            open(out, "wb").write(response.read())
        sys.exit(0)
    except OSError:
        time.sleep(0.2)
sys.exit("the server did not answer within 60 s")
EOF
  say "server did not start; its log:"
  tail -n 50 "$WORK/server.log"
  exit 1
fi
say "server at $BASE_URL"

# --- 1. the document is valid OpenAPI 3 ------------------------------------------------------
say "openapi-spec-validator $BASE_URL/api/schema/"
"$VENV/bin/openapi-spec-validator" "$WORK/schema.json"

# --- 2. the server answers as the document says ----------------------------------------------
declare -a extra=()
if [ -n "${ST_MAX_EXAMPLES:-}" ]; then extra+=(--max-examples "$ST_MAX_EXAMPLES"); fi
# ST_ARGS: more `st run` options, e.g. "--include-operation-id schema_retrieve" while debugging
if [ -n "${ST_ARGS:-}" ]; then read -r -a more <<<"$ST_ARGS"; extra+=("${more[@]}"); fi
say "schemathesis on every operation"
status=0
# from the work directory, so that schemathesis' cache (.schemathesis/) goes away with it
(cd "$WORK" && "$VENV/bin/st" --no-color --config-file "$HERE/schemathesis.toml" run "$BASE_URL/api/schema/" \
  --checks all --exclude-checks negative_data_rejection \
  --header "Authorization: Token $TOKEN" \
  --workers 2 \
  --request-timeout 30 \
  "${extra[@]}" </dev/null) || status=$?

if grep -qE 'panicked|ERROR' "$WORK/server.log"; then
  say "the server logged errors:"
  grep -E 'panicked|ERROR' "$WORK/server.log" | head -n 20
  status=1
fi
if [ "$status" -ne 0 ]; then
  say "FAILED (exit $status)"
  exit "$status"
fi
say "passed"
