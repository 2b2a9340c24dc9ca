"""Where the warehouse's context marts come from: one row, `context.context_source`, written when the
context models are built (pipelines/defs/context/assets.py) and published beside them in the serving
snapshot (pipelines/publish.py), where the dashboard reads it ("Autres bailleurs": which dump, read
when, and "données d'exemple" for a generated one).

Kept in the warehouse rather than read again from the context folder at publish time: the snapshot then
describes the marts it copies, even if the folder has been read again since.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from pathlib import Path

import duckdb
import polars as pl

from pipelines.context.dump import MANIFEST, load_dump_source, load_manifest

SOURCE_TABLE = "context_source"
SCHEMA = {
    "context_dir": pl.String, "dump_dir": pl.String, "files": pl.Int64, "publishers": pl.Int64,
    "activities": pl.Int64, "activities_rejected": pl.Int64, "read_at": pl.Datetime("us", "UTC"),
    "is_sample": pl.Boolean, "manifest_sha256": pl.String,
}


def context_source(context_dir: str | Path) -> pl.DataFrame:
    """The context layer's manifest in one row: its folder's name, the dump's and when it was read, the
    activity files read and their publishers, activities accepted and rejected, whether the dump is
    generated, and the manifest's sha256 (the serving snapshot's version changes with it)."""
    context_dir = Path(context_dir).resolve()
    files = load_manifest(context_dir)
    dump = load_dump_source(context_dir) or {}
    read = [e for e in files.values() if e.get("status") == "read"]
    read_at = dump.get("read_at")
    # folder names only: the row is published, and no server path ever is (as `source_file`)
    return pl.DataFrame([{
        "context_dir": context_dir.name,
        "dump_dir": Path(dump["folder"]).name if dump.get("folder") else None,
        "files": len(read),
        "publishers": len({e["publisher"] for e in read}),
        "activities": sum(e.get("rows_accepted", 0) for e in read),
        "activities_rejected": sum(e.get("rows_rejected", 0) for e in read),
        "read_at": datetime.fromisoformat(read_at) if read_at else None,
        "is_sample": bool(dump.get("is_sample", False)),
        "manifest_sha256": hashlib.sha256((context_dir / MANIFEST).read_bytes()).hexdigest(),
    }], schema=SCHEMA)


def record_source(conn: duckdb.DuckDBPyConnection, context_dir: str | Path) -> pl.DataFrame:
    """Write `context.context_source` (replacing the previous row); returns it."""
    row = context_source(context_dir)
    conn.register("_context_source", row.to_arrow())
    try:
        conn.execute("create schema if not exists context")
        conn.execute(f"create or replace table context.{SOURCE_TABLE} as select * from _context_source")
    finally:
        conn.unregister("_context_source")
    return row
