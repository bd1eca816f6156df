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
SAY_PREFIX=clients
# shellcheck source=../lib/server.sh
. "$ROOT/tests/lib/server.sh"

suites=("$@")
if [ ${#suites[@]} -eq 0 ]; then
  suites=()
  for v in "${SDK_VERSIONS[@]}"; do suites+=("sdk-$v"); done
  suites+=(agent)
fi

wou_work_dir clients
trap wou_cleanup EXIT
trap 'exit 130' INT TERM

started=$(date +%s)
for suite in "${suites[@]}"; do
  case $suite in
    sdk-*) wou_ensure_venv "$ROOT/.venv/clients-$suite" - "waldur-api-client==${suite#sdk-}" "pytest==$PYTEST_VERSION" ;;
    agent)
      # the backend package is installed from its directory; a changed file must reinstall it
      backend_sum=$(cat "$CLIENTS"/agent_backend/pyproject.toml "$CLIENTS"/agent_backend/*/*.py | cksum | cut -d' ' -f1)
      wou_ensure_venv "$ROOT/.venv/clients-agent-$AGENT_VERSION" "$backend_sum" "waldur-site-agent==$AGENT_VERSION" \
        "waldur-site-agent-basic-username-management==$AGENT_VERSION" "$CLIENTS/agent_backend"
      ;;
    *) say "unknown suite $suite (known: sdk-<version>, agent)"; exit 2 ;;
  esac
done
say "virtual environments ready in $(($(date +%s) - started)) s"

# --- the server binary ------------------------------------------------------------------------
wou_server_bin

"$PYTHON" "$CLIENTS/directory.py" "$WORK/directory.json"

# start_server SUITE: fresh database, import, serve in the background until it is ready
start_server() {
  local suite=$1
  wou_fresh_database "wou_clients_$$_${suite//[^a-z0-9]/_}" &&
    wou_import "$WORK/directory.json" "$WORK/import-$suite.log" &&
    wou_start_server "$WORK/server-$suite.log" \
      --enforce-offering-user-profile-completeness true  # directory.py's PROFILE offering
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
  wou_stop_server
  wou_drop_database
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
