"""Public embeds under load, beside a static file of the same size from the same server.

    nice -n 10 .venv/bin/python -m bench.embeds_load --serving /tmp/sv.duckdb [--clients 8] [--seconds 15]

The server is the app as `solidarity serve` runs it (`create_app` + Flask's threaded
server) in a child process, plus one extra route that sends a file from disk
(`send_from_directory`: conditional, streamed, like any static file) whose size equals
the embed page's. A closed-loop threaded client (no think time, one connection per
request as the server closes them) hits one URL at a time for `--seconds`, after a
warm-up, and reports requests/s and latency percentiles. Target (issue 7): a warm embed
reaches at least half the static file's throughput.
"""

from __future__ import annotations

import argparse
import http.client
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from bench.common import ROOT, header, table

EMBED = "/embed/world-map?year=2024"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serve_child(port: int, serving: str, static_dir: str) -> None:
    """The child: the shipped app, plus a plain static route to compare with."""
    import flask

    from dashboard.app import create_app

    app = create_app(serving)

    @app.server.get("/bench-static/<path:name>")
    def bench_static(name: str):
        return flask.send_from_directory(static_dir, name)

    app.run(host="127.0.0.1", port=port, debug=False)


def get(port: int, path: str, headers: dict | None = None) -> tuple[int, bytes, dict]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request("GET", path, headers=headers or {})
        response = conn.getresponse()
        return response.status, response.read(), dict(response.getheaders())
    finally:
        conn.close()


def load(port: int, path: str, clients: int, seconds: float, headers: dict | None = None,
         expect: int = 200) -> dict:
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()
    stop = time.monotonic() + seconds

    def worker() -> None:
        mine, bad = [], 0
        while time.monotonic() < stop:
            started = time.perf_counter()
            status, _, _ = get(port, path, headers)
            mine.append(time.perf_counter() - started)
            bad += status != expect
        with lock:
            latencies.extend(mine)
            errors[0] += bad

    began = time.perf_counter()
    threads = [threading.Thread(target=worker) for _ in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - began
    latencies.sort()
    pct = lambda p: latencies[min(len(latencies) - 1, int(p / 100 * len(latencies)))] * 1000  # noqa: E731
    return {"requests": len(latencies), "rps": len(latencies) / elapsed, "p50": pct(50), "p95": pct(95),
            "p99": pct(99), "errors": errors[0]}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--serving", type=Path, required=True)
    ap.add_argument("--clients", type=int, default=8)
    ap.add_argument("--seconds", type=float, default=15)
    ap.add_argument("--serve-child", nargs=3, metavar=("PORT", "SERVING", "STATIC_DIR"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.serve_child:
        port, serving, static_dir = args.serve_child
        return serve_child(int(port), serving, static_dir)

    port = _free_port()
    static_dir = Path(tempfile.mkdtemp(prefix="embeds-bench-"))
    server = subprocess.Popen([sys.executable, "-m", "bench.embeds_load", "--serving", str(args.serving),
                               "--serve-child", str(port), str(args.serving), str(static_dir)],
                              cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(240):
            try:
                get(port, "/embed/static/embed.js")
                break
            except OSError:
                time.sleep(0.25)
        status, page, page_headers = get(port, EMBED)  # also the cold render
        assert status == 200, status
        (static_dir / "same-size.html").write_bytes(page)  # same bytes, so the same size
        csv_status, csv_body, _ = get(port, EMBED.replace("world-map", "world-map.csv"))
        assert csv_status == 200
        targets = [
            ("static file, same size (send_from_directory)", "/bench-static/same-size.html", None, 200),
            (f"embed page {EMBED}", EMBED, None, 200),
            ("embed page, revalidated (If-None-Match → 304)", EMBED, {"If-None-Match": page_headers["ETag"]}, 304),
            ("embed CSV", EMBED.replace("world-map", "world-map.csv"), None, 200),
            ("builder page /embed/", "/embed/", None, 200),
        ]
        for _, path, hdrs, expect in targets:  # warm-up: every response cached once
            load(port, path, 2, 1.0, hdrs, expect)
        results = [(name, load(port, path, args.clients, args.seconds, hdrs, expect))
                   for name, path, hdrs, expect in targets]
    finally:
        server.terminate()
        server.wait(timeout=30)
        shutil.rmtree(static_dir, ignore_errors=True)

    print(header("Embeds"))
    print(f"Snapshot: {args.serving} ; server: the app as `solidarity serve` runs it (Flask/Werkzeug threaded), "
          f"one child process; client: {args.clients} threads in another process, closed loop, "
          f"{args.seconds:.0f} s per row after a warm-up. Embed page {len(page):,} bytes, CSV {len(csv_body):,} bytes.\n")
    static_rps = results[0][1]["rps"]
    rows = [[name, r["requests"], r["rps"], r["p50"], r["p95"], r["p99"], r["errors"], f"{r['rps'] / static_rps:.2f}"]
            for name, r in results]
    print(table(["request", "count", "req/s", "p50 ms", "p95 ms", "p99 ms", "errors", "× static"], rows))


if __name__ == "__main__":
    sys.exit(main())
