#!/usr/bin/env python3
"""The API's write latency while a large directory is imported again beside it.

    cargo build --release
    python3 tests/load/reimport_latency.py [--bin target/release/waldur-offering-users] \
        [--offering-users 20000] [--runs 2] [--overwrite]

Makes a database of its own (dropped at the end), imports a document of `directory_gen.py`
(plus a staff user whose token the agent uses), serves it with the release binary, then per
run: an agent PATCHes the username of a random offering user every 50 ms (one connection, one
request at a time, as the site agent does) while the same document is imported again with
`waldur-offering-users import`. Prints the import's duration and the PATCHes' worst, p99 and
median latency, and how many were answered 5xx. `--overwrite` imports with
`--overwrite-offering-users` (a binary that knows the flag). The first import's duration (every
row created) is printed too.
"""

import argparse
import http.client
import json
import os
import random
import socket
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
STAFF = {"uuid": "ffff0000000000000000000000000001", "username": "load-staff", "is_staff": True,
         "token": "load-staff-token"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def psql(admin_url: str, sql: str) -> None:
    subprocess.run(["psql", admin_url, "-qc", sql], check=True, stdout=subprocess.DEVNULL)


def agent(port: int, uuids: list, stop: threading.Event, results: list) -> None:
    """PATCHes a random record's username every 50 ms until `stop`; records (seconds, status)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    headers = {"Authorization": f"Token {STAFF['token']}", "Content-Type": "application/json"}
    tick = time.monotonic()
    n = 0
    while not stop.is_set():
        uuid = random.choice(uuids)
        body = json.dumps({"username": f"agent{n}"})
        started = time.monotonic()
        try:
            conn.request("PATCH", f"/api/marketplace-offering-users/{uuid}/", body, headers)
            response = conn.getresponse()
            response.read()
            status = response.status
        except (OSError, http.client.HTTPException):
            conn.close()
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            status = 0
        results.append((time.monotonic() - started, status))
        n += 1
        tick += 0.05
        time.sleep(max(0.0, tick - time.monotonic()))


def percentile(values: list, p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--bin", default="target/release/waldur-offering-users")
    parser.add_argument("--offering-users", type=int, default=20_000)
    parser.add_argument("--users", type=int, default=0, help="default: half the offering users")
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("--overwrite", action="store_true")
    parser.add_argument("--admin-url", default="postgres://postgres@127.0.0.1:5432/postgres")
    args = parser.parse_args()
    users = args.users or max(1, args.offering_users // 2)

    name = f"wou_reimport_latency_{os.getpid()}"
    db_url = args.admin_url.rsplit("/", 1)[0] + "/" + name
    env = dict(os.environ, DATABASE_URL=db_url, RUST_LOG="warn")
    work = tempfile.mkdtemp()
    doc_path = os.path.join(work, "directory.json")
    generated = subprocess.run(
        [sys.executable, os.path.join(HERE, "directory_gen.py"), "--users", str(users),
         "--offering-users", str(args.offering_users)],
        check=True, capture_output=True, text=True).stdout
    doc = json.loads(generated)
    doc["users"].append(STAFF)
    uuids = [o["uuid"] for o in doc["offering_users"]]
    with open(doc_path, "w") as f:
        json.dump(doc, f, separators=(",", ":"))

    psql(args.admin_url, f"CREATE DATABASE {name}")
    server = None
    try:
        started = time.monotonic()
        subprocess.run([args.bin, "import", doc_path], env=env, check=True, stdout=subprocess.DEVNULL)
        first = time.monotonic() - started
        port = free_port()
        server = subprocess.Popen([args.bin, "serve", "--bind", f"127.0.0.1:{port}", "--admin-bind", "off"],
                                  env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 30
        while True:
            try:
                c = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
                c.request("GET", "/health/live")
                if c.getresponse().status == 200:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                sys.exit("the server did not start")
            time.sleep(0.1)

        flags = ["--overwrite-offering-users"] if args.overwrite else []
        print(f"{args.offering_users} offering users, {users} users; binary {args.bin}; "
              f"import {' '.join(flags) or '(no flags)'}; the first import (all created) took {first:.2f} s")
        for run in range(1, args.runs + 1):
            results: list = []
            stop = threading.Event()
            thread = threading.Thread(target=agent, args=(port, uuids, stop, results))
            thread.start()
            time.sleep(1.0)  # the agent's pace before the import
            before = len(results)
            started = time.monotonic()
            imported = subprocess.run([args.bin, "import", doc_path, *flags], env=env, capture_output=True, text=True)
            took = time.monotonic() - started
            time.sleep(0.5)
            stop.set()
            thread.join()
            during = results[before:]
            latencies = [r[0] * 1000 for r in during]
            errors = sum(1 for _, s in during if s >= 500 or s == 0)
            other = sum(1 for _, s in during if s != 200 and not (s >= 500 or s == 0))
            outcome = "ok" if imported.returncode == 0 else f"FAILED ({imported.stderr.strip()[-200:]})"
            print(f"run {run}: import {took:.2f} s {outcome}; {len(during)} PATCHes during and after it: "
                  f"worst {max(latencies):.0f} ms, p99 {percentile(latencies, 99):.0f} ms, "
                  f"median {percentile(latencies, 50):.0f} ms, 5xx {errors}, other non-200 {other}")
    finally:
        if server is not None:
            server.terminate()
            server.wait()
        psql(args.admin_url, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


if __name__ == "__main__":
    main()
