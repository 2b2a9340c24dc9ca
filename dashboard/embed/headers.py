"""Response headers of the public embeds: who may frame them, how long to keep them.

- `Content-Security-Policy`: scripts, styles, data and frames from this server only;
  `frame-ancestors` from SOLIDARITY_FRAME_ANCESTORS (default `*`: any site may embed
  the public charts).
- No cookies: an embed is the same for everyone, so nothing is set.
- `Cache-Control: public, no-cache` + an `ETag` of (snapshot version, request, code
  build): browsers and proxies revalidate every time, a new snapshot is seen at once,
  and a repeat costs a 304 with no body.
"""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path

import flask
import plotly

CONFIG_KEY = "SOLIDARITY_FRAME_ANCESTORS"
# a CSP source expression: a scheme, host or keyword; no spaces, semicolons or commas inside one
_SOURCE = re.compile(r"\*|'self'|'none'|[a-z][a-z0-9+.-]*:|(?:[a-z][a-z0-9+.-]*://)?[A-Za-z0-9*.-]+(?::[0-9*]+)?(?:/[^\s;,]*)?")
HERE = Path(__file__).resolve().parent


def frame_ancestors(value: str | None = None) -> str:
    """The configured frame-ancestors list, refused if it would break out of the header."""
    value = (value if value is not None else os.environ.get(CONFIG_KEY, "*")).strip() or "*"
    sources = value.split()
    bad = [s for s in sources if not _SOURCE.fullmatch(s)]
    if bad:
        raise ValueError(f"{CONFIG_KEY}: not a CSP source expression: {bad[0]!r}")
    return " ".join(sources)


def csp(ancestors: str, frames: bool = False) -> str:
    return "; ".join((
        "default-src 'none'",
        "script-src 'self'",
        # plotly.js writes <style> elements and style attributes as it draws
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data: blob:",
        "connect-src 'self'",
        "font-src 'self'",
        "frame-src 'self'" if frames else "frame-src 'none'",  # the builder previews an embed
        "base-uri 'none'",
        "form-action 'self'",
        f"frame-ancestors {ancestors}",
    ))


def _build_id() -> str:
    # changes when the embed code or plotly.js changes, so an ETag never outlives a deploy
    digest = hashlib.sha256(plotly.__version__.encode())
    for path in [*sorted(HERE.rglob("*")), HERE.parent / "assets" / "plotly-locale-fr.js"]:
        if path.is_file() and path.suffix in {".py", ".html", ".js", ".css"}:
            digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


BUILD_ID = _build_id()


def etag(snapshot_version: str, *parts: str) -> str:
    key = "\x1f".join((snapshot_version, BUILD_ID, *parts))
    return hashlib.sha256(key.encode()).hexdigest()[:24]


def not_modified(tag: str) -> bool:
    return tag in flask.request.if_none_match


def apply(response: flask.Response, tag: str | None, ancestors: str, frames: bool = False,
          immutable: bool = False) -> flask.Response:
    response.headers["Content-Security-Policy"] = csp(ancestors, frames)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "strict-origin-when-cross-origin"
    if immutable:  # versioned static files: the URL changes when the content does
        response.headers["Cache-Control"] = "public, max-age=31536000, immutable"
    elif tag:
        response.headers["Cache-Control"] = "public, no-cache"
    else:
        response.headers["Cache-Control"] = "no-store"
    if tag:
        response.set_etag(tag)
    response.headers.remove("Set-Cookie")  # belt and braces: nothing here may set one
    return response
