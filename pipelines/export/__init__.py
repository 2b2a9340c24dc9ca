"""Exports of the warehouse in open-data standards (one module per standard)."""


from contextlib import contextmanager
from pathlib import Path

import duckdb


@contextmanager
def warehouse_connection(warehouse: "Path | duckdb.DuckDBPyConnection"):
    """The warehouse to read from: a path (opened read-only, closed after) or a connection
    already open (the publish step's, inside a Dagster run: one process cannot open the same
    DuckDB file twice with different settings), left open."""
    if isinstance(warehouse, duckdb.DuckDBPyConnection):
        yield warehouse
        return
    with duckdb.connect(str(warehouse), read_only=True) as conn:
        yield conn
