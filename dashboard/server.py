"""The production server for `solidarity serve`: gunicorn, threaded workers, compressed responses.

Flask's development server runs every request in one process, so on a 2-core machine a
slow request held the GIL for everything else. Gunicorn forks `workers` processes (one per
core by default) after the app is built (`preload_app`: the snapshot is only read per
request, no connection is open at fork time), each with `threads` threads (`gthread`) so a
request waiting on DuckDB or the network does not block its worker.

Responses are compressed (Flask-Compress: zstd, brotli or gzip as the browser accepts):
plotly.min.js is 4.8 MB raw, ~1.4 MB gzipped, and a page's figures are hundreds of kB of
JSON. Assets are fingerprinted by Dash and cached by the browser, so each is compressed
once per visitor, not per page view.

The tests' dash_duo path runs `create_app` under its own threaded server and is unchanged.
"""

from __future__ import annotations

import os
from pathlib import Path

from flask_compress import Compress
from gunicorn.app.base import BaseApplication

from dashboard.app import create_app
from dashboard.embed.routes import PUBLIC_URL_KEY


class _Gunicorn(BaseApplication):
    def __init__(self, wsgi_app, options: dict):
        self.wsgi_app, self.options = wsgi_app, options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self):
        return self.wsgi_app


def production_app(serving_path: str | Path):
    """The Flask app of the dashboard with response compression on."""
    dash_app = create_app(serving_path)
    server = dash_app.server
    # zstd/brotli at moderate levels cost a few ms per 100 kB; gzip for older clients
    server.config.update(COMPRESS_ALGORITHM=["zstd", "br", "gzip"], COMPRESS_BR_LEVEL=4, COMPRESS_LEVEL=5,
                         COMPRESS_MIN_SIZE=1024)
    Compress(server)
    return server


def warm(server) -> None:
    """Serve the index once before the workers fork.

    Dash registers its component bundles (the paths `/_dash-component-suites/...` may
    serve) while rendering the index. A worker whose first request is for a bundle would
    refuse it ("not a registered library") and the page would hang on "Loading...";
    with `preload_app`, every worker inherits the registration done here."""
    with server.test_client() as client:
        response = client.get("/")
        if response.status_code != 200:
            raise RuntimeError(f"the dashboard's index answered {response.status_code} at start-up")


def run(serving_path: str | Path, host: str, port: int, workers: int | None = None, threads: int = 8,
        compress: bool = True) -> None:
    wsgi = production_app(serving_path) if compress else create_app(serving_path).server
    # citations and embed snippets name this root; never the request's Host header, which
    # any client may set (SOLIDARITY_PUBLIC_URL in production, else the address served)
    wsgi.config[PUBLIC_URL_KEY] = os.environ.get(PUBLIC_URL_KEY) or f"http://{host}:{port}/"
    if not os.environ.get(PUBLIC_URL_KEY):
        print(f"SOLIDARITY_PUBLIC_URL unset: citations and snippets name {wsgi.config[PUBLIC_URL_KEY]}")
    warm(wsgi)
    options = {
        "bind": f"{host}:{port}",
        "workers": workers or max(1, min(os.cpu_count() or 1, 4)),
        "worker_class": "gthread",
        "threads": threads,
        "preload_app": True,
        "timeout": 120,  # a cold page on a big snapshot builds its figures before it answers
        "accesslog": None,
        "errorlog": "-",
        "loglevel": "warning",
    }
    _Gunicorn(wsgi, options).run()
