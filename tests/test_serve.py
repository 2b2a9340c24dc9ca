"""`solidarity serve` (gunicorn, several workers): every bundle the index asks for is served.

The browser tests drive `create_app` under dash_duo's threaded server; this one runs the
production server the README starts, as a user would, and asks what a browser would ask.
"""

from __future__ import annotations

import re
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests

from servers import free_port, wait_listening


def test_production_server_serves_the_index_and_every_bundle_from_every_worker(built):
    outcome, _, serving = built
    assert outcome.success
    port = free_port()
    solidarity = Path(sys.executable).with_name("solidarity")
    server = subprocess.Popen(
        [str(solidarity), "serve", "--serving", str(serving), "--port", str(port), "--workers", "3", "--threads", "2"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    base = f"http://127.0.0.1:{port}"
    # the bundles a browser will ask for, read off the same app in process: the real server
    # must serve them even to a worker that has not rendered the index yet
    from dashboard.app import create_app

    with create_app(serving).server.test_client() as client:
        bundles = re.findall(r'<script src="([^"]+)"', client.get("/").get_data(as_text=True))
    assert any("_dash-component-suites" in b for b in bundles)
    try:
        wait_listening(port, server)
        # first requests to a fresh server, in parallel so that every worker gets some
        with ThreadPoolExecutor(max_workers=12) as pool:
            codes = list(pool.map(lambda b: (b, requests.get(base + b, timeout=60).status_code), bundles * 6))
        assert [c for c in codes if c[1] != 200] == []
        index = requests.get(base + "/", timeout=30)
        assert index.status_code == 200
        assert re.findall(r'<script src="([^"]+)"', index.text) == bundles
        assert requests.get(base + "/_dash-layout", timeout=30).status_code == 200
        assert requests.get(base + "/embed/kpi", timeout=30).status_code == 200
    finally:
        server.terminate()
        server.wait(timeout=30)
