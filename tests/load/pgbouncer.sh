#!/usr/bin/env bash
# The server behind PgBouncer in transaction mode, configured as the README says: a fresh
# database on $DATABASE_URL's server, PgBouncer on a free port in front of it, `serve --demo`
# through PgBouncer with DATABASE_MIGRATION_URL straight to PostgreSQL, then reads, state
# actions, a username PATCH, restriction, submit_answers, the checklist views, /health/ready,
# 2,000 requests from 16 clients, and `migrate` ten times during that load. Fails on any 5xx,
# on a request that fails, or on an advisory lock left behind.
#
#   PGBOUNCER=/path/to/pgbouncer DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres \
#       bash tests/load/pgbouncer.sh
#
# Needs PgBouncer 1.21 or newer (Debian 12's 1.18 cannot: no prepared-statement tracking), curl,
# psql and python3. PgBouncer refuses to run as root: as root it runs as the user `postgres`.
set -euo pipefail
cd "$(dirname "$0")/../.."
PGBOUNCER=${PGBOUNCER:-pgbouncer}
: "${DATABASE_URL:?DATABASE_URL must name a PostgreSQL server whose role may create databases}"
TARGET=${CARGO_TARGET_DIR:-$PWD/target}
cargo build --quiet --bin waldur-offering-users
BIN=$TARGET/debug/waldur-offering-users
"$PGBOUNCER" --version | head -1

WORK=$(mktemp -d /tmp/wou-pgbouncer.XXXXXX)
chmod 755 "$WORK"
DB=wou_pgbouncer_$$
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
PGB_PORT=$(free_port)
API_PORT=$(free_port)
SERVER_PID=""
cleanup() {
  [ -n "$SERVER_PID" ] && kill -TERM "$SERVER_PID" 2>/dev/null && wait "$SERVER_PID" 2>/dev/null || true
  [ -f "$WORK/pgbouncer.pid" ] && kill -TERM "$(cat "$WORK/pgbouncer.pid")" 2>/dev/null || true
  sleep 0.5
  psql "$DATABASE_URL" -qAt -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" >/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

psql "$DATABASE_URL" -qAt -v ON_ERROR_STOP=1 -c "CREATE DATABASE $DB" >/dev/null
DIRECT=$(python3 -c 'import sys, urllib.parse as u; p = u.urlsplit(sys.argv[1]); print(p._replace(path="/" + sys.argv[2]).geturl())' "$DATABASE_URL" "$DB")
read -r PG_HOST PG_PORT PG_USER < <(python3 -c 'import sys, urllib.parse as u; p = u.urlsplit(sys.argv[1]); print(p.hostname or "127.0.0.1", p.port or 5432, p.username or "postgres")' "$DATABASE_URL")
POOLED="postgres://$PG_USER@127.0.0.1:$PGB_PORT/$DB"

printf '"%s" ""\n' "$PG_USER" >"$WORK/userlist.txt"
cat >"$WORK/pgbouncer.ini" <<EOF
[databases]
$DB = host=$PG_HOST port=$PG_PORT dbname=$DB user=$PG_USER connect_query='SET plan_cache_mode = force_generic_plan; SET max_parallel_workers_per_gather = 0; SET statement_timeout = 10000; SET idle_in_transaction_session_timeout = 10000'

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = $PGB_PORT
unix_socket_dir =
auth_type = trust
auth_file = $WORK/userlist.txt
pool_mode = transaction
max_prepared_statements = 200
ignore_startup_parameters = extra_float_digits, options
default_pool_size = 8
max_client_conn = 200
logfile = $WORK/pgbouncer.log
pidfile = $WORK/pgbouncer.pid
EOF
if [ "$(id -u)" = 0 ]; then
  chown -R postgres "$WORK"
  runuser -u postgres -- "$PGBOUNCER" -d "$WORK/pgbouncer.ini"
else
  "$PGBOUNCER" -d "$WORK/pgbouncer.ini"
fi
sleep 0.5
echo "session settings through PgBouncer: $(psql "$POOLED" -qAt -c 'SHOW statement_timeout' -c 'SHOW plan_cache_mode' | tr '\n' ' ')"

DATABASE_URL=$POOLED DATABASE_MIGRATION_URL=$DIRECT RUST_LOG=warn "$BIN" serve --demo \
  --bind "127.0.0.1:$API_PORT" --admin-bind off >"$WORK/server.log" 2>&1 &
SERVER_PID=$!
until "$BIN" health --url "http://127.0.0.1:$API_PORT/health/ready" >/dev/null 2>&1; do
  kill -0 "$SERVER_PID" 2>/dev/null || { cat "$WORK/server.log"; exit 1; }
  sleep 0.2
done

S=http://127.0.0.1:$API_PORT
B=$S/api/marketplace-offering-users
U=0000d3e0000000000000000000000
failed=0
expect() { # expect CODE LABEL CURL-ARGS…
  local want=$1 label=$2 got
  shift 2
  got=$(curl -s -o /dev/null -w '%{http_code}' "$@")
  printf '%-18s %s\n' "$label" "$got"
  [ "$got" = "$want" ] || failed=1
}
json='Content-Type: application/json'
expect 200 "ready" "$S/health/ready"
expect 200 "list (staff)" -H 'Authorization: Token demo-staff-token' "$B/"
expect 200 "list (owner)" -H 'Authorization: Token demo-owner-token' "$B/?state=OK&state=Requested"
expect 200 "count (HEAD)" -I -H 'Authorization: Token demo-staff-token' "$B/"
expect 200 "retrieve" -H 'Authorization: Token demo-owner-token' "$B/${U}602/"
expect 200 "begin_creating" -X POST -H 'Authorization: Token demo-offering-manager-token' "$B/${U}602/begin_creating/"
expect 200 "username PATCH" -X PATCH -H 'Authorization: Token demo-offering-manager-token' -H "$json" \
  -d '{"username": "bjones"}' "$B/${U}602/"
expect 200 "update_restricted" -X POST -H 'Authorization: Token demo-customer-manager-token' -H "$json" \
  -d '{"is_restricted": true}' "$B/${U}602/update_restricted/"
expect 200 "checklist" -H 'Authorization: Token demo-frank-token' "$B/${U}610/checklist/"
expect 200 "submit_answers" -X POST -H 'Authorization: Token demo-frank-token' -H "$json" \
  -d "[{\"question_uuid\": \"${U}805\", \"answer_data\": 10}]" "$B/${U}610/submit_answers/"
expect 200 "review status" -H 'Authorization: Token demo-cloud-manager-token' "$B/${U}60f/completion_review_status/"

tokens=(demo-staff-token demo-owner-token demo-offering-manager-token demo-alice-token demo-cloud-owner-token demo-dave-token)
paths=("$B/" "$B/?state=OK" "$B/${U}601/" "$B/?o=-created" "$B/${U}60e/checklist/" "$B/?query=a")
for i in $(seq 0 1999); do echo "${tokens[$((i % 6))]} ${paths[$(((i / 6) % 6))]}"; done |
  xargs -P 16 -n 2 sh -c 'curl -s -o /dev/null -w "%{http_code}\n" -H "Authorization: Token $0" "$1"' \
    >"$WORK/load.txt" &
LOAD=$!
for _ in $(seq 1 10); do
  DATABASE_URL=$POOLED DATABASE_MIGRATION_URL=$DIRECT timeout 20 "$BIN" migrate >/dev/null 2>&1 || { echo "migrate failed"; failed=1; }
done
wait "$LOAD"
echo "2,000 requests: $(sort "$WORK/load.txt" | uniq -c | tr '\n' ' ')"
grep -qv '^[24]0[04]$' "$WORK/load.txt" && { echo "unexpected statuses under load"; failed=1; }
locks=$(psql "$DIRECT" -qAt -c "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'")
echo "advisory locks left: $locks"
[ "$locks" = 0 ] || failed=1
if grep -q "ERROR\|prepared statement" "$WORK/server.log"; then
  grep -m5 "ERROR\|prepared statement" "$WORK/server.log"
  failed=1
fi
[ "$failed" = 0 ] && echo "PgBouncer: ok" || { echo "PgBouncer: FAILED"; exit 1; }
