#!/usr/bin/env python3
"""Slow clients against a release server: how many half-open connections are closed, and when.

Starts the server binary (`serve`, default limits unless flags are given after `--`) on a
free loopback port over DATABASE_URL (or the embedded default), opens N connections that
send half a request line or nothing at all and then stop, and meanwhile measures complete
requests from a well-behaved client. Prints the figures; changes nothing else.

    python3 tests/load/slow_clients.py target/release/waldur-offering-users [--connections 400] [-- --header-read-timeout 10s]
"""

import argparse
import os
import socket
import subprocess
import sys
import threading
import time


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_ready(port, deadline=60):
    started = time.time()
    while time.time() - started < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
                s.sendall(b"GET /health/ready HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                if s.recv(64).startswith(b"HTTP/1.1 200"):
                    return
        except OSError:
            pass
        time.sleep(0.2)
    sys.exit("the server did not become ready")


def timed_request(port):
    started = time.time()
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall(b"GET /health/live HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        status = s.recv(64)[:12]
    return status.decode(errors="replace"), time.time() - started


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("binary")
    parser.add_argument("--connections", type=int, default=400)
    parser.add_argument("--wait", type=float, default=40.0, help="seconds to wait for the closes")
    parser.add_argument("server_flags", nargs="*")
    args = parser.parse_args()

    port = free_port()
    server = subprocess.Popen(
        [args.binary, "serve", "--bind", f"127.0.0.1:{port}", "--admin-bind", "off", *args.server_flags],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_ready(port)
        sockets = []
        for i in range(args.connections):
            s = socket.create_connection(("127.0.0.1", port))
            if i % 2 == 0:
                s.sendall(b"GET /api/marketplace-offering-users/ HT")
            sockets.append(s)
        opened = time.time()
        closes = [None] * len(sockets)

        def watch(i, s):
            s.settimeout(args.wait)
            try:
                if s.recv(1024) == b"":
                    closes[i] = time.time() - opened
            except (socket.timeout, OSError):
                pass

        watchers = [threading.Thread(target=watch, args=(i, s)) for i, s in enumerate(sockets)]
        for w in watchers:
            w.start()
        samples = []
        while any(w.is_alive() for w in watchers) and time.time() - opened < args.wait:
            samples.append(timed_request(port))
            time.sleep(0.5)
        for w in watchers:
            w.join()
        closed = sorted(c for c in closes if c is not None)
        print(f"half-open connections: {len(sockets)}; closed by the server: {len(closed)}")
        if closed:
            print(f"closed after: first {closed[0]:.2f} s, median {closed[len(closed) // 2]:.2f} s, last {closed[-1]:.2f} s")
        ok = [t for status, t in samples if status.startswith("HTTP/1.1 200")]
        print(f"well-behaved requests meanwhile: {len(ok)} of {len(samples)} answered 200, "
              f"slowest {max(ok) * 1000 if ok else float('nan'):.1f} ms")
        for s in sockets:
            s.close()
    finally:
        server.terminate()
        server.wait(timeout=30)


if __name__ == "__main__":
    main()
