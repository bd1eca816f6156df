#!/usr/bin/env bash
# What metrics cost: the staff list of the benchmark's S2 at 1k (`cargo run --release -p
# waldur-bench -- --scale 1k` seeds wou_bench_1k), served by the release binary with the
# management listener (metrics recorded) and without it (`--admin-bind off`: nothing recorded),
# in interleaved rounds. Per round: 3 s of warm-up, then 10 s of wrk at 16 connections; prints
# requests/s and the server's own CPU time per request (utime + stime from /proc), which
# varies less than throughput on a shared machine.
#
#     tests/load/metrics_cost.sh [target/release/waldur-offering-users] [rounds]
set -euo pipefail
BIN=${1:-target/release/waldur-offering-users}
ROUNDS=${2:-4}
DB=${BENCH_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/wou_bench_1k}
TOKEN=wou-bench-token-000000000000000000000001 # the bench's staff user
PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
printf 'wrk.path = "/api/marketplace-offering-users/?page_size=10"\nwrk.headers["Authorization"] = "Token %s"\n' \
  "$TOKEN" >"$work/s2.lua"
tck=$(getconf CLK_TCK)
for round in $(seq 1 "$ROUNDS"); do
  for mode in off on; do
    if [ "$mode" = on ]; then admin=127.0.0.1:0; else admin=off; fi
    DATABASE_URL=$DB RUST_LOG=warn "$BIN" serve --bind "127.0.0.1:$PORT" --admin-bind "$admin" >/dev/null 2>&1 &
    pid=$!
    until curl -s -o /dev/null "127.0.0.1:$PORT/health/live"; do sleep 0.1; done
    wrk -t2 -c16 -d3s -s "$work/s2.lua" "http://127.0.0.1:$PORT" >/dev/null
    read -r u0 s0 < <(awk '{print $14, $15}' "/proc/$pid/stat")
    out=$(wrk -t2 -c16 -d10s -s "$work/s2.lua" "http://127.0.0.1:$PORT")
    read -r u1 s1 < <(awk '{print $14, $15}' "/proc/$pid/stat")
    reqs=$(echo "$out" | awk '/requests in/ {print $1}')
    rps=$(echo "$out" | awk '/Requests\/sec/ {print $2}')
    cpu=$(python3 -c "print(round((($u1 - $u0) + ($s1 - $s0)) / $tck / $reqs * 1e6, 1))")
    echo "round $round, metrics $mode: $rps req/s, server CPU $cpu µs/request"
    kill -TERM "$pid"
    wait "$pid" || true
  done
done
