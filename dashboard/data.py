"""The only place the app reads data: the serving snapshot, read-only.

Every query opens a short-lived read-only connection (DuckDB caches a database per
path inside a process until its last connection closes, so a swapped-in snapshot is
seen by the next request), binds its values as parameters, and returns a polars
frame. Results are cached per snapshot version: a new snapshot is seen at once,
repeats are cheap.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import duckdb
import flask
import polars as pl

CONFIG_KEY = "SOLIDARITY_SERVING"


@dataclass(frozen=True)
class SnapshotInfo:
    version: str
    built_at: str
    code_version: str
    is_sample: bool


def serving_path() -> Path:
    try:
        return Path(flask.current_app.config[CONFIG_KEY])
    except RuntimeError:  # outside a request (tests, scripts)
        from pipelines.settings import serving_path as default

        return default()


def _stamp(path: Path) -> tuple[str, int, int]:
    # inode + mtime change on every atomic replace: the cache key of "this snapshot"
    st = os.stat(path)
    return (str(path), st.st_ino, st.st_mtime_ns)


def query(sql: str, params: dict | None = None, path: Path | None = None) -> pl.DataFrame:
    """Run one parameterised read-only query against the snapshot (cached per snapshot)."""
    path = path or serving_path()
    return _cached_query(_stamp(path), sql, tuple(sorted((params or {}).items())))


@lru_cache(maxsize=512)
def _cached_query(stamp: tuple[str, int, int], sql: str, params: tuple) -> pl.DataFrame:
    conn = duckdb.connect(stamp[0], read_only=True)
    try:
        return conn.sql(sql, params=dict(params) or None).pl()
    finally:
        conn.close()


def snapshot_info(path: Path | None = None) -> SnapshotInfo:
    frame = query(
        "select snapshot_version, cast(built_at as varchar) as built_at, code_version, is_sample "
        "from manifest limit 1",
        path=path,
    )
    row = frame.row(0, named=True)
    return SnapshotInfo(row["snapshot_version"], row["built_at"], row["code_version"], bool(row["is_sample"]))


def years(path: Path | None = None) -> list[int]:
    frame = query("select distinct year from kpis where year is not null order by year", path=path)
    return frame["year"].to_list()


def kpis(year: int, path: Path | None = None) -> pl.DataFrame:
    return query(
        "select indicator, value, previous_value, target, unit from kpis where year = $year order by indicator",
        {"year": year},
        path=path,
    )
