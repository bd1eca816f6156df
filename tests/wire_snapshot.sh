#!/usr/bin/env bash
# A snapshot of what the server says on the wire, to compare two builds byte for byte: the
# demo (`serve --demo`) on a fresh database, then the bodies and the headers a client reads
# (`Link`, `X-Result-Count`, `Content-Type`, `Allow`, `WWW-Authenticate`, `Retry-After`) of
# lists for several callers with filters, orderings and pages; every record's retrieve; the
# checklist reads of the Cloud VMs records; the users and offerings that hyperlinks point to;
# and the error answers of bad requests. One file per request in OUT_DIR.
#
# What differs between two runs of the demo is frozen before the requests, so two runs compare
# equal: the timestamps the demo's import and answers write (every timestamp of the last hour)
# become one fixed instant, the random uuids of its checklist completions and answers become
# a hash of their row's id, and every request names the same `Host`.
#
#   tests/wire_snapshot.sh OUT_DIR
#   diff -r before/ after/
#
# Environment: DATABASE_URL (optional), WOU_SERVER_BIN (use this binary instead of building),
# PYTHON (default python3), WOU_KEEP_LOGS=1 keeps the work directory.
set -euo pipefail
OUT=$(realpath -m "${1:?usage: tests/wire_snapshot.sh OUT_DIR}")
cd "$(dirname "$0")/.."
ROOT=$PWD
SAY_PREFIX=wire-snapshot
# shellcheck source=lib/server.sh
. "$ROOT/tests/lib/server.sh"

wou_work_dir wire-snapshot
trap wou_cleanup EXIT
trap 'exit 130' INT TERM

wou_server_bin
wou_fresh_database "wou_wire_snapshot_$$"
wou_start_server "$WORK/server.log" --demo

# Freeze the demo's own timestamps (the document's dates, years old, stay as they are) and the
# uuids it drew at random (the document's all start with 0000d3e0).
if [ -n "$DB_NAME" ]; then
  "${DB_ENV[@]}" sh -c 'psql "$DATABASE_URL" -qAt -v ON_ERROR_STOP=1' >/dev/null <<'EOF'
DO $$
DECLARE c record;
BEGIN
  FOR c IN SELECT table_name, column_name FROM information_schema.columns
           WHERE table_schema = 'public' AND data_type = 'timestamp with time zone'
  LOOP
    EXECUTE format('UPDATE %I SET %I = %L WHERE %I > now() - interval ''1 hour''',
                   c.table_name, c.column_name, '2024-05-06 07:08:09.123456+00', c.column_name);
  END LOOP;
  FOR c IN SELECT table_name FROM information_schema.columns
           WHERE table_schema = 'public' AND column_name = 'uuid' AND data_type = 'uuid'
  LOOP
    EXECUTE format('UPDATE %I SET uuid = md5(%L || id)::uuid WHERE uuid::text NOT LIKE ''0000d3e0%%''',
                   c.table_name, c.table_name);
  END LOOP;
END $$;
EOF
else
  say "DATABASE_URL is unset: the demo's timestamps are not frozen and will differ between runs"
fi

rm -rf "$OUT"
mkdir -p "$OUT"
"$PYTHON" - "$BASE_URL" "$OUT" <<'EOF'
import http.client, json, os, sys, urllib.parse

base, out = sys.argv[1], sys.argv[2]
host = urllib.parse.urlsplit(base).netloc
KEPT = ["content-type", "link", "x-result-count", "allow", "www-authenticate", "retry-after"]
LIST = "/api/marketplace-offering-users/"
OU = lambda n: "0000d3e0000000000000000000000%03x" % (0x600 + n)
CLOUD_VMS = "0000d3e0000000000000000000000304"
CLOUD_VMS_RECORDS = [OU(n) for n in range(0x0E, 0x13)]

def fetch(name, path, token=None, method="GET", body=None, headers=()):
    conn = http.client.HTTPConnection(host, timeout=30)
    hdrs = {"Host": "wire-snapshot.test", **dict(headers)}
    if token:
        hdrs["Authorization"] = "Token " + token
    if body is not None:
        hdrs["Content-Type"] = "application/json"
    conn.request(method, path, body=body, headers=hdrs)
    r = conn.getresponse()
    data = r.read()
    conn.close()
    lines = [f"{method} {path}", f"status: {r.status}"]
    for k in KEPT:
        for v in r.headers.get_all(k) or []:
            lines.append(f"{k}: {v}")
    with open(os.path.join(out, name), "wb") as f:
        f.write(("\n".join(lines) + "\n\n").encode())
        f.write(data)

tokens = {
    "staff": "demo-staff-token",
    "owner": "demo-owner-token",
    "alice": "demo-alice-token",
    "cloud-manager": "demo-cloud-manager-token",
    "support": "demo-support-token",
    "erin": "demo-erin-token",
}
queries = [
    "",
    "?page_size=3",
    "?page_size=3&page=2",
    "?page_size=5&page=3",
    "?o=-created",
    "?o=username",
    "?o=-state",
    "?state=OK",
    "?state=OK&state=Requested",
    "?offering_uuid=" + CLOUD_VMS,
    "?user_username=alice",
    "?is_restricted=true",
    "?has_consent=true",
    "?query=gr",
    "?field=uuid&field=state&field=url",
    "?field=username,offering_name,created",
]
for who, token in tokens.items():
    for i, q in enumerate(queries):
        fetch(f"list-{who}-{i:02}", LIST + q, token)

for n in range(1, 0x13):
    fetch(f"retrieve-{OU(n)}", f"{LIST}{OU(n)}/", tokens["staff"])
    fetch(f"retrieve-owner-{OU(n)}", f"{LIST}{OU(n)}/", tokens["owner"])

for uuid in CLOUD_VMS_RECORDS:
    for who in ["staff", "cloud-manager", "erin"]:
        for action in ["checklist", "completion_status", "completion_review_status", "checklist_review"]:
            fetch(f"checklist-{uuid}-{who}-{action}", f"{LIST}{uuid}/{action}/", tokens[who])
    fetch(f"checklist-{uuid}-own", f"{LIST}{uuid}/checklist/", "demo-%s-token" % {
        OU(0x0E): "dave", OU(0x0F): "erin", OU(0x10): "frank", OU(0x11): "grace", OU(0x12): "heidi"}[uuid])
fetch("template", f"{LIST}checklist-template/?parent_uuid={CLOUD_VMS}", tokens["staff"])
fetch("template-missing", f"{LIST}checklist-template/", tokens["staff"])

fetch("users-me", "/api/users/me/", tokens["alice"])
fetch("users-alice", "/api/users/0000d3e0000000000000000000000005/", tokens["staff"])
fetch("users-malformed", "/api/users/not-a-uuid/", tokens["staff"])
fetch("offering-cloud", f"/api/marketplace-provider-offerings/{CLOUD_VMS}/", tokens["staff"])
fetch("offering-cloud-owner", f"/api/marketplace-provider-offerings/{CLOUD_VMS}/", tokens["owner"])
fetch("offering-field", f"/api/marketplace-provider-offerings/{CLOUD_VMS}/?field=plugin_options", tokens["alice"])
fetch("offering-malformed", "/api/marketplace-provider-offerings/xyz/", tokens["staff"])

# Error answers.
fetch("err-401-none", LIST)
fetch("err-401-bad", LIST, "no-such-token")
fetch("err-401-inactive", LIST, "demo-trent-token")
fetch("err-401-malformed-none", f"{LIST}not-a-uuid/")
fetch("err-404-malformed", f"{LIST}not-a-uuid/", tokens["staff"])
fetch("err-404-unknown", f"{LIST}{'f' * 32}/", tokens["staff"])
fetch("err-404-hidden", f"{LIST}{OU(1)}/", tokens["erin"])
for action in ["checklist", "completion_status", "submit_answers", "set_ok", "begin_creating",
               "update_restricted", "update_comments"]:
    method = {"checklist": "GET", "completion_status": "GET", "update_comments": "PATCH"}.get(action, "POST")
    body = None if method == "GET" else "{}"
    fetch(f"err-404-malformed-{action}", f"{LIST}not-a-uuid/{action}/", tokens["staff"], method, body)
    fetch(f"err-401-malformed-{action}", f"{LIST}not-a-uuid/{action}/", None, method, body)
fetch("err-404-malformed-put", f"{LIST}not-a-uuid/", tokens["staff"], "PUT", "{}")
fetch("err-404-malformed-delete", f"{LIST}not-a-uuid/", tokens["staff"], "DELETE")
fetch("err-400-state", LIST + "?state=Bogus", tokens["staff"])
fetch("err-400-page-size", LIST + "?page_size=abc", tokens["staff"])
fetch("err-400-ordering", LIST + "?o=nonsense", tokens["staff"])
fetch("err-400-uuid-filter", LIST + "?offering_uuid=xyz", tokens["staff"])
fetch("err-400-bool", LIST + "?is_restricted=maybe", tokens["staff"])
fetch("err-404-page", LIST + "?page=99", tokens["staff"])
fetch("err-400-transition", f"{LIST}{OU(8)}/set_ok/", tokens["staff"], "POST", "{}")
fetch("err-403-transition", f"{LIST}{OU(1)}/set_ok/", tokens["alice"], "POST", "{}")
fetch("err-405", f"{LIST}{OU(1)}/set_ok/", tokens["staff"], "GET")
fetch("err-404-route", "/api/nothing-here/", tokens["staff"])
fetch("err-400-create", LIST, tokens["staff"], "POST", "{}")
fetch("err-400-json", LIST, tokens["staff"], "POST", "{not json")
fetch("err-checklist-forbidden", f"{LIST}{CLOUD_VMS_RECORDS[0]}/checklist_review/", tokens["alice"])
print(f"{len(os.listdir(out))} answers saved in {out}")
EOF
