#!/usr/bin/env bash
# Hostile clients against a release server with small limits: one figure per finding.
#
# Creates a fresh database on DATABASE_URL's server (tests/lib/server.sh), imports a small
# directory (two users with tokens, an offering whose checklist has one file question without
# a size limit, the users' records, and 300 more records with 30,000-character comments for a
# large page), starts the given binary with
#   --max-in-flight 8 --request-timeout 2s --admin-bind 127.0.0.1:<port>
# and prints:
#   (a) the status of a plain list 5 s after 8 POSTs sent 1 byte of a 1,000-byte body;
#   (b) VmRSS growth while a PATCH body arrives one byte per TCP segment (8,000 bytes, or
#       as many as 1.6 s allow: the request timeout is 2 s);
#   (c) the size of /metrics after 2,000 requests with made-up 2 kB method names;
#   (d) VmHWM before and after a 32 MiB submit_answers body `[0,0,…]`, and its status;
#   (g) VmHWM before and after an accepted 8 MiB submit_answers (a 6 MiB file), and its status;
#   (e) the status of another user's small submit_answers while two clients declare 32 MiB
#       and send nothing;
#   (f) http_requests_in_flight 3 s after 30 clients disconnect mid-response.
# Changes nothing else; builds nothing. Extra serve flags may follow the binary.
#
#     cargo build --release
#     DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres \
#         tests/load/hostile.sh target/release/waldur-offering-users
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
SAY_PREFIX=hostile
WOU_SERVER_BIN=${1:?usage: $0 path/to/waldur-offering-users [serve flags…]}
shift
: "${DATABASE_URL:?set DATABASE_URL to a PostgreSQL server (any database on it)}"
# shellcheck source=tests/lib/server.sh
source "$ROOT/tests/lib/server.sh"
trap wou_cleanup EXIT

wou_work_dir hostile
wou_server_bin
wou_fresh_database "wou_load_hostile_$$"

"$PYTHON" - "$WORK/directory.json" <<'EOF'
import json, sys
provider, offering, checklist = "0" * 28 + "0c01", "0" * 28 + "0e01", "0" * 28 + "0b01"
users = [
    {"uuid": "0" * 28 + "0a01", "username": "hostile", "first_name": "Hostile", "last_name": "Client",
     "email": "hostile@example.org", "token": "hostile-token", "is_staff": True},
    {"uuid": "0" * 28 + "0a02", "username": "bystander", "first_name": "Innocent", "last_name": "Bystander",
     "email": "bystander@example.org", "token": "bystander-token"},
]
records = [
    {"uuid": "0" * 28 + "0f01", "user": users[0]["uuid"], "offering": offering, "username": "hostile", "state": "OK"},
    {"uuid": "0" * 28 + "0f02", "user": users[1]["uuid"], "offering": offering, "username": "bystander", "state": "OK"},
]
for i in range(300):
    user = "%032x" % (0x10000000 + i)
    users.append({"uuid": user, "username": "reader%d" % i, "first_name": "Page", "last_name": "Filler",
                  "email": "reader%d@example.org" % i})
    records.append({"uuid": "%032x" % (0xf0000000 + i), "user": user, "offering": offering, "state": "OK"})
json.dump({
    "users": users,
    "customers": [{"uuid": provider, "name": "Provider", "abbreviation": "PR"}],
    "checklists": [{"uuid": checklist, "name": "Compliance", "checklist_type": "offering_compliance",
                    "questions": [{"uuid": "0" * 28 + "b101", "description": "Anything to add?",
                                   "question_type": "file"}]}],
    "offerings": [{"uuid": offering, "name": "Cluster", "slug": "cluster", "type": "Marketplace.Slurm",
                   "customer": provider, "plugin_options": {"service_provider_can_create_offering_user": True},
                   "compliance_checklist": checklist}],
    "offering_users": records,
}, open(sys.argv[1], "w"))
EOF
wou_import "$WORK/directory.json" "$WORK/import.log"
psql "${DATABASE_URL%/*}/$DB_NAME" -qAt -c "UPDATE offering_users SET service_provider_comment = repeat('c', 30000)" >/dev/null

# tests/lib/server.sh starts servers without a management listener; (c) and (f) read one.
port=$(wou_free_port)
admin_port=$(wou_free_port)
"${DB_ENV[@]}" RUST_LOG=${RUST_LOG:-error} "$BIN" serve --bind "127.0.0.1:$port" --admin-bind "127.0.0.1:$admin_port" \
    --max-in-flight 8 --request-timeout 2s "$@" >"$WORK/server.log" 2>&1 </dev/null &
SERVER_PID=$!
say "server $("$BIN" --version) pid $SERVER_PID on port $port"

"$PYTHON" - "$port" "$admin_port" "$SERVER_PID" <<'EOF'
import socket, sys, threading, time

port, admin_port, pid = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
RECORD, OTHER_RECORD, QUESTION = "0" * 28 + "0f01", "0" * 28 + "0f02", "0" * 28 + "b101"
TOKEN, OTHER_TOKEN = "hostile-token", "bystander-token"


def status_kib(field):
    for line in open("/proc/%d/status" % pid):
        if line.startswith(field + ":"):
            return int(line.split()[1])


def connect(target=None, rcvbuf=None):
    s = socket.socket()
    if rcvbuf:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    s.connect(("127.0.0.1", target or port))
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return s


def head(method, path, token=None, length=None, close=True):
    lines = ["%s %s HTTP/1.1" % (method, path), "Host: 127.0.0.1"]
    if token:
        lines.append("Authorization: Token " + token)
    if length is not None:
        lines += ["Content-Type: application/json", "Content-Length: %d" % length]
    if close:
        lines.append("Connection: close")
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def read_all(s, timeout=60):
    s.settimeout(timeout)
    data = b""
    try:
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
    except OSError:
        pass
    return data


def status_of(data):
    try:
        return int(data.split(b" ", 2)[1])
    except (IndexError, ValueError):
        return "no answer"


def request(method, path, token=None, body=None, target=None):
    s = connect(target)
    s.sendall(head(method, path, token, None if body is None else len(body)) + (body or b""))
    data = read_all(s)
    s.close()
    return data


def wait_ready():
    for _ in range(300):
        try:
            if status_of(request("GET", "/health/ready")) == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    sys.exit("the server did not become ready")


LIST = "/api/marketplace-offering-users/"
SUBMIT = LIST + RECORD + "/submit_answers/"
wait_ready()
request("GET", LIST, TOKEN)
request("POST", SUBMIT, TOKEN, b"[]")
figures = {}

# (d) first, on a fresh server: its peak is the server's peak.
before = status_kib("VmHWM")
body = b"[" + b"0," * (16 * 1024 * 1024 - 2) + b"0] "
assert len(body) == 32 * 1024 * 1024
s = connect()
s.sendall(head("POST", SUBMIT, TOKEN, len(body)))
s.sendall(body)
answer = read_all(s)
s.close()
# A server that answered 503 at its deadline may still be parsing: let it finish.
time.sleep(3)
after = status_kib("VmHWM")
figures["d"] = "32 MiB [0,0,...] submit_answers: HTTP %s; VmHWM %.1f MiB -> %.1f MiB (+%.1f MiB)" % (
    status_of(answer), before / 1024, after / 1024, (after - before) / 1024)

# (g) an accepted body: a 6 MiB file answer (8 MiB of JSON), peak measured from a reset
# high-water mark (writing 5 to clear_refs), so that (d) does not hide it.
time.sleep(1)
import base64
with open("/proc/%d/clear_refs" % pid, "w") as refs:
    refs.write("5")
before = status_kib("VmHWM")
content = base64.b64encode(bytes(range(256)) * (6 * 1024 * 1024 // 256)).decode()
body = ('[{"question_uuid": "%s", "answer_data": {"name": "big.bin", "content": "%s"}}]' % (QUESTION, content)).encode()
answer = request("POST", SUBMIT, TOKEN, body)
after = status_kib("VmHWM")
figures["g"] = "an accepted %.1f MiB submit_answers (a 6 MiB file): HTTP %s; VmHWM %.1f MiB -> %.1f MiB (+%.1f MiB, %.1fx its bytes)" % (
    len(body) / 2**20, status_of(answer), before / 1024, after / 1024, (after - before) / 1024,
    (after - before) * 1024 / len(body))

# (b) one byte per TCP segment of a 256 KiB body, 8,000 bytes, within the request timeout.
time.sleep(1)
rss_before = status_kib("VmRSS")
s = connect()
s.sendall(head("PATCH", LIST + RECORD + "/", TOKEN, 256 * 1024, close=False))
started = time.time()
sent = 0
try:
    # Within the request timeout (2 s), however fast this machine sends.
    while sent < 8000 and time.time() - started < 1.6:
        s.send(b" ")
        sent += 1
        time.sleep(0.00005)
except OSError:
    pass
sent_in = time.time() - started
time.sleep(0.2)
rss_after = status_kib("VmRSS")
s.close()
figures["b"] = "%d bytes one per segment (%.1f s): VmRSS %.1f MiB -> %.1f MiB (+%.1f MiB)" % (
    sent, sent_in, rss_before / 1024, rss_after / 1024, (rss_after - rss_before) / 1024)

# (e) two clients declare 32 MiB and send nothing; another user submits 79 bytes.
time.sleep(2.5)
declaring = []
for _ in range(2):
    s = connect()
    s.sendall(head("POST", SUBMIT, TOKEN, 32 * 1024 * 1024, close=False))
    declaring.append(s)
time.sleep(0.5)
small = ('[{"question_uuid": "%s", "answer_data": {"name": "a.txt", "content": "aGk="}}]' % QUESTION).encode()
answer = request("POST", LIST + OTHER_RECORD + "/submit_answers/", OTHER_TOKEN, small)
figures["e"] = "a %d-byte submit_answers while two clients declare 32 MiB: HTTP %s" % (len(small), status_of(answer))
for s in declaring:
    s.close()

# (a) 8 stalled bodies, then a plain list 5 s later.
time.sleep(2.5)
stalled = []
for i in range(8):
    s = connect()
    s.sendall(head("POST", LIST + "%032x" % (0xdead0000 + i) + "/begin_creating/", TOKEN, 1000, close=False) + b"{")
    stalled.append(s)
time.sleep(5)
answer = request("GET", LIST, TOKEN)
figures["a"] = "plain list 5 s after 8 stalled bodies: HTTP %s" % status_of(answer)
for s in stalled:
    s.close()

# (f) 30 clients leave in the middle of a ~9 MB page; the gauge 3 s later.
time.sleep(2.5)
def leave_mid_response():
    s = connect(rcvbuf=16 * 1024)
    s.sendall(head("GET", LIST + "?page_size=300", TOKEN))
    time.sleep(0.05)
    # A reset, as a client that is killed leaves its connection.
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
    s.close()
threads = [threading.Thread(target=leave_mid_response) for _ in range(30)]
for t in threads:
    t.start()
for t in threads:
    t.join()
time.sleep(3)
metrics = request("GET", "/metrics", target=admin_port).decode(errors="replace")
gauge = [l for l in metrics.splitlines() if l.startswith("http_requests_in_flight")]
figures["f"] = "http_requests_in_flight 3 s after 30 clients reset their connections mid-request: %s" % (
    gauge[0].split()[-1] if gauge else "absent")

# (c) 2,000 requests with made-up 2 kB method names, over kept-alive connections.
def read_answer(s, pending=b""):
    """One whole answer (it has a Content-Length) off a kept-alive connection."""
    data = pending
    while b"\r\n\r\n" not in data:
        chunk = s.recv(65536)
        if not chunk:
            return None
        data += chunk
    head_part, rest = data.split(b"\r\n\r\n", 1)
    length = 0
    for line in head_part.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            length = int(line.split(b":")[1])
    while len(rest) < length:
        chunk = s.recv(65536)
        if not chunk:
            return None
        rest += chunk
    return head_part


def odd_methods(start, count):
    s = connect()
    for i in range(start, start + count):
        method = "X%05d" % i + "M" * 2042
        s.sendall(head(method, LIST, TOKEN, close=False))
        if read_answer(s) is None:
            s.close()
            s = connect()
    s.close()
before = len(request("GET", "/metrics", target=admin_port))
threads = [threading.Thread(target=odd_methods, args=(k * 250, 250)) for k in range(8)]
for t in threads:
    t.start()
for t in threads:
    t.join()
after = len(request("GET", "/metrics", target=admin_port))
figures["c"] = "/metrics after 2,000 requests with 2 kB method names: %d -> %d bytes" % (before, after)

for key in "abcdefg":
    print("(%s) %s" % (key, figures[key]))
EOF
