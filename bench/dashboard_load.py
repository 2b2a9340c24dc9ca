"""Dashboard under load: 20 concurrent users loading pages (HTML shell, layout, the two
URL-driven callbacks through `/_dash-update-component`) against a serving snapshot.

    nice -n 10 .venv/bin/python -m bench.dashboard_load --serving bench/out/pipeline-x10/serving.duckdb

A threaded client (no extra dependency): each user loops over random page views with
a think time (like locust's `between(0.5, 2)`), for `--seconds`. One page view is what
the browser does: GET the page, GET /_dash-layout, then POST the shell callback
(title, nav, banner, footer) and the pages callback (the page's figures); on /grants, the
grid then asks for its first block of rows (one of: default order, sorted by amount,
the second block). Callbacks are read from /_dash-dependencies, so the payloads match
the running app. The server is `solidarity serve` (gunicorn, as shipped), started here;
`--serve-args` passes options to it (e.g. "--no-compress --workers 1").
"""

from __future__ import annotations

import argparse
import json
import random
import shlex
import socket
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

import requests

from bench.common import OUT, ROOT, header, table

PAGES = ["/", "/world", "/flows", "/sectors", "/outcomes", "/at-home", "/grants", "/data-quality"]
SEARCHES = ["", "?lang=en", "?years=2019-2024", "?years=2022-2025&lang=en"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _outputs(spec: str) -> list[dict]:
    out = []
    for part in spec.strip(".").split("..."):
        ident, prop = part.rsplit(".", 1)
        out.append({"id": ident, "property": prop})
    return out


def callback_bodies(base: str, path: str, search: str) -> list[dict]:
    """The bodies the browser posts on a page load: every callback driven by the URL."""
    bodies = []
    for dep in requests.get(base + "/_dash-dependencies", timeout=30).json():
        inputs = dep["inputs"]
        if dep.get("clientside_function") or not all(i["property"] in ("pathname", "search") for i in inputs):
            continue
        ins = [{**i, "value": path if i["property"] == "pathname" else search} for i in inputs]
        bodies.append({"output": dep["output"], "outputs": _outputs(dep["output"]), "inputs": ins,
                       "changedPropIds": [f"{inputs[0]['id']}.pathname"], "state": []})
    return bodies


GRID_REQUESTS = [  # what the grants grid asks for: its first block, sorted by amount, the next block
    {"startRow": 0, "endRow": 100, "sortModel": [], "filterModel": {}},
    {"startRow": 0, "endRow": 100, "sortModel": [{"colId": "amount_eur", "sort": "desc"}], "filterModel": {}},
    {"startRow": 100, "endRow": 200, "sortModel": [], "filterModel": {}},
]


def _find_grid_id(node):
    """The grants grid's id in a page callback's response (it carries the page's filters)."""
    if isinstance(node, dict):
        ident = node.get("props", {}).get("id") if isinstance(node.get("props"), dict) else None
        if isinstance(ident, dict) and ident.get("type") == "grants-grid":
            return ident
        values = node.values()
    elif isinstance(node, list):
        values = node
    else:
        return None
    for value in values:
        found = _find_grid_id(value)
        if found:
            return found
    return None


def grid_body(base: str, grid_id: dict, request: dict) -> dict:
    dep = next(d for d in requests.get(base + "/_dash-dependencies", timeout=30).json()
               if d["output"].endswith(".getRowsResponse"))
    key = json.dumps(grid_id, sort_keys=True, separators=(",", ":"))
    return {"output": dep["output"], "outputs": {"id": grid_id, "property": "getRowsResponse"},
            "inputs": [{"id": grid_id, "property": "getRowsRequest", "value": request}],
            "changedPropIds": [f"{key}.getRowsRequest"], "state": []}


def kind_of(body: dict) -> str:
    if body["output"].endswith(".getRowsResponse"):
        return "grid rows callback"
    return "page callback" if "_pages_content" in body["output"] else "shell callback"


class Recorder:
    def __init__(self):
        self.lock = threading.Lock()
        self.samples: dict[str, list[float]] = {}
        self.errors: dict[str, int] = {}
        self.reasons: list[str] = []  # what each failure was, so a failure is explained, not just counted

    def add(self, kind: str, seconds: float, ok: bool, reason: str = "") -> None:
        with self.lock:
            self.samples.setdefault(kind, []).append(seconds)
            if not ok:
                self.errors[kind] = self.errors.get(kind, 0) + 1
                self.reasons.append(f"{kind}: {reason}")


def user(base: str, bodies: dict, grid: dict, rec: Recorder, stop: float, seed: int,
         think: tuple[float, float]) -> None:
    rnd = random.Random(seed)
    session = requests.Session()
    while time.monotonic() < stop:
        path, search = rnd.choice(PAGES), rnd.choice(SEARCHES)
        steps = [("page", "GET", path + search, None), ("layout", "GET", "/_dash-layout", None)]
        steps += [(kind_of(body), "POST", "/_dash-update-component", body) for body in bodies[path, search]]
        if grid.get((path, search)):
            steps.append(("grid rows callback", "POST", "/_dash-update-component", rnd.choice(grid[path, search])))
        for kind, method, url, body in steps:
            t = time.perf_counter()
            reason = ""
            try:
                r = session.request(method, base + url, json=body, timeout=30)
                ok = r.status_code == 200 and (body is None or b'"response"' in r.content)
                reason = f"{method} {url} -> {r.status_code}, {len(r.content)} bytes"
            except requests.RequestException as error:
                ok = False
                reason = f"{method} {url} -> {type(error).__name__}: {error}"
            rec.add(kind, time.perf_counter() - t, ok, reason)
        time.sleep(rnd.uniform(*think))


def pct(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1] if len(values) > 1 else values[0]


def country_pages(serving: Path, n: int) -> list[str]:
    """/country/<code> of the `n` countries the region committed the most to."""
    if n <= 0:
        return []
    import duckdb

    with duckdb.connect(str(serving), read_only=True) as conn:
        codes = conn.execute("select country_code from funding_by_country where location_kind = 'country' "
                             "group by 1 order by sum(committed_eur) desc, 1 limit $n", {"n": n}).fetchall()
    return [f"/country/{code}" for (code,) in codes]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--serving", type=Path, required=True)
    ap.add_argument("--users", type=int, default=20)
    ap.add_argument("--seconds", type=float, default=60)
    ap.add_argument("--think", default="0.5,2", help="think time between page views, min,max seconds")
    ap.add_argument("--countries", type=int, default=0,
                    help="also the country pages of the N countries with the most region money (with a registry "
                         "context in the snapshot: its 'Autres bailleurs')")
    ap.add_argument("--skip", default="", help="pages to leave out, comma-separated (e.g. /grants)")
    ap.add_argument("--serve-args", default="", help="extra options for `solidarity serve`")
    args = ap.parse_args()
    PAGES[:] = [p for p in PAGES if p not in args.skip.split(",")] + country_pages(args.serving, args.countries)
    think = tuple(float(x) for x in args.think.split(","))

    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    # the server logs every request: to a file (a pipe nobody reads would fill and block it)
    log = (OUT / "dashboard-server.log").open("w")
    server = subprocess.Popen([str(ROOT / ".venv" / "bin" / "solidarity"), "serve", "--serving", str(args.serving),
                               "--port", str(port), *shlex.split(args.serve_args)],
                              stdout=subprocess.DEVNULL, stderr=log)
    try:
        for _ in range(120):
            try:
                requests.get(base + "/_dash-dependencies", timeout=2)
                break
            except requests.RequestException:
                time.sleep(0.5)
        bodies = {(p, s): callback_bodies(base, p, s) for p in PAGES for s in SEARCHES}
        # One cold pass: the first load of each view fills the per-snapshot query cache.
        # (Each gunicorn worker has its own caches: the pass warms whichever worker answers.)
        cold = Recorder()
        grid: dict = {}
        cold_start = time.perf_counter()
        for (p, s), bs in bodies.items():
            for body in bs:
                t = time.perf_counter()
                r = requests.post(base + "/_dash-update-component", json=body, timeout=120)
                cold.add("cold callback", time.perf_counter() - t, True)
                grid_id = _find_grid_id(r.json()) if kind_of(body) == "page callback" else None
                if grid_id:
                    grid[p, s] = [grid_body(base, grid_id, req) for req in GRID_REQUESTS]
                    t = time.perf_counter()
                    requests.post(base + "/_dash-update-component", json=grid[p, s][0], timeout=120)
                    cold.add("cold callback", time.perf_counter() - t, True)
        cold_total = time.perf_counter() - cold_start

        rec = Recorder()
        stop = time.monotonic() + args.seconds
        threads = [threading.Thread(target=user, args=(base, bodies, grid, rec, stop, i + 1, think)) for i in range(args.users)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        server.terminate()
        server.wait(timeout=30)

    print(header("Dashboard under load"))
    print(f"Snapshot: {args.serving} ({args.serving.stat().st_size / 1e6:.0f} MB); {args.users} users, "
          f"{args.seconds:.0f} s, think time {think[0]}-{think[1]} s; pages {' '.join(PAGES)}; server: "
          f"`solidarity serve {args.serve_args}`.\n")
    rows = []
    everything = [v for vs in rec.samples.values() for v in vs]
    for kind, values in [*sorted(rec.samples.items()), ("all requests", everything)]:
        errors = rec.errors.get(kind, 0) if kind != "all requests" else sum(rec.errors.values())
        rows.append([kind, len(values), pct(values, 50) * 1000, pct(values, 95) * 1000, max(values) * 1000, errors])
    cold_values = cold.samples["cold callback"]
    rows.append(["first (cold) callback per view, no load", len(cold_values), pct(cold_values, 50) * 1000,
                 pct(cold_values, 95) * 1000, max(cold_values) * 1000, 0])
    print(table(["request", "count", "p50 ms", "p95 ms", "max ms", "errors"], rows))
    for reason in rec.reasons[:10]:
        print(f"failed: {reason}")
    print(f"\nThroughput: {len(everything) / args.seconds:.1f} requests/s; cold pass over "
          f"{len(bodies)} views: {cold_total:.1f} s")


if __name__ == "__main__":
    sys.exit(main())
