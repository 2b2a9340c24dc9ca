"""What the app keeps of what it has built, per snapshot: page layouts and whole callback responses.

Both are keyed by the snapshot stamp (`snapshot.snapshot_stamp`), so a swapped-in snapshot
misses at once and the old entries age out.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections import OrderedDict

import flask

from dashboard.snapshot import per_snapshot, snapshot_stamp


def cache_page_layouts(registry: dict, maxsize: int = 128) -> None:
    """Wrap every page's layout function in `per_snapshot`: a page is built once per snapshot
    and query string, then served from memory (figures included). Dash re-imports the pages
    for each app, so this runs once per app; a layout already wrapped is left as it is."""
    for page in registry.values():
        layout = page.get("layout")
        if callable(layout) and not hasattr(layout, "cache_clear"):
            page["layout"] = per_snapshot(maxsize)(layout)


class ResponseCache:
    """Whole `/_dash-update-component` responses of URL-driven callbacks, per snapshot and body.

    A callback whose inputs are only the URL (pathname, search) or the grants grid's row
    request is a pure view of the snapshot: the same body gives the same bytes. Once built
    and serialised (a page is 20–120 kB of JSON, tens of ms to encode) its response is
    replayed. Bounded by total size (LRU); the key starts with the snapshot stamp, so a new
    snapshot misses at once. Callbacks with any other input (a click) are never cached.
    A response is kept as sent, compressed or not (the request's Accept-Encoding is part of
    the key), so a replay costs neither the JSON encoding nor the compression."""

    CACHEABLE_INPUTS = frozenset({"pathname", "search", "getRowsRequest"})

    def __init__(self, max_bytes: int = 64 * 1024 * 1024):
        self.max_bytes = max_bytes
        self._entries: OrderedDict[tuple, tuple[bytes, str, str | None]] = OrderedDict()
        self._size = 0
        self._lock = threading.Lock()

    def key(self, body: bytes, accept_encoding: str = "") -> tuple | None:
        try:
            payload = json.loads(body)
            inputs = payload["inputs"]
            if not inputs or payload.get("state") or not all(
                    i["property"] in self.CACHEABLE_INPUTS for i in inputs):
                return None
        except (ValueError, KeyError, TypeError):
            return None  # Dash answers malformed bodies itself
        normal = json.dumps(payload, sort_keys=True, separators=(",", ":")).encode()
        return (snapshot_stamp(), hashlib.sha256(normal).digest(), accept_encoding)

    def get(self, key: tuple) -> tuple[bytes, str, str | None] | None:
        with self._lock:
            hit = self._entries.get(key)
            if hit is not None:
                self._entries.move_to_end(key)
            return hit

    def put(self, key: tuple, data: bytes, mimetype: str, encoding: str | None = None) -> None:
        if len(data) > self.max_bytes // 8:
            return
        with self._lock:
            if key in self._entries:
                return
            self._entries[key] = (data, mimetype, encoding)
            self._size += len(data)
            while self._size > self.max_bytes:
                _, (old, *_) = self._entries.popitem(last=False)
                self._size -= len(old)


def cache_callback_responses(server: flask.Flask) -> ResponseCache:
    """Serve repeated URL-driven callbacks from a ResponseCache: looked up before Dash's
    dispatch, stored after a 200 (after any compression registered later on the app:
    Flask runs `after_request` hooks last-registered first)."""
    cache = ResponseCache()

    @server.before_request
    def replay():
        if flask.request.method != "POST" or not flask.request.path.endswith("/_dash-update-component"):
            return None
        key = cache.key(flask.request.get_data(cache=True), flask.request.headers.get("Accept-Encoding", ""))
        if key is None:
            return None
        hit = cache.get(key)
        if hit is not None:
            data, mimetype, encoding = hit
            response = flask.Response(data, mimetype=mimetype)
            if encoding:  # already compressed (Flask-Compress leaves it as it is)
                response.headers.update({"Content-Encoding": encoding, "Vary": "Accept-Encoding"})
            return response
        flask.g.response_cache_key = key
        return None

    @server.after_request
    def remember(response: flask.Response) -> flask.Response:
        key = flask.g.pop("response_cache_key", None)
        if key is not None and response.status_code == 200 and not response.direct_passthrough:
            cache.put(key, response.get_data(), response.mimetype, response.headers.get("Content-Encoding"))
        return response

    return cache
