"""Reading the serving snapshot: the one read-only door to it, and what says which one it is.

Every query opens a short-lived read-only connection (DuckDB caches a database per
path inside a process until its last connection closes, so a swapped-in snapshot is
seen by the next request), binds its values as parameters, and returns a polars
frame. Results are cached per snapshot version: a new snapshot is seen at once,
repeats are cheap. `per_snapshot` memoises anything else the same way.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import lru_cache, wraps
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


def snapshot_stamp(path: Path | None = None) -> tuple[str, int, int]:
    """Identity of the snapshot being served: the key of every per-snapshot cache."""
    return _stamp(path or serving_path())


def per_snapshot(maxsize: int = 256):
    """Memoise a function of keyword arguments per snapshot identity (for page layouts).

    The key is the snapshot stamp and the normalised arguments (sorted, lists as tuples),
    so a swapped-in snapshot is seen by the next call and old entries age out of the LRU.
    The cached value is shared between requests: callers must not mutate it."""

    def decorate(func):
        @lru_cache(maxsize=maxsize)
        def cached(stamp: tuple, frozen: tuple):
            return func(**{k: list(v) if isinstance(v, tuple) else v for k, v in frozen})

        @wraps(func)
        def wrapper(**kwargs):
            frozen = tuple(sorted((k, tuple(v) if isinstance(v, list) else v) for k, v in kwargs.items()))
            return cached(snapshot_stamp(), frozen)

        wrapper.cache_clear = cached.cache_clear
        return wrapper

    return decorate


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

def source_file(source: str, name: str, path: Path | None = None) -> dict | None:
    """The manifest's row of one raw file (sha256, size, modification time), None if absent."""
    frame = query("select source_file, sha256, size_bytes, cast(modified_at as varchar) as modified_at "
                  "from manifest where source = $source and source_file = $name",
                  {"source": source, "name": name}, path=path)
    return frame.row(0, named=True) if frame.height else None
