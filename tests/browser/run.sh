#!/usr/bin/env bash
# Browser tests: CORS and the /api/docs/ page in a real headless Chromium (Debian's package),
# driven by Playwright (playwright-core, which downloads no browser of its own).
#
# A fresh database (on DATABASE_URL's server, or an embedded cluster in a fresh data directory
# when DATABASE_URL is unset), `import` of src/directory/demo.json (its staff token), `serve` on
# a free port with --cors-allowed-origins http://127.0.0.1:<page port>, then the tests
# (cors.test.mjs serves its page on <page port>), then the server is stopped and the database
# dropped. Screenshots go to $CARGO_TARGET_DIR/browser-artifacts (default target/). Exits
# non-zero when a test fails.
#
# On a fresh machine it installs what it needs: Debian's chromium when /usr/bin/chromium is
# missing (as root, as CI runs), and the pinned npm packages (package-lock.json) into
# tests/browser/node_modules when they are missing or the lock changed.
#
# Environment: DATABASE_URL (optional), WOU_SERVER_BIN (use this binary instead of building),
# CHROMIUM (default /usr/bin/chromium), WOU_KEEP_LOGS=1 keeps the work directory.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
HERE=$ROOT/tests/browser
TARGET=${CARGO_TARGET_DIR:-$ROOT/target}
export CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
TOKEN=demo-staff-token # staff in src/directory/demo.json

say() { printf '[browser] %s\n' "$*"; }

# --- Chromium and the npm packages ----------------------------------------------------------
if [ ! -x "$CHROMIUM" ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    say "installing Debian's chromium"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  fi
  [ -x "$CHROMIUM" ] || { say "no Chromium at $CHROMIUM (install Debian's chromium package)"; exit 2; }
fi
lock_sum=$(cksum <"$HERE/package-lock.json")
if [ "$(cat "$HERE/node_modules/.wou-lock-sum" 2>/dev/null)" != "$lock_sum" ]; then
  say "npm ci (tests/browser/node_modules)"
  (cd "$HERE" && npm ci --no-audit --no-fund --loglevel=error)
  echo "$lock_sum" >"$HERE/node_modules/.wou-lock-sum"
fi

# --- the server binary ------------------------------------------------------------------------
if [ -n "${WOU_SERVER_BIN:-}" ]; then
  BIN=$WOU_SERVER_BIN
else
  say "cargo build --bin waldur-offering-users"
  cargo build --quiet --bin waldur-offering-users
  BIN=$TARGET/debug/waldur-offering-users
fi
[ -x "$BIN" ] || { say "no server binary at $BIN"; exit 2; }

WORK=$(mktemp -d /tmp/wou-browser.XXXXXX)
chmod 755 "$WORK"
SERVER_PID=""
DB_NAME=""

cleanup() {
  if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
    kill -TERM "$SERVER_PID" 2>/dev/null || true
    for _ in $(seq 1 100); do
      kill -0 "$SERVER_PID" 2>/dev/null || break
      sleep 0.2
    done
    kill -KILL "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
  fi
  if [ -n "$DB_NAME" ]; then
    psql "$DATABASE_URL" -qAt -c "DROP DATABASE IF EXISTS \"$DB_NAME\" WITH (FORCE)" >/dev/null ||
      say "could not drop database $DB_NAME"
  fi
  # The server stops its embedded cluster on shutdown; one left behind (a killed server) is
  # stopped here before its data directory goes.
  if [ -f "$WORK/pg/postmaster.pid" ]; then
    pg_ctl_bin=$(command -v pg_ctl || ls /usr/lib/postgresql/*/bin/pg_ctl 2>/dev/null | tail -n1 || true)
    if [ -n "$pg_ctl_bin" ]; then
      if [ "$(id -u)" = 0 ]; then
        su -s /bin/sh "$(stat -c %U "$WORK/pg")" -c "$pg_ctl_bin -D '$WORK/pg' stop -m immediate" >/dev/null 2>&1 || true
      else
        "$pg_ctl_bin" -D "$WORK/pg" stop -m immediate >/dev/null 2>&1 || true
      fi
    fi
  fi
  if [ "${WOU_KEEP_LOGS:-0}" = 1 ]; then say "work directory kept: $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() {
  node -e 'const s = require("net").createServer().listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); })'
}

# --- a fresh database, the directory, the server --------------------------------------------
if [ -n "${DATABASE_URL:-}" ]; then
  DB_NAME="wou_browser_$$"
  psql "$DATABASE_URL" -qAt -v ON_ERROR_STOP=1 -c "CREATE DATABASE \"$DB_NAME\"" >/dev/null
  db_env=(env "DATABASE_URL=$(node -e 'const u = new URL(process.argv[1]); u.pathname = "/" + process.argv[2]; console.log(u.href)' "$DATABASE_URL" "$DB_NAME")")
else
  db_env=(env -u DATABASE_URL "WALDUR_DATA_DIR=$WORK/pg")
fi
if ! "${db_env[@]}" "$BIN" import "$ROOT/src/directory/demo.json" >"$WORK/import.log" 2>&1; then
  say "import failed:"
  cat "$WORK/import.log"
  exit 1
fi

API_PORT=$(free_port)
PAGE_PORT=$(free_port)
while [ "$PAGE_PORT" = "$API_PORT" ]; do PAGE_PORT=$(free_port); done
API_URL=http://127.0.0.1:$API_PORT
"${db_env[@]}" RUST_LOG=${RUST_LOG:-warn} "$BIN" serve --bind "127.0.0.1:$API_PORT" --admin-bind off \
  --cors-allowed-origins "http://127.0.0.1:$PAGE_PORT" >"$WORK/server.log" 2>&1 </dev/null &
SERVER_PID=$!
deadline=$((SECONDS + 60))
until curl -fsS -o /dev/null "$API_URL/health/ready" 2>/dev/null; do
  if ! kill -0 "$SERVER_PID" 2>/dev/null || [ $SECONDS -ge $deadline ]; then
    say "the server did not become ready; its log:"
    tail -n 50 "$WORK/server.log"
    exit 1
  fi
  sleep 0.2
done
say "server on $API_URL (pid $SERVER_PID), CORS allowed for http://127.0.0.1:$PAGE_PORT"

# --- the tests --------------------------------------------------------------------------------
status=0
WOU_API_URL=$API_URL WOU_TOKEN=$TOKEN WOU_PAGE_PORT=$PAGE_PORT WOU_ARTIFACTS=$TARGET/browser-artifacts \
  node --test --test-concurrency=1 --test-reporter=spec "$HERE/cors.test.mjs" "$HERE/docs.test.mjs" || status=$?
if ! kill -0 "$SERVER_PID" 2>/dev/null; then
  say "the server died during the tests; its log:"
  tail -n 50 "$WORK/server.log"
  status=1
fi
say "screenshots in $TARGET/browser-artifacts"
exit "$status"
