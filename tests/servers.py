"""Servers and browsers the tests start: a threaded in-process server, a free port, the wait for
a production server to listen, and a Chromium that is always quit.

The Chromium driver itself has one home, bench/page_load.chromium; this module only owns its
lifetime around a test module.
"""

from __future__ import annotations

import json
import socket
import subprocess
import threading
import time
from contextlib import contextmanager
from typing import Iterator

from werkzeug.serving import make_server


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_listening(port: int, server: subprocess.Popen, timeout_s: float = 120) -> None:
    """Until something accepts on `port`; fails with the server's output if it exits first."""
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            assert server.poll() is None, server.stdout.read()
            assert time.monotonic() < deadline, "server did not start"
            time.sleep(0.5)


@contextmanager
def serving_thread(wsgi_app, **options) -> Iterator[str]:
    """`wsgi_app` served by werkzeug's threaded server on a free port: yields its base URL."""
    httpd = make_server("127.0.0.1", 0, wsgi_app, threaded=True, **options)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{httpd.server_port}"
    finally:
        httpd.shutdown()


@contextmanager
def chromium_window(width: int, height: int, logs: tuple[str, ...] = ()):
    """bench.page_load.chromium, quit however the tests end."""
    from bench.page_load import chromium

    driver = chromium(width, height, logs=logs)
    try:
        yield driver
    finally:
        driver.quit()


def requested_urls(driver) -> list[str]:
    """Every URL the page asked for since the performance log was last read (Chrome's
    Network.requestWillBeSent events; the driver must keep the "performance" log)."""
    urls = []
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message["method"] == "Network.requestWillBeSent":
            urls.append(message["params"]["request"]["url"])
    return urls
