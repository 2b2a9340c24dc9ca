"""The dashboard's public surface: headers on every response, bounded requests, a 404 for
what does not exist, and callback bodies that match what the pages expose.

- **Headers** on every response that has none of its own (the embeds set theirs, with
  `frame-ancestors` from configuration): a Content-Security-Policy Dash runs under
  (scripts from this server plus the hashes of Dash's own inline scripts; plotly.js
  writes style attributes, hence `'unsafe-inline'` for styles only), `frame-ancestors
  'self'` and `X-Frame-Options: SAMEORIGIN` (the officials' pages are never framed by
  another site), `nosniff`, a Referrer-Policy and a Permissions-Policy that denies every
  device API. The embeds get the Permissions-Policy too.
- **Bounded requests**: a body over `SOLIDARITY_MAX_BODY_BYTES` is refused with 413 from
  its Content-Length, before it is read; a query string over `SOLIDARITY_MAX_QUERY_BYTES`
  with 414.
- **Unknown paths answer 404**: Dash serves its single-page index for every path; the
  index is still sent (the app draws its own "page not found", in the page's language),
  with the status a crawler or a monitor needs.
- **Callbacks**: a `/_dash-update-component` body must name a registered callback, give
  the inputs and states it declares (same ids, same properties), with values of the types
  those properties carry; anything else is a 400 naming what did not match, before Dash
  or a cache sees it.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Callable, Mapping
from typing import Any

import dash
import flask

log = logging.getLogger(__name__)

MAX_BODY_BYTES = int(os.environ.get("SOLIDARITY_MAX_BODY_BYTES", str(256 * 1024)))
MAX_QUERY_BYTES = int(os.environ.get("SOLIDARITY_MAX_QUERY_BYTES", "2048"))
MAX_GRID_ROW = 10_000_000  # far beyond any snapshot's grant count; bounds the grid's row request

PERMISSIONS_POLICY = ", ".join(f"{feature}=()" for feature in (
    "accelerometer", "camera", "geolocation", "gyroscope", "magnetometer", "microphone", "payment", "usb"))
DASH_INDEX_ENDPOINTS = frozenset({"/", "/<path:path>"})
CALLBACK_PATH = "/_dash-update-component"


def dashboard_csp(script_hashes: list[str]) -> str:
    return "; ".join((
        "default-src 'self'",
        "script-src 'self' " + " ".join(script_hashes),
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data: blob:",
        "font-src 'self' data:",
        "connect-src 'self'",
        "frame-src 'self'",  # the embed builder previews an embed from this server
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'self'",
    ))


def page_paths() -> frozenset[str]:
    # a page registered with `index=False` exists only with its variable part (`/country/<ISO3>`)
    return frozenset(page["relative_path"].rstrip("/") or "/" for page in dash.page_registry.values()
                     if page["module"] != "pages.not_found_404" and page.get("index", True))


# Pages with a variable part (`/programme/<slug>`): prefix -> is this rest of the path a page?
# Filled by those pages when they register (dashboard/pages/programme.py); an unknown slug is 404.
DYNAMIC_PATHS: dict[str, Callable[[str], bool]] = {}


def known_path(pathname: str | None) -> bool:
    path = (pathname or "/").rstrip("/") or "/"
    if path in page_paths():
        return True
    return any(path.startswith(prefix) and "/" not in path[len(prefix):] and known(path[len(prefix):])
               for prefix, known in DYNAMIC_PATHS.items())


def safe_path(pathname: str | None) -> str:
    """A path to build links from: one of the app's pages, else the home page.

    `//evil.example/` is a valid path to a server and a protocol-relative URL to a
    browser: a link built from it would leave the site."""
    path = (pathname or "/").rstrip("/") or "/"
    return path if known_path(path) else "/"


# ----------------------------------------------------------------------- callbacks
_TEXT_PROPERTIES = frozenset({"pathname", "search", "href", "hash"})
_OBJECT_PROPERTIES = frozenset({"clickData", "getRowsRequest", "data", "cellClicked"})
_WILDCARDS = ('["MATCH"]', '["ALL"]', '["ALLSMALLER"]')


def _id_matches(got: Any, declared: str) -> bool:
    if not declared.startswith("{"):
        return got == declared
    pattern = json.loads(declared)
    if not isinstance(got, dict) or set(got) != set(pattern):
        return False
    for key, want in pattern.items():
        value = got[key]
        if json.dumps(want) in _WILDCARDS:
            if not isinstance(value, (str, int)) or isinstance(value, bool) or len(str(value)) > 200:
                return False
        elif value != want:
            return False
    return True


def _grid_request_ok(value: Any) -> bool:
    if not isinstance(value, dict):
        return False
    for key in ("startRow", "endRow"):
        row = value.get(key)
        if row is not None and (not isinstance(row, int) or isinstance(row, bool) or not 0 <= row <= MAX_GRID_ROW):
            return False
    return (isinstance(value.get("sortModel", []), list) and isinstance(value.get("filterModel", {}), dict))


def _value_ok(prop: str, value: Any) -> bool:
    if value is None:
        return True
    if prop in _TEXT_PROPERTIES:
        return isinstance(value, str) and len(value) <= MAX_QUERY_BYTES
    if prop == "getRowsRequest":
        return _grid_request_ok(value)
    if prop == "clickData":  # plotly's click event: a list of points, each an object
        points = value.get("points", []) if isinstance(value, dict) else None
        return isinstance(points, list) and all(isinstance(p, dict) for p in points)
    if prop in _OBJECT_PROPERTIES:
        return isinstance(value, dict)
    return False  # a property no page declares as an input


def callback_problem(body: Any, callbacks: Mapping[str, Mapping]) -> str | None:
    """Why a callback request does not match a registered callback (None when it does)."""
    if not isinstance(body, dict):
        return "the body is not a JSON object"
    output = body.get("output")
    if not isinstance(output, str) or output not in callbacks:
        return "no such callback"
    declared = callbacks[output]
    if "callback" not in declared:  # a clientside callback runs in the browser, never here
        return "no such callback on the server"
    for key in ("inputs", "state"):
        got, want = body.get(key, []), declared.get(key) or []
        if not isinstance(got, list) or len(got) != len(want):
            return f"{key}: not the callback's"
        for given, expected in zip(got, want):
            items = given if isinstance(given, list) else [given]  # an ALL wildcard sends a list
            for item in items:
                if not isinstance(item, dict) or item.get("property") != expected["property"]:
                    return f"{key}: not the callback's"
                if not _id_matches(item.get("id"), expected["id"]):
                    return f"{key}: not the callback's"
                if not _value_ok(expected["property"], item.get("value")):
                    return f"{key}: {expected['property']} has a value of the wrong type or size"
    changed = body.get("changedPropIds", [])
    if not isinstance(changed, list) or not all(isinstance(c, str) and len(c) <= 500 for c in changed):
        return "changedPropIds: not a list of names"
    # Dash names a multi-output callback "..a.x...b.y..": one entry per output, in a list
    count = len(output[2:-2].split("...")) if output.startswith("..") else 1
    outputs = body.get("outputs")
    if count > 1 and not (isinstance(outputs, list) and len(outputs) == count):
        return "outputs: not the callback's"
    outputs = outputs if isinstance(outputs, list) else [outputs]
    if not all(isinstance(o, dict) and isinstance(o.get("property"), str) and "id" in o for o in outputs):
        return "outputs: not the callback's"
    return None


# ----------------------------------------------------------------------- wiring
def _plain(status: int, message: str) -> flask.Response:
    # our words only: the request's text is never echoed
    return flask.Response(message + "\n", status=status, content_type="text/plain; charset=utf-8")


def register(app: dash.Dash) -> None:
    """Install the guards; call before any other request hook (the callback cache among them)."""
    server = app.server
    server.config["MAX_CONTENT_LENGTH"] = MAX_BODY_BYTES
    hashes: list[str] = []

    @server.before_request
    def bounded_request():
        request = flask.request
        if len(request.query_string) > MAX_QUERY_BYTES:
            return _plain(414, f"Query string over {MAX_QUERY_BYTES} bytes.")
        if request.content_length is not None and request.content_length > MAX_BODY_BYTES:
            return _plain(413, f"Request body over {MAX_BODY_BYTES} bytes.")
        if request.method == "POST" and request.path == CALLBACK_PATH:
            try:
                body = request.get_json(silent=True, cache=True)
            except RecursionError:  # "[[[[…" nested deeper than the JSON decoder goes
                body = None
            problem = callback_problem(body, app.callback_map)
            if problem:
                log.warning("callback refused (%s) from %s", problem, request.remote_addr)
                return _plain(400, f"Callback request refused: {problem}.")
        return None

    @server.after_request
    def headers(response: flask.Response) -> flask.Response:
        if flask.request.endpoint in DASH_INDEX_ENDPOINTS and response.status_code == 200 \
                and not known_path(flask.request.path):
            response.status_code = 404  # the index still draws the app's own not-found page
        if "Content-Security-Policy" not in response.headers:
            if not hashes:  # Dash's inline scripts are known once the first index is rendered
                hashes.extend(app.csp_hashes())
            response.headers["Content-Security-Policy"] = dashboard_csp(hashes)
            response.headers["X-Frame-Options"] = "SAMEORIGIN"
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
        response.headers.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        return response
