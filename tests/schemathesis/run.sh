#!/usr/bin/env bash
# The served OpenAPI document, checked two ways against a real server:
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
REQUIREMENTS=("schemathesis==4.32.5" "openapi-spec-validator==0.9.0")
TOKEN=schemathesis-staff-token
SAY_PREFIX=schemathesis
# shellcheck source=../lib/server.sh
. "$ROOT/tests/lib/server.sh"

wou_work_dir schemathesis
trap wou_cleanup EXIT
trap 'exit 130' INT TERM

# --- the virtual environment (.venv is gitignored) -------------------------------------------
VENV=$ROOT/.venv/schemathesis
wou_ensure_venv "$VENV" - "${REQUIREMENTS[@]}"

# --- the server ------------------------------------------------------------------------------
wou_server_bin
if [ -z "${DATABASE_URL:-}" ] && command -v pg_isready >/dev/null && pg_isready -q -h 127.0.0.1 -p 5432; then
  DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres
fi
wou_fresh_database "wou_schemathesis_$$" || exit 2
if [ -n "$DB_NAME" ]; then say "database $DB_NAME on ${DATABASE_URL%%\?*}"; else say "embedded cluster in $DATA_DIR"; fi
wou_import "$HERE/directory.json" "$WORK/import.log" || exit 1
wou_start_server "$WORK/server.log" || exit 1
# no credentials: the schema is public (docs/spec/decisions.md 30)
"$PYTHON" -c 'import sys, urllib.request; open(sys.argv[2], "wb").write(urllib.request.urlopen(sys.argv[1], timeout=10).read())' \
  "$BASE_URL/api/schema/" "$WORK/schema.json"
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
# from the work directory, so that schemathesis' cache (.schemathesis/) goes away with it.
# One worker: with two threads, hypothesis' `ast.parse` of a lambda's source file can run in
# both at once, which CPython 3.11 answers with "SystemError: AST constructor recursion depth
# mismatch" (its AST recursion counter is shared by threads); the run then fails inside the tool.
(cd "$WORK" && "$VENV/bin/st" --no-color --config-file "$HERE/schemathesis.toml" run "$BASE_URL/api/schema/" \
  --checks all --exclude-checks negative_data_rejection \
  --header "Authorization: Token $TOKEN" \
  --workers 1 \
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
