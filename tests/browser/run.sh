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
SAY_PREFIX=browser
# shellcheck source=../lib/server.sh
. "$ROOT/tests/lib/server.sh"

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

# --- a fresh database, the demo directory, the server ----------------------------------------
wou_server_bin
wou_work_dir browser
trap wou_cleanup EXIT
trap 'exit 130' INT TERM
wou_fresh_database "wou_browser_$$" || exit 2
wou_import "$ROOT/src/directory/demo.json" "$WORK/import.log" || exit 1
WOU_PORT=$(wou_free_port)
PAGE_PORT=$(wou_free_port)
while [ "$PAGE_PORT" = "$WOU_PORT" ]; do PAGE_PORT=$(wou_free_port); done
wou_start_server "$WORK/server.log" --cors-allowed-origins "http://127.0.0.1:$PAGE_PORT" || exit 1
API_URL=$BASE_URL
say "server on $API_URL (pid $SERVER_PID), CORS allowed for http://127.0.0.1:$PAGE_PORT"

# --- the tests --------------------------------------------------------------------------------
status=0
WOU_API_URL=$API_URL WOU_TOKEN=$TOKEN WOU_PAGE_PORT=$PAGE_PORT WOU_ARTIFACTS=$TARGET/browser-artifacts \
  node --test --test-concurrency=1 --test-reporter=spec "$HERE/cors.test.mjs" "$HERE/docs.test.mjs" || status=$?
if ! kill -0 "$SERVER_PID" 2>/dev/null; then
  say "the server died during the tests; its log:"
  tail -n 50 "$SERVER_LOG"
  status=1
fi
say "screenshots in $TARGET/browser-artifacts"
exit "$status"
