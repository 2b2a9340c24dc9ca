"""Load on the dashboard and embeds while the pipeline rebuilds and publishes.

The app serves a snapshot; client threads request the page, the Dash layout, the
shell and page callbacks (what a browser asks for) and the public embeds in a loop,
while the pipeline (a separate process, as in production) rebuilds and publishes
three times, each time with one more grants file, so each publish is a new snapshot
version with different figures. Asserted: zero failed requests, and every data
response is byte-for-byte the response of one published version (recorded while
that version was served), so no response mixes two snapshots.
"""

from __future__ import annotations

import csv
import hashlib
import html
import re
import shutil
import threading
from collections import Counter
from pathlib import Path

import requests
from werkzeug.serving import make_server

from .conftest import run_materialize, snapshot_state

REBUILDS = 3
CLIENTS = 4


def _payload(dep: dict, values: dict) -> dict:
    """The body a browser posts to /_dash-update-component for one callback."""
    outs = [dict(zip(("id", "property"), o.rsplit(".", 1))) for o in dep["output"].strip(".").split("...")]
    inputs = [{**i, "value": values[(i["id"], i["property"])]} for i in dep["inputs"]]
    first = dep["inputs"][0]
    return {"output": dep["output"], "outputs": outs if len(outs) > 1 else outs[0], "inputs": inputs,
            "changedPropIds": [f"{first['id']}.{first['property']}"], "state": []}


def _add_grant(raw: Path, k: int) -> None:
    """One more grants file: a copy of a real 2025 grant with its own reference and amount."""
    source = sorted((raw / "grants").glob("*2025*.csv"))[0]
    with source.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh, delimiter=";"))
    header, row = rows[0], list(rows[1])
    row[header.index("referenceDecision")] = f"CP-2025-HOSTILE-{k}"
    row[header.index("montant")] = f"{12345 * k},00"
    with (raw / "grants" / f"subventions_extra_{k}.csv").open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh, delimiter=";").writerows([header, row])


def _digest(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


def test_no_failed_or_mixed_response_while_rebuilding(small_raw: Path, tmp_path: Path):
    from dashboard.app import create_app

    raw = tmp_path / "raw"
    shutil.copytree(small_raw, raw)
    warehouse, serving = tmp_path / "warehouse.duckdb", tmp_path / "serving.duckdb"
    first = run_materialize(raw, warehouse, serving)
    assert first.returncode == 0, first.stdout + first.stderr

    app = create_app(serving)
    server = make_server("127.0.0.1", 0, app.server, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_port}"
    try:
        deps = requests.get(base + "/_dash-dependencies", timeout=30).json()
        values = {("url", "pathname"): "/", ("url", "search"): "",
                  ("_pages_location", "pathname"): "/", ("_pages_location", "search"): ""}
        callbacks = {dep["output"]: _payload(dep, values) for dep in deps
                     if all((i["id"], i["property"]) in values for i in dep["inputs"])
                     and not dep.get("clientside_function")}  # a browser runs those itself
        assert any("footer.children" in o for o in callbacks) and any("_pages_content" in o for o in callbacks)
        index = requests.get(base + "/embed/", timeout=30)
        embeds = ["/embed/"] if index.status_code == 200 else []
        embeds += sorted({html.unescape(u) for u in re.findall(r'(?:href|src)="(/embed/[^"#]+)"', index.text)})

        def fetch_callbacks(session: requests.Session) -> dict[str, bytes]:
            return {out: session.post(base + "/_dash-update-component", json=body, timeout=60).content
                    for out, body in callbacks.items()}

        # callback bodies of each published version, recorded while it is the one served
        recorded: dict[str, dict[str, str]] = {}  # callback -> body digest -> version

        def record() -> str:
            version = snapshot_state(serving)["version"]
            for out, body in fetch_callbacks(requests.Session()).items():
                recorded.setdefault(out, {})[_digest(body)] = version
            return version

        versions = [record()]
        stop = threading.Event()
        failures: list[str] = []
        seen: list[tuple[str, str, bytes | None]] = []  # (kind, callback, body or digest)
        counts = Counter()

        def client() -> None:
            session = requests.Session()
            while not stop.is_set():
                for path in ("/", "/_dash-layout", *embeds):
                    r = session.get(base + path, timeout=60)
                    counts["get"] += 1
                    if r.status_code != 200:
                        failures.append(f"GET {path}: {r.status_code}")
                    elif path.startswith("/embed/"):
                        seen.append(("embed", path, r.content))
                for out, body in callbacks.items():
                    r = session.post(base + "/_dash-update-component", json=body, timeout=60)
                    counts["callback"] += 1
                    if r.status_code != 200:
                        failures.append(f"POST {out[:40]}: {r.status_code} {r.text[:200]}")
                    else:
                        seen.append(("callback", out, _digest(r.content).encode()))

        threads = [threading.Thread(target=client) for _ in range(CLIENTS)]
        for t in threads:
            t.start()
        try:
            for k in range(1, REBUILDS + 1):
                _add_grant(raw, k)
                done = run_materialize(raw, warehouse, serving)
                assert done.returncode == 0, done.stdout + done.stderr
                versions.append(record())
        finally:
            stop.set()
            for t in threads:
                t.join(timeout=120)
    finally:
        server.shutdown()

    assert len(set(versions)) == REBUILDS + 1, versions  # each publish is a new version
    assert failures == []
    total = counts["get"] + counts["callback"]
    assert counts["callback"] > 50, counts
    for kind, key, body in seen:
        if kind == "callback":
            # byte-for-byte one version's response: nothing mixed from two snapshots
            assert body.decode() in recorded[key], f"{key[:60]}: a response of no single published version"
        else:
            present = {v for v in versions if v.encode() in body}
            assert len(present) <= 1, f"{key}: versions {present} in one response"
    footer = next(o for o in callbacks if "footer.children" in o)
    served = Counter(recorded[footer][body.decode()] for kind, key, body in seen if key == footer)
    assert len(served) >= 2, served  # the load did straddle publishes
    print(f"requests: {total} ({counts['callback']} callbacks), failed: {len(failures)}, "
          f"versions served: {dict(served)}, embeds: {embeds}")
