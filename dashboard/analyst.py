"""Analysts' row-level view of rejected rows, behind HTTP Basic auth from environment variables.

SOLIDARITY_ANALYST_USER / SOLIDARITY_ANALYST_PASSWORD configure the one login; with
either unset the route always answers 401 (closed by default). Compared in constant
time (hmac.compare_digest: werkzeug dropped its safe_str_cmp in favour of it).
"""

from __future__ import annotations

import hmac
import io
import os

import flask

from dashboard import data
from dashboard.downloads import provenance, with_provenance


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


def register(server: flask.Flask) -> None:
    @server.route("/analyst/rejected.csv")
    def rejected_csv():
        if not authorised(flask.request.authorization):
            return flask.Response("Authentification requise / Login required\n", 401,
                                  {"WWW-Authenticate": 'Basic realm="analysts", charset="UTF-8"'})
        buffer = io.BytesIO()
        with_provenance(data.rejected_rows(), provenance()).write_csv(buffer)
        return flask.Response(buffer.getvalue(), mimetype="text/csv; charset=utf-8",
                              headers={"Content-Disposition": 'attachment; filename="rejected_rows.csv"',
                                       "Cache-Control": "no-store"})
