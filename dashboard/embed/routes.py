"""Flask routes of the public embeds, registered on the Dash app's server.

    /embed/                      the builder: pick a chart, preview, copy the <iframe>
    /embed/<chart>?year=&lang=   the chart page (HTML, no Dash shell)
    /embed/<chart>.csv?...       its data
    /embed/<chart>.zip?...       data + datapackage.json + CITATION.txt + README.txt
    /embed/static/<file>         plotly.js, the embed script and style, the world topojson

Each request is validated (params.validate), answered 304 when its ETag matches, else
rendered once per snapshot and request and kept in memory.
"""

from __future__ import annotations

import logging
import os
from functools import cache, lru_cache
from pathlib import Path
from urllib.parse import urlencode

import flask
import plotly

from dashboard import snapshot
from dashboard.embed import builder, headers, render
from dashboard.embed.catalogue import CHARTS, EmbedRequest
from dashboard.embed.params import EmbedError, validate

log = logging.getLogger(__name__)
HERE = Path(__file__).resolve().parent
ASSETS = HERE.parent / "assets"
PUBLIC_URL_KEY = "SOLIDARITY_PUBLIC_URL"  # e.g. https://data.example.org/ — else the request's own root
KINDS = {"": "text/html; charset=utf-8", ".csv": "text/csv; charset=utf-8", ".zip": "application/zip"}

blueprint = flask.Blueprint("embed", __name__, url_prefix="/embed")


def register_embeds(server: flask.Flask) -> None:
    """Mount the embeds on a Flask server (the Dash app's `app.server`)."""
    server.config.setdefault(headers.CONFIG_KEY, headers.frame_ancestors())
    server.config.setdefault(PUBLIC_URL_KEY, os.environ.get(PUBLIC_URL_KEY) or None)
    server.register_blueprint(blueprint)


# ---- static files: a fixed list, nothing read from a request path


@cache
def static_files() -> dict[str, tuple[bytes, str]]:
    world = (ASSETS / "topojson" / "world_110m.json").read_bytes()
    preload = (b"window.PlotlyGeoAssets=window.PlotlyGeoAssets||{topojson:{}};"
               b"window.PlotlyGeoAssets.topojson.world_110m=" + world + b";\n")
    return {
        "plotly.min.js": (plotly_js_path().read_bytes(), "text/javascript; charset=utf-8"),
        "embed.js": ((HERE / "static" / "embed.js").read_bytes(), "text/javascript; charset=utf-8"),
        "builder.js": ((HERE / "static" / "builder.js").read_bytes(), "text/javascript; charset=utf-8"),
        "embed.css": ((HERE / "static" / "embed.css").read_bytes(), "text/css; charset=utf-8"),
        # the toolbar's French tooltips: the dashboard's own copy (dashboard/assets/)
        "plotly-locale-fr.js": ((ASSETS / "plotly-locale-fr.js").read_bytes(), "text/javascript; charset=utf-8"),
        # plotly.js reads a preloaded topojson before it would fetch one: works from file:// too
        "world_110m.js": (preload, "text/javascript; charset=utf-8"),
        "topojson/world_110m.json": (world, "application/json"),
    }


def plotly_js_path() -> Path:
    return Path(plotly.__file__).resolve().parent / "package_data" / "plotly.min.js"


@blueprint.get("/static/<path:name>")
def static(name: str):
    entry = static_files().get(name)
    if entry is None:
        return _error(EmbedError(404, "No such file."))
    body, mimetype = entry
    tag = headers.etag("static", name)
    immutable = flask.request.args.get("v") == headers.BUILD_ID
    if headers.not_modified(tag):
        return _finish(flask.Response(status=304), tag, immutable=immutable)
    return _finish(flask.Response(body, content_type=mimetype), tag, immutable=immutable)


# ---- pages, CSV, zip


@blueprint.get("/")
def builder_page():
    try:
        req = builder.request_of(flask.request.args)
    except EmbedError as error:
        return _error(error)
    info = snapshot.snapshot_info()
    origin = _public_root().rstrip("/")
    tag = headers.etag(info.version, "builder", origin, urlencode(req.query()), req.chart)
    if headers.not_modified(tag):
        return _finish(flask.Response(status=304), tag, frames=True)
    body = _builder_cached(snapshot.snapshot_stamp(), req, origin)
    return _finish(flask.Response(body, content_type=KINDS[""]), tag, frames=True)


@blueprint.get("/<name>")
def chart(name: str):
    base, kind = _split(name)
    try:
        req = validate(base, flask.request.args)
    except EmbedError as error:
        return _error(error)
    info = snapshot.snapshot_info()
    root = _public_root()
    tag = headers.etag(info.version, kind, req.chart, urlencode(req.query()), root if kind == ".zip" else "")
    if headers.not_modified(tag):
        return _finish(flask.Response(status=304), tag)
    body = _rendered(snapshot.snapshot_stamp(), kind, req, root)
    response = flask.Response(body, content_type=KINDS[kind])
    if kind:
        stem = "-".join([req.chart, *req.query().values()])
        response.headers["Content-Disposition"] = f'attachment; filename="{stem}{kind}"'
    return _finish(response, tag)


@blueprint.get("/<path:rest>")
def not_an_embed(rest: str):
    # deeper paths under /embed/ would otherwise fall through to the Dash app's catch-all page
    return _error(EmbedError(404, "Unknown chart. Available charts: " + ", ".join(CHARTS) + "."))


def _split(name: str) -> tuple[str, str]:
    for kind in (".csv", ".zip"):
        if name.endswith(kind):
            return name[: -len(kind)], kind
    return name, ""


def live_links(req: EmbedRequest, root: str) -> render.Links:
    query = urlencode(req.query())
    return render.Links(
        static="/embed/static/",
        csv=f"/embed/{req.chart}.csv?{query}",
        zip=f"/embed/{req.chart}.zip?{query}",
        canonical=f"{root.rstrip('/')}/embed/{req.chart}?{query}",
        version=f"?v={headers.BUILD_ID}",
        # a path: in the iframe it is this server's page, whatever Host a request names
        dashboard=CHARTS[req.chart].dashboard_path(req),
    )


@lru_cache(maxsize=1024)
def _rendered(snapshot: tuple, kind: str, req: EmbedRequest, root: str) -> bytes:
    # `snapshot` is only the cache key: a new snapshot file is a new entry
    links = live_links(req, root)
    if kind == ".csv":
        return render.csv_bytes(req)
    if kind == ".zip":
        return render.zip_bytes(req, links)
    return render.page(req, links).encode("utf-8")


@lru_cache(maxsize=256)
def _builder_cached(snapshot: tuple, req: EmbedRequest, origin: str) -> bytes:
    return builder.page(req, origin, "/embed/static/", f"?v={headers.BUILD_ID}").encode("utf-8")


def _public_root() -> str:
    return flask.current_app.config.get(PUBLIC_URL_KEY) or flask.request.url_root


def _finish(response: flask.Response, tag: str | None, frames: bool = False,
            immutable: bool = False) -> flask.Response:
    ancestors = flask.current_app.config.get(headers.CONFIG_KEY) or headers.frame_ancestors()
    return headers.apply(response, tag, ancestors, frames=frames, immutable=immutable)


def _error(error: EmbedError) -> flask.Response:
    # plain text: the message is ours, the request's text is never echoed
    response = flask.Response(error.message + "\n", status=error.status, content_type="text/plain; charset=utf-8")
    return _finish(response, None)


@blueprint.errorhandler(Exception)
def _unexpected(exc: Exception):
    if isinstance(exc, EmbedError):
        return _error(exc)
    if hasattr(exc, "code") and isinstance(getattr(exc, "code"), int) and exc.code < 500:
        return _error(EmbedError(exc.code, getattr(exc, "description", "Bad request.")))
    log.exception("embed failed")
    return _error(EmbedError(500, "The chart could not be drawn. The error has been logged."))


