#!/usr/bin/env bash
# Oversized submit_answers bodies against a release server: how much memory they cost it.
#
# Creates the database wou_load_oversized next to DATABASE_URL's (dropping an older one),
# imports a small directory (a user with a token, an offering whose checklist has file
# questions, the user's offering-user record), starts the given server binary on a free
# loopback port, and reads its VmRSS before and after
#   A. 12 parallel 55 MB submit_answers bodies sent with Content-Length, and
#   B. 12 parallel 55 MB bodies streamed chunked (no Content-Length),
# each with a valid token and record. Prints VmRSS/VmHWM, status codes and times, checks
# that nothing was written, then stops the server. Builds nothing.
#
#     cargo build --release
#     DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres \
#         tests/load/oversized_bodies.sh target/release/waldur-offering-users
set -euo pipefail

binary=${1:?usage: $0 path/to/waldur-offering-users}
: "${DATABASE_URL:?set DATABASE_URL to a PostgreSQL server (any database on it)}"
parallel=12
body_mb=55
database=wou_load_oversized
# The same server, another database (DATABASE_URL without a query string).
url="${DATABASE_URL%/*}/$database"

work=$(mktemp -d)
server_pid=
cleanup() {
    if [[ -n $server_pid ]] && kill -0 "$server_pid" 2>/dev/null; then
        kill -TERM "$server_pid"
        wait "$server_pid" || true
    fi
    rm -rf "$work"
}
trap cleanup EXIT

psql -q "$DATABASE_URL" -c "DROP DATABASE IF EXISTS $database WITH (FORCE)" -c "CREATE DATABASE $database"

token=load-user-token
record=00000000000000000000000000000f01
file_question=0000000000000000000000000000b101
cat >"$work/directory.json" <<EOF
{
  "users": [{"uuid": "00000000000000000000000000000a01", "username": "loaduser", "first_name": "Load",
             "last_name": "User", "email": "load@example.org", "token": "$token"}],
  "customers": [{"uuid": "00000000000000000000000000000c01", "name": "Provider", "abbreviation": "PR"}],
  "checklists": [{"uuid": "00000000000000000000000000000b01", "name": "Compliance",
                  "checklist_type": "offering_compliance",
                  "questions": [
                    {"uuid": "$file_question", "description": "Certificate", "question_type": "file",
                     "max_file_size_mb": 10},
                    {"uuid": "0000000000000000000000000000b102", "description": "Documents",
                     "question_type": "multiple_files", "max_file_size_mb": 5, "max_files_count": 3},
                    {"uuid": "0000000000000000000000000000b103", "description": "Notes",
                     "question_type": "text_area"}]}],
  "offerings": [{"uuid": "00000000000000000000000000000e01", "name": "Cluster", "slug": "cluster",
                 "type": "Marketplace.Slurm", "customer": "00000000000000000000000000000c01",
                 "plugin_options": {"service_provider_can_create_offering_user": true},
                 "compliance_checklist": "00000000000000000000000000000b01"}],
  "offering_users": [{"uuid": "$record", "user": "00000000000000000000000000000a01",
                      "offering": "00000000000000000000000000000e01", "username": "load", "state": "OK"}]
}
EOF
DATABASE_URL=$url "$binary" import "$work/directory.json" >/dev/null

# One file answer whose base64 content makes the whole body $body_mb MB.
python3 - "$work/body.json" "$file_question" "$body_mb" <<'EOF'
import sys
path, question, mb = sys.argv[1], sys.argv[2], int(sys.argv[3])
head = '[{"question_uuid": "%s", "answer_data": {"name": "big.pdf", "content": "' % question
tail = '"}}]'
content = mb * 1000 * 1000 - len(head) - len(tail)
with open(path, "w") as f:
    f.write(head + "A" * (content - content % 4) + tail)
EOF

port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
base="http://127.0.0.1:$port"
DATABASE_URL=$url "$binary" serve --bind "127.0.0.1:$port" --admin-bind off >"$work/server.log" 2>&1 &
server_pid=$!
for _ in $(seq 300); do
    curl -sf "$base/health/ready" >/dev/null && break
    sleep 0.2
done
curl -sf "$base/health/ready" >/dev/null || { cat "$work/server.log"; echo "the server did not become ready" >&2; exit 1; }

# No trailing slash (the server answers either way): `curl -T file` would append the file's
# name to a URL that ends in one.
submit="$base/api/marketplace-offering-users/$record/submit_answers"
memory() {
    awk '/^VmRSS|^VmHWM/ {printf "%s %6.1f MiB   ", $1, $2 / 1024} END {print ""}' "/proc/$server_pid/status"
}
# One small valid submission first, so that "before" counts a warmed-up server.
curl -s -o /dev/null -X POST -H "Authorization: Token $token" -H "Content-Type: application/json" \
    --data '[]' "$submit"

summary() {
    sort "$1" | awk '{codes[$1 " (curl exit " $3 ")"]++; if ($2 > max) max = $2}
        END {for (c in codes) printf "  %2d x HTTP %s\n", codes[c], c; printf "  slowest %.2f s\n", max}'
}

echo "body: $(stat -c %s "$work/body.json") bytes, $parallel in parallel; server pid $server_pid"
echo -n "before:                   "; memory

# Fires $parallel submissions of the body at once, uploaded as `-T <upload>` (a file: sent
# with its Content-Length; `-`: read from standard input and sent chunked); waits for all.
fire() {
    local name=$1 upload=$2
    local pids=()
    for i in $(seq "$parallel"); do
        (curl -s -o /dev/null -w '%{http_code} %{time_total}' -X POST -T "$upload" -H "Expect:" \
            -H "Authorization: Token $token" -H "Content-Type: application/json" "$submit" <"$work/body.json"
         echo " $?") >"$work/$name.$i" &
        pids+=($!)
    done
    wait "${pids[@]}"
    cat "$work/$name".* >"$work/$name"
}

# A: Content-Length declared; "Expect:" off so that curl sends the body at once rather than
# waiting for a 100 Continue that a server refusing the body never sends.
fire a "$work/body.json"
echo -n "after A (Content-Length): "; memory
summary "$work/a"

# B: chunked, no Content-Length: the server finds the size only by reading.
fire b -
echo -n "after B (chunked):        "; memory
summary "$work/b"

answers=$(psql -tA "$url" -c "SELECT count(*) FROM checklist_answers")
files=$(psql -tA "$url" -c "SELECT count(*) FROM checklist_files")
echo "written: $answers answers, $files files"
