"""The tests' own ways into a serving snapshot: a Flask test client of the dashboard over a
file, and plain SQL over it (the independent reading every expected figure starts from).

One home for every test module; `conftest.py` builds its session `client` with `client_of`.
"""

from __future__ import annotations

from pathlib import Path

import duckdb


def client_of(serving: Path):
    """A Flask test client of a fresh dashboard over `serving`."""
    from dashboard.app import create_app

    return create_app(serving).server.test_client()


def sql(serving: Path, query: str, params: dict | list | None = None) -> list[tuple]:
    """Rows of `query` over the snapshot, opened read-only (never the code under test)."""
    with duckdb.connect(str(serving), read_only=True) as conn:
        return conn.execute(query, params).fetchall()
