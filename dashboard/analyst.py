"""Analysts' row-level view of rejected rows, behind HTTP Basic auth from environment variables.

SOLIDARITY_ANALYST_USER / SOLIDARITY_ANALYST_PASSWORD configure the one login; with
either unset the route always answers 401 (closed by default). Compared in constant
time (hmac.compare_digest: werkzeug dropped its safe_str_cmp in favour of it). Wrong
logins are throttled per address and logged (dashboard/login_guard.py).
"""

from __future__ import annotations

import hmac
import io
import os

import flask

from dashboard import quality_data
from dashboard.downloads import provenance, with_provenance
from dashboard.login_guard import LoginGuard
from pipelines.inert import inert_frame


def _same(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())


def authorised(auth) -> bool:
    user, password = os.environ.get("SOLIDARITY_ANALYST_USER"), os.environ.get("SOLIDARITY_ANALYST_PASSWORD")
    if not user or not password or auth is None or auth.type != "basic":
        return False
    # evaluate both comparisons: no early exit that would tell a right user from a wrong one
    ok_user = _same(auth.username or "", user)
    ok_password = _same(auth.password or "", password)
    return ok_user and ok_password


# the analysts' files: route name -> the data behind it (grant-level lists, never public)
ANALYST_FILES = {
    "rejected": quality_data.rejected_rows,
    "publication_gaps": quality_data.publication_gaps,  # the 23,000 € rule, grant by grant
    "link_review": quality_data.link_review,  # grant <-> activity links to confirm
    "unmatched_payments": quality_data.unmatched_payments,  # payments no rule gives to one grant
}


def register(server: flask.Flask, guard: LoginGuard | None = None) -> None:
    guard = guard or LoginGuard()

    @server.route("/analyst/<name>.csv")
    def analyst_csv(name: str):
        if name not in ANALYST_FILES:
            flask.abort(404)
        address = flask.request.remote_addr or "unknown"
        wait = guard.retry_after(address)
        if wait is not None:
            return flask.Response("Trop d'essais, réessayez plus tard / Too many attempts, try later\n", 429,
                                  {"Retry-After": str(wait), "Cache-Control": "no-store"})
        if not authorised(flask.request.authorization):
            if flask.request.authorization is not None:  # a browser's first, credential-less request is no guess
                guard.failed(address)
            return flask.Response("Authentification requise / Login required\n", 401,
                                  {"WWW-Authenticate": 'Basic realm="analysts", charset="UTF-8"'})
        guard.succeeded(address)
        buffer = io.BytesIO()
        inert_frame(with_provenance(ANALYST_FILES[name](), provenance())).write_csv(buffer)
        filename = "rejected_rows" if name == "rejected" else name
        return flask.Response(buffer.getvalue(), mimetype="text/csv; charset=utf-8",
                              headers={"Content-Disposition": f'attachment; filename="{filename}.csv"',
                                       "Cache-Control": "no-store"})
